package handler

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/foureyes/foureyes/internal/ghclient"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// The installation webhooks carry the installation's repository selection: the handler
// records it at once (an admin's switch from all repositories to selected ones must not
// wait for the next token), and forgets a deleted installation.
func TestInstallationWebhooksLearnSelection(t *testing.T) {
	b := fuzzBase(t)
	b.Selections = ghclient.NewSelections(nil)
	h := &Installation{b}
	send := func(event string, payload map[string]any) {
		t.Helper()
		body, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Handle(context.Background(), event, githubtest.NewGUID(), body); err != nil {
			t.Fatalf("%s: %v", event, err)
		}
	}
	want := func(step, value, from string) {
		t.Helper()
		got, ok := b.Selections.Get(7)
		if value == "" {
			if ok {
				t.Errorf("%s: selection %+v, want none", step, got)
			}
			return
		}
		if !ok || got.Value != value || got.From != from {
			t.Errorf("%s: selection %+v (%v), want %s from %s", step, got, ok, value, from)
		}
	}

	created := githubtest.InstallationEvent("created", 7, "acme")
	created["installation"].(map[string]any)["repository_selection"] = "all"
	send("installation", created)
	want("installation created", "all", "installation")

	switched := githubtest.InstallationReposEvent("removed", 7, "acme", "acme/ledger")
	switched["repository_selection"] = "selected"
	send("installation_repositories", switched)
	want("switched to selected", "selected", "installation_repositories")

	send("installation", githubtest.InstallationEvent("deleted", 7, "acme"))
	want("installation deleted", "", "")
}
