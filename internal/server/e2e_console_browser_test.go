package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

// TestConsoleInABrowser logs in to the compliance console as an auditor through the
// fake GitHub's OAuth pages, opens the posture, follows a violation to its change page,
// adds a review note, downloads the population, and sees the session end when the
// user revokes the app's authorization. Screenshots: phone and laptop, light and dark
// (FOUREYES_SCREENSHOT_DIR keeps them).
func TestConsoleInABrowser(t *testing.T) {
	ctx := e2etest.NewBrowser(t)
	h := strictHarness(t, e2etest.WithConfig(func(c *config.Config) { c.Console.Auditors = []string{"acme/sox-auditors"} }))
	h.GH.SetTeamMembers("acme", "sox-auditors", "audrey")
	h.OAuth.SignIn("audrey")

	// One change that passed, one merged past a pending decision (a violation), with a
	// title that tries to run script in the console.
	ok := h.OpenPR(e2etest.PRSpec{Number: 50, Author: "alice"})
	h.PassBuild(ok.HeadSHA)
	h.Approve(50, "bob")
	h.CheckRun(ok.HeadSHA, e2etest.Concluded("success"))
	h.WaitIdle()
	h.MergePR(50, "bob")
	bad := h.OpenPR(e2etest.PRSpec{Number: 51, Author: "alice", Title: `<img src=x onerror=alert(1)> PAY-51 hotfix`})
	h.CheckRun(bad.HeadSHA, e2etest.InProgress)
	h.WaitIdle()
	h.MergePR(51, "admin")
	h.WaitIdle()

	shots := t.TempDir()
	if dir := os.Getenv("FOUREYES_SCREENSHOT_DIR"); dir != "" {
		shots = dir
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, e2etest.EventuallyTimeout) // generous: CI machines are small and loaded
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100) /* 100: PNG */)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	scheme := func(dark bool) chromedp.Action[chromedp.Void] {
		v := "light"
		if dark {
			v = "dark"
		}
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}})
			return err
		})
	}
	laptop := chromedp.EmulateViewport(1280, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)
	// The first run starts the browser: without a timeout, which would stop it.
	if err := chromedp.Do(ctx, chromedp.Navigate(h.URL()+"/console/")); err != nil {
		t.Fatalf("open the console: %v", err)
	}
	do("GitHub asks to authorize", chromedp.WaitVisible(chromedp.ID("authorize")))
	shot("console-github-authorize")
	do("authorize", chromedp.Click(chromedp.ID("authorize")), chromedp.WaitVisible(chromedp.ID("merged")))
	body := text("body")
	for _, want := range []string{"audrey", "auditor", "acme/payments", "changes merged"} {
		if !strings.Contains(body, want) {
			t.Errorf("posture page lacks %q:\n%s", want, body)
		}
	}
	merged, violations := text("#merged"), text("#violations")
	if merged != "2" || violations != "1" {
		t.Errorf("posture: merged %q violations %q, want 2 and 1", merged, violations)
	}
	for _, v := range []struct {
		name string
		size chromedp.Action[chromedp.Void]
		dark bool
	}{{"laptop-light", laptop, false}, {"laptop-dark", laptop, true}, {"phone-light", phone, false}, {"phone-dark", phone, true}} {
		do("layout "+v.name, v.size, scheme(v.dark), chromedp.WaitVisible(chromedp.ID("merged")))
		shot("console-posture-" + v.name)
	}
	do("laptop", laptop, scheme(false))

	do("open exceptions", chromedp.Click(chromedp.CSS("#open-exceptions a")), chromedp.WaitVisible(chromedp.CSS(".exc")))
	shot("console-exceptions")
	do("follow the violation to its change", chromedp.Click(chromedp.CSS(".exc .change-link")), chromedp.WaitVisible(chromedp.ID("change-title")))
	body = text("main")
	for _, want := range []string{"acme/payments#51", "violation", "merged while the foureyes decision was pending", "hash recomputes", "admin"} {
		if !strings.Contains(body, want) {
			t.Errorf("change page lacks %q:\n%s", want, body)
		}
	}
	shot("console-change-laptop")
	do("change page on a phone, dark", phone, scheme(true), chromedp.WaitVisible(chromedp.ID("change-title")))
	shot("console-change-phone-dark")
	do("back to the exceptions", laptop, scheme(false), chromedp.Navigate(h.URL()+"/console/exceptions"), chromedp.WaitVisible(chromedp.CSS(".exc textarea")))

	do("add a review note", chromedp.SendKeys(chromedp.CSS(".exc textarea"), "Hotfix during INC-7; approved by the CAB afterwards."),
		chromedp.SetValue(chromedp.CSS(".exc select"), "explained"), chromedp.Click(chromedp.CSS(".exc button")),
		chromedp.WaitVisible(chromedp.ID("note-added")))
	body = text("main")
	if !strings.Contains(body, "Hotfix during INC-7") || !strings.Contains(body, "explained") {
		t.Errorf("note not shown:\n%s", body)
	}
	shot("console-note-added")
	note, err := h.Store.Latest(context.Background(), store.Filter{Kinds: []store.Kind{store.KindReviewNote}})
	if err != nil || note.Actor != "audrey" || note.Outcome != "explained" {
		t.Fatalf("review note record: %+v %v", note, err)
	}

	downloads := t.TempDir()
	do("changes page", chromedp.Navigate(h.URL()+"/console/changes"), chromedp.WaitVisible(chromedp.ID("population")),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
			return err
		}))
	shot("console-changes")
	do("download the population", chromedp.Click(chromedp.ID("download-csv")))
	var csv []byte
	e2etest.Eventually(t, 60*time.Second, "the download", func() bool {
		files, _ := filepath.Glob(filepath.Join(downloads, "*.csv"))
		if len(files) == 0 {
			return false
		}
		csv, _ = os.ReadFile(files[0])
		return strings.Contains(string(csv), "# foureyes-export-manifest ")
	})
	if !strings.HasPrefix(string(csv), "seq,id,recorded_at,kind") || !strings.Contains(string(csv), "review_note") || !strings.Contains(string(csv), `"row_count"`) ||
		!strings.Contains(string(csv), `"public_key_source":"the app's signing key"`) {
		t.Errorf("download:\n%.600s", csv)
	}
	do("audit log", chromedp.Navigate(h.URL()+"/console/audit"), chromedp.WaitVisible(chromedp.ID("verify")),
		chromedp.Click(chromedp.ID("verify")), chromedp.WaitVisible(chromedp.ID("verify-ok")))
	shot("console-audit")

	// The user revokes the app on GitHub: the webhook ends the session, the console asks
	// GitHub again.
	h.OAuth.Revoke("audrey")
	h.Send("github_app_authorization", map[string]any{"action": "revoked",
		"sender": map[string]any{"login": "audrey", "id": githubtest.UserID("audrey"), "type": "User"}})
	h.WaitIdle()
	do("after revocation", chromedp.Navigate(h.URL()+"/console/"), chromedp.WaitVisible(chromedp.ID("authorize")))
}
