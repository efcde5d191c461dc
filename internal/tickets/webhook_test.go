package tickets_test

import (
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/tickets"
	"github.com/foureyes/foureyes/internal/tickets/ticketstest"
)

type changes struct {
	mu  sync.Mutex
	got []string
}

func (c *changes) changed(system, key string) {
	c.mu.Lock()
	c.got = append(c.got, system+":"+key)
	c.mu.Unlock()
}

func TestJiraHook(t *testing.T) {
	var c changes
	srv := httptest.NewServer(tickets.JiraHook("jira-secret", c.changed, tickets.NewMetrics(nil), zerolog.Nop()))
	defer srv.Close()
	body := ticketstest.JiraWebhookBody("PAY-12", "Approved")

	if code := ticketstest.SendJiraWebhook(t, srv.URL, "forged-secret", body); code != 401 {
		t.Errorf("forged signature: %d, want 401", code)
	}
	if len(c.got) != 0 {
		t.Fatalf("a forged webhook changed something: %v", c.got)
	}
	if code := ticketstest.SendJiraWebhook(t, srv.URL, "jira-secret", body); code != 202 {
		t.Errorf("signed webhook: %d, want 202", code)
	}
	if len(c.got) != 1 || c.got[0] != "jira:PAY-12" {
		t.Errorf("changed = %v", c.got)
	}
	if code := ticketstest.SendJiraWebhook(t, srv.URL, "jira-secret", []byte(`{"webhookEvent":"jira:version_released"}`)); code != 202 || len(c.got) != 1 {
		t.Errorf("event without an issue: %d, changed %v", code, c.got)
	}
}

func TestJiraHookWithoutSecretRefusesAll(t *testing.T) {
	var c changes
	srv := httptest.NewServer(tickets.JiraHook("", c.changed, nil, zerolog.Nop()))
	defer srv.Close()
	if code := ticketstest.SendJiraWebhook(t, srv.URL, "", ticketstest.JiraWebhookBody("PAY-12", "Approved")); code != 401 || len(c.got) != 0 {
		t.Errorf("empty secret: %d, %v", code, c.got)
	}
}

func TestVerifyJiraSignature(t *testing.T) {
	body := []byte(`{"issue":{"key":"PAY-1"}}`)
	good := ticketstest.SignJira("s", body)
	for _, tc := range []struct {
		name, secret, header string
		want                 bool
	}{
		{"good", "s", good, true},
		{"wrong secret", "t", good, false},
		{"no prefix", "s", good[len("sha256="):], false},
		{"sha1", "s", "sha1=" + good[len("sha256="):], false},
		{"not hex", "s", "sha256=zz", false},
		{"empty", "s", "", false},
		{"empty secret", "", ticketstest.SignJira("", body), false},
	} {
		if got := tickets.VerifyJiraSignature(tc.secret, body, tc.header); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestServiceNowHook(t *testing.T) {
	var c changes
	srv := httptest.NewServer(tickets.ServiceNowHook(ticketstest.SNHookSecret, c.changed, nil, zerolog.Nop()))
	defer srv.Close()
	body := ticketstest.ServiceNowHookBody("CHG0001234")
	if code := ticketstest.SendServiceNowHook(t, srv.URL, "guess", body); code != 401 || len(c.got) != 0 {
		t.Errorf("wrong secret: %d, %v", code, c.got)
	}
	if code := ticketstest.SendServiceNowHook(t, srv.URL, ticketstest.SNHookSecret, body); code != 202 || len(c.got) != 1 || c.got[0] != "servicenow:CHG0001234" {
		t.Errorf("good secret: %d, %v", code, c.got)
	}
	if code := ticketstest.SendServiceNowHook(t, srv.URL, ticketstest.SNHookSecret, []byte(`{"number":"CHG 1"}`)); code != 400 {
		t.Errorf("bad number: %d", code)
	}
}
