package console

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"since=2026-01-01&until=2026-03-31", "since=2026-02-30", "until=1999-12-31", "since=2026-01-01&until=2025-01-01",
		"since=%00", "since=2026-1-1", "since=9999-12-31&until=0001-01-01", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 5, 17, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := parsePeriod(q, now)
		if err != nil {
			if _, ok := err.(*httpError); !ok {
				t.Fatalf("parsePeriod(%q): %T is not a page error", raw, err)
			}
			return
		}
		if p.Until.Before(p.Since) || p.Since.Year() < 2000 || p.Until.Year() > 2200 {
			t.Fatalf("parsePeriod(%q) = %v..%v", raw, p.Since, p.Until)
		}
		sp := p.store()
		if !sp.Until.After(sp.Since) {
			t.Fatalf("empty store period for %q", raw)
		}
		// The period's own query parses back to itself.
		again, err := parsePeriod(parseQuery(string(p.Query())), now)
		if err != nil || !again.Since.Equal(p.Since) || !again.Until.Equal(p.Until) {
			t.Fatalf("round trip of %q: %v %v", raw, again, err)
		}
	})
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"repo=acme/pay&kind=merge&actor=alice&outcome=pass&before=10", "repo=acme", "repo=/x", "kind=evil",
		"before=-1", "before=99999999999999999999", "actor=a%20b", "repo=a/b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		pf, err := parseFilter(q)
		if err != nil {
			return
		}
		if pf.Repo != "" && strings.Count(pf.Repo, "/") != 1 {
			t.Fatalf("repo %q accepted", pf.Repo)
		}
		if _, ok := kindAliases[pf.Kind]; pf.Kind != "" && !ok {
			t.Fatalf("kind %q accepted", pf.Kind)
		}
		if pf.Before < 0 || len(pf.Actor) > 100 || strings.ContainsAny(pf.Actor, " /") {
			t.Fatalf("filter %+v accepted", pf)
		}
		again, err := parseFilter(parseQuery(string(pf.Query())))
		if err != nil || again.Repo != pf.Repo || again.Kind != pf.Kind || again.Actor != pf.Actor || again.Outcome != pf.Outcome {
			t.Fatalf("round trip of %+v: %+v %v", pf, again, err)
		}
	})
}

func FuzzParseNote(f *testing.F) {
	f.Add("explained", "a hotfix during INC-7")
	f.Add("deficiency", "")
	f.Add("remediated", strings.Repeat("x", 5000))
	f.Add("other", "text")
	f.Fuzz(func(t *testing.T, disp, text string) {
		d, txt, err := parseNote(disp, text)
		if err != nil {
			return
		}
		if d != "explained" && d != "remediated" && d != "deficiency" {
			t.Fatalf("disposition %q accepted", d)
		}
		if txt == "" || utf8.RuneCountInString(txt) > 4000 {
			t.Fatalf("text of %d runes accepted", utf8.RuneCountInString(txt))
		}
	})
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/console/changes?x=1", "//evil.example/console/", "https://evil.example", "/console/\\evil", "/consolex", "/console/%0d%0aSet-Cookie:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/console/") || strings.ContainsAny(got, "\r\n\\") {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
	})
}

func FuzzParseChangePath(f *testing.F) {
	for _, s := range []string{"acme", "pay", "..", ".", "a/b", "-x", "acme.io"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, owner, repo string) {
		full, err := parseChangePath(owner, repo)
		if err != nil {
			return
		}
		if strings.Count(full, "/") != 1 || strings.Contains(full, "..") && repo == ".." {
			t.Fatalf("path %q accepted", full)
		}
	})
}
