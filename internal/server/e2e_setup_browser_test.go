package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/setup"
)

// TestFirstRunInABrowser walks the whole first run in headless Chromium against the real
// server started without credentials: the setup page (phone and laptop), the organisation
// form, the manifest posted to the fake GitHub, its "Create GitHub App" button, the
// redirect back, the done page. Then the credentials file is checked and the same running
// server, now in normal mode, accepts a webhook signed with the new secret and writes a
// check run as the new app.
func TestFirstRunInABrowser(t *testing.T) {
	ctx := e2etest.NewBrowser(t)
	h := e2etest.Start(t, e2etest.WithConfig(func(c *config.Config) {
		c.GitHub.App.IntegrationID, c.GitHub.App.WebhookSecret, c.GitHub.App.PrivateKey = 0, "", ""
		c.GitHub.App.ClientID, c.GitHub.App.ClientSecret = "", "" // from the manifest conversion
	}))
	flow := h.GH.EnableManifestFlow()
	if h.Server.Registered() {
		t.Fatal("server without credentials should start in setup mode")
	}
	shots := t.TempDir()
	if dir := os.Getenv("FOUREYES_SCREENSHOT_DIR"); dir != "" { // keep them to look at
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
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(h.Server.SetupURL())); err != nil {
		t.Fatalf("open setup page: %v", err)
	}
	do("phone layout", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.WaitVisible(chromedp.ID("register")))
	shot("setup-phone")
	do("laptop layout", chromedp.EmulateViewport(1280, 900), chromedp.WaitVisible(chromedp.ID("register")))
	do("choose organisation", chromedp.Click(chromedp.ID("account-org")), chromedp.WaitVisible(chromedp.ID("org")),
		chromedp.SendKeys(chromedp.ID("org"), "acme"))
	shot("setup")
	do("register", chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("create")))
	shot("github-create-app")
	do("create on GitHub", chromedp.Click(chromedp.ID("create")), chromedp.WaitVisible(chromedp.ID("install")))
	shot("done")

	last, ok := flow.LastManifest()
	if !ok || last.Org != "acme" || !strings.HasSuffix(last.Manifest.HookAttributes.URL, "/api/github/hook") {
		t.Errorf("manifest GitHub received: %+v", last)
	}
	if len(last.Manifest.CallbackURLs) != 1 || last.Manifest.CallbackURLs[0] != h.Config.Server.PublicURL+"/console/auth/callback" {
		t.Errorf("manifest callback URLs (the console's login) = %v", last.Manifest.CallbackURLs)
	}
	st, err := os.Stat(h.Config.GitHub.CredentialsFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v", err)
	}
	creds, err := setup.LoadCredentials(h.Config.GitHub.CredentialsFile)
	if err != nil || creds.AppID != h.GH.AppID || creds.WebhookSecret == "" || creds.ClientID == "" || creds.ClientSecret == "" {
		t.Fatalf("credentials: %v %v", creds, err)
	}
	if !h.Server.Registered() {
		t.Fatal("server did not switch to normal mode")
	}
	if strings.Contains(h.LogText(), creds.WebhookSecret) || strings.Contains(h.LogText(), "PRIVATE KEY") {
		t.Error("a secret reached the log")
	}

	// Normal mode, without a restart: a webhook signed with the new secret is processed.
	h.Sender = githubtest.NewSender(h.URL()+"/api/github/hook", creds.WebhookSecret)
	pr := h.OpenPR(e2etest.PRSpec{Number: 90, Author: "alice"})
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("neutral"))

	// The console's login uses the OAuth client the conversion returned: GitHub's consent
	// page appears (the fake answers 404 for an unknown client_id).
	h.OAuth.SignIn("octocat")
	do("console login after registration", chromedp.Navigate(h.URL()+"/console/"), chromedp.WaitVisible(chromedp.ID("authorize")))
}
