package ghclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
)

const secretToken = "ghs_selectiontestSECRET0123456789"

// tokenAnswer is a transport answering every request with status and body.
func tokenAnswer(status int, body string) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})
}

func TestSelectionsLearnFromTokenAnswer(t *testing.T) {
	answer := `{"token":"` + secretToken + `","expires_at":"2026-12-01T12:00:00Z","permissions":{"contents":"read"},"repository_selection":"selected"}`
	learnt := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		name, method, path string
		status             int
		body               string
		inst               int64
		want               string // "" = nothing learnt
	}{
		{"token answer", "POST", "/app/installations/42/access_tokens", 201, answer, 42, "selected"},
		{"enterprise prefix", "POST", "/api/v3/app/installations/42/access_tokens", 201, answer, 42, "selected"},
		{"all", "POST", "/app/installations/42/access_tokens", 201, `{"token":"x","repository_selection":"all"}`, 42, "all"},
		{"field absent", "POST", "/app/installations/42/access_tokens", 201, `{"token":"x"}`, 42, ""},
		{"unknown value", "POST", "/app/installations/42/access_tokens", 201, `{"token":"x","repository_selection":"some"}`, 42, ""},
		{"not json", "POST", "/app/installations/42/access_tokens", 201, `<html>`, 42, ""},
		{"refused", "POST", "/app/installations/42/access_tokens", 404, `{"repository_selection":"all"}`, 42, ""},
		{"other route", "GET", "/installation/repositories", 201, `{"repository_selection":"all"}`, 42, ""},
		{"other post", "POST", "/repos/acme/x/check-runs", 201, `{"repository_selection":"all"}`, 42, ""},
		{"bad id", "POST", "/app/installations/x/access_tokens", 201, answer, 42, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSelections(func() time.Time { return learnt })
			req, _ := http.NewRequest(tc.method, "http://github.invalid"+tc.path, nil)
			resp, err := s.Transport(tokenAnswer(tc.status, tc.body)).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil || string(got) != tc.body {
				t.Errorf("caller read %q (%v), want the answer as sent %q", got, err, tc.body)
			}
			if err := resp.Body.Close(); err != nil {
				t.Error(err)
			}
			sel, ok := s.Get(tc.inst)
			switch {
			case tc.want == "" && ok:
				t.Errorf("learnt %+v, want nothing", sel)
			case tc.want != "" && (!ok || sel.Value != tc.want || !sel.Learnt.Equal(learnt) || sel.From != FromAccessToken):
				t.Errorf("learnt %+v (%v), want %s at %v from the token answer", sel, ok, tc.want, learnt)
			}
			if dump := fmt.Sprintf("%#v", s.byInst); strings.Contains(dump, secretToken) {
				t.Errorf("the token was kept: %s", dump)
			}
		})
	}
}

// A body longer than the parse bound is handed on whole and not parsed.
func TestSelectionsLongAnswerUntouched(t *testing.T) {
	long := `{"repository_selection":"all","pad":"` + strings.Repeat("x", maxTokenAnswer) + `"}`
	s := NewSelections(nil)
	req, _ := http.NewRequest("POST", "http://github.invalid/app/installations/7/access_tokens", nil)
	resp, err := s.Transport(tokenAnswer(201, long)).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	if string(got) != long {
		t.Errorf("caller read %d bytes, want %d", len(got), len(long))
	}
	if sel, ok := s.Get(7); ok {
		t.Errorf("learnt %+v from an answer over the bound", sel)
	}
}

