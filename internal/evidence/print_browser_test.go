package evidence_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/evidence"
	"github.com/foureyes/foureyes/internal/store"
)

// The period report and an evidence summary print on A4 and on Letter: rendered by
// chromium for print, nothing is wider than the printable width (long hashes, logins and
// reasons wrap), and the PDF's page box fits both papers.
func TestPagesPrintOnA4AndLetter(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenChain(ctx, filepath.Join(t.TempDir(), "foureyes.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	long := strings.Repeat("a-very-long-login-or-reason-", 6) + strings.Repeat("x", 150) // and an unbreakable run
	for _, r := range []store.Record{
		{Kind: store.KindPRDecision, Repository: "acme/payments-with-a-long-name", PR: 7, SHA: strings.Repeat("c", 40), Actor: "alice", Outcome: "pass",
			Facts: json.RawMessage(`{"pull_request":{"title":"` + long + `","author":"alice"}}`), Decision: json.RawMessage(`{"outcome":"pass","title":"` + long + `","rules":[]}`)},
		{Kind: store.KindMerge, Repository: "acme/payments-with-a-long-name", PR: 7, SHA: strings.Repeat("d", 40), Actor: long, Outcome: "pass"},
		{Kind: store.KindViolation, Repository: "acme/payments-with-a-long-name", SHA: strings.Repeat("e", 40), Subject: "push:" + strings.Repeat("e", 40), Actor: long, Outcome: "violation",
			Facts: json.RawMessage(`{"reason":"` + long + `"}`)},
		{Kind: store.KindDeploymentDecision, Repository: "acme/payments-with-a-long-name", SHA: strings.Repeat("d", 40), Subject: "run:123456789/env:" + long, Actor: "carol", Outcome: "approved"},
		{Kind: store.KindControlHealth, Repository: "acme/payments-with-a-long-name", Subject: "branch:main", Outcome: "enforced"},
	} {
		if _, err := st.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	var report bytes.Buffer
	if err := evidence.WriteReport(ctx, &report, st, evidence.ReportQuery{Format: "html"}); err != nil {
		t.Fatal(err)
	}
	var pkg bytes.Buffer
	if err := evidence.WritePackage(ctx, &pkg, st, evidence.ChangeQuery{Repo: "acme/payments-with-a-long-name", PR: 7}, evidence.PackageOptions{}); err != nil {
		t.Fatal(err)
	}
	summary := unzipFile(t, pkg.Bytes(), "summary.html")
	pages := map[string][]byte{"report.html": report.Bytes(), "summary.html": summary}
	browser := e2etest.NewBrowser(t)
	// Printable widths at 96 dpi with the pages' 15 mm margins: A4 180 mm, Letter 186 mm.
	for paper, width := range map[string]int64{"A4": 680, "Letter": 702} {
		for name, html := range pages {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, html, 0o644); err != nil {
				t.Fatal(err)
			}
			err := chromedp.Do(browser,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate("file://"+path),
				chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
					_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
					return err
				}),
			)
			if err != nil {
				t.Fatalf("%s on %s: %v", name, paper, err)
			}
			scrollWidth, err := chromedp.Run(browser, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			yes := true
			pdf, err := chromedp.Run(browser, func(ctx context.Context, _ *chromedp.Target) ([]byte, error) {
				res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes})
				return res.Data, err
			})
			if err != nil {
				t.Fatalf("print %s on %s: %v", name, paper, err)
			}
			if scrollWidth > width {
				t.Errorf("%s on %s: content is %d px wide, the printable width is %d px", name, paper, scrollWidth, width)
			}
			w, h := mediaBox(t, pdf)
			if w > 595.5 || h > 792.5 {
				t.Errorf("%s on %s: page box %.1f x %.1f pt does not fit both A4 (595 x 842) and Letter (612 x 792)", name, paper, w, h)
			}
		}
	}
}

func unzipFile(t *testing.T, zipBytes []byte, name string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.zip")
	if err := os.WriteFile(path, zipBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := evidence.VerifyPackage(bytes.NewReader(zipBytes), int64(len(zipBytes)), "")
	if err != nil || !res.OK() {
		t.Fatalf("package: %v %v", err, res.Problems)
	}
	b, err := evidence.ReadPackageFile(bytes.NewReader(zipBytes), int64(len(zipBytes)), name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var mediaBoxRE = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`)

func mediaBox(t *testing.T, pdf []byte) (float64, float64) {
	t.Helper()
	m := mediaBoxRE.FindSubmatch(pdf)
	if m == nil {
		t.Fatalf("no MediaBox in the PDF (%d bytes)", len(pdf))
	}
	w, _ := strconv.ParseFloat(string(m[1]), 64)
	h, _ := strconv.ParseFloat(string(m[2]), 64)
	return w, h
}