func TestSelectionsLearnForgetConcurrent(t *testing.T) {
	s := NewSelections(nil)
	if s.Learn(1, "all", "installation") {
		t.Error("a first value is not a change")
	}
	if !s.Learn(1, "selected", "installation_repositories") {
		t.Error("all -> selected is a change")
	}
	if sel, _ := s.Get(1); sel.Value != "selected" || sel.From != "installation_repositories" {
		t.Errorf("got %+v", sel)
	}
	if s.Learn(1, "", "installation") || s.Learn(0, "all", "x") {
		t.Error("an empty value or installation is ignored")
	}
	if sel, _ := s.Get(1); sel.Value != "selected" {
		t.Errorf("an empty value overwrote the selection: %+v", sel)
	}
	s.Forget(1)
	if _, ok := s.Get(1); ok {
		t.Error("forgotten installation still known")
	}
	var nilSel *Selections
	nilSel.Learn(1, "all", "x")
	if _, ok := nilSel.Get(1); ok {
		t.Error("nil Selections knows something")
	}

	// Token answers of many installations arriving together, with readers and webhooks.
	rt := s.Transport(roundTripper(func(r *http.Request) (*http.Response, error) {
		inst, _ := tokenRequestInstallation(r.URL.Path)
		sel := "all"
		if inst%2 == 0 {
			sel = "selected"
		}
		return &http.Response{StatusCode: 201, Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"token":"t","repository_selection":"` + sel + `"}`))}, nil
	}))
	var wg sync.WaitGroup
	for i := 1; i <= 50; i++ {
		wg.Add(3)
		go func(inst int64) {
			defer wg.Done()
			req, _ := http.NewRequest("POST", fmt.Sprintf("http://github.invalid/app/installations/%d/access_tokens", inst), nil)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}(int64(i))
		go func(inst int64) { defer wg.Done(); s.Get(inst) }(int64(i))
		go func(inst int64) { defer wg.Done(); s.Learn(inst+1000, "all", "installation") }(int64(i))
	}
	wg.Wait()
	for i := int64(1); i <= 50; i++ {
		want := "all"
		if i%2 == 0 {
			want = "selected"
		}
		if sel, _ := s.Get(i); sel.Value != want {
			t.Errorf("installation %d: %+v, want %s", i, sel, want)
		}
	}
}

// The installation token request is made by ghinstallation under go-githubapp's
// middleware, so Middleware never sees it; WithSelections watches the base transport,
// where it does pass. The real client stack against the fake: the selection is learnt,
// and the token still works (ghinstallation read the whole answer).
func TestClientCreatorLearnsSelectionFromToken(t *testing.T) {
	for _, sel := range []string{"all", "selected"} {
		t.Run(sel, func(t *testing.T) {
			gh := githubtest.New(t)
			gh.AddInstallation(77, "acme")
			gh.SetRepositorySelection(77, sel)
			gh.AddRepo("acme/payments", 77)
			selections := NewSelections(nil)
			cc, err := NewClientCreator(gh.Config(), nil, 10*time.Second, WithSelections(selections))
			if err != nil {
				t.Fatal(err)
			}
			client, err := cc.NewInstallationClient(77)
			if err != nil {
				t.Fatal(err)
			}
			ctx, counter := WithCounter(context.Background())
			if _, _, err := client.Repositories.Get(ctx, "acme", "payments"); err != nil {
				t.Fatalf("request with the installation token: %v", err)
			}
			got, ok := selections.Get(77)
			if !ok || got.Value != sel || got.From != FromAccessToken {
				t.Errorf("learnt %+v (%v), want %s from the token answer", got, ok, sel)
			}
			tokens := 0
			for _, r := range gh.Requests() {
				if r.Method == "POST" && strings.HasSuffix(r.Path, "/access_tokens") {
					tokens++
				}
			}
			if tokens != 1 || counter.Requests() != 1 {
				t.Errorf("%d token requests, %d counted by the middleware: want 1 token request, 1 counted (the GET; the middleware does not see the token request)", tokens, counter.Requests())
			}
		})
	}
}

// FuzzSelectionsTokenAnswer: whatever a token answer holds, the caller reads it unchanged
// and nothing but "all" or "selected" is learnt.
func FuzzSelectionsTokenAnswer(f *testing.F) {
	f.Add(`{"token":"t","repository_selection":"all"}`)
	f.Add(`{"token":"t","repository_selection":"selected"}`)
	f.Add(`{"repository_selection":7}`)
	f.Add(`{"repository_selection":"all"`)
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		s := NewSelections(nil)
		req, _ := http.NewRequest("POST", "http://github.invalid/app/installations/5/access_tokens", nil)
		resp, err := s.Transport(tokenAnswer(201, body)).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil || string(got) != body {
			t.Fatalf("caller read %q (%v), want %q", got, err, body)
		}
		if sel, ok := s.Get(5); ok && sel.Value != "all" && sel.Value != "selected" {
			t.Fatalf("learnt %q", sel.Value)
		}
	})
}
