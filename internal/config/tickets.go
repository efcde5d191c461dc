package config

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Tickets connects foureyes to the ticket systems that `ticket.verify` and
// `require.change_request` read. Every key, secrets included, can come from the
// environment (FOUREYES_TICKETS_JIRA_TOKEN, ...); none is ever logged.
type Tickets struct {
	Jira       Jira       `yaml:"jira"`
	ServiceNow ServiceNow `yaml:"servicenow"`
	// Users maps approvers' e-mails to GitHub logins, so an approver who is also an
	// author is recognised by login too. In the environment: "a@x=alice,b@x=bob".
	Users map[string]string `yaml:"users"`
	// PollInterval is how often a ticket that a pending PR waits on is read again.
	PollInterval Duration `yaml:"poll_interval"`
}

// Jira is a Jira Cloud (REST v3) or Data Center (REST v2) site.
type Jira struct {
	URL           string `yaml:"url"`
	API           string `yaml:"api"`   // v3 (Cloud, default) or v2 (Data Center)
	Email         string `yaml:"email"` // Cloud: basic auth with Token
	Token         string `yaml:"token"`
	PAT           string `yaml:"pat"` // Data Center personal access token (Bearer)
	WebhookSecret string `yaml:"webhook_secret"`
}

// ServiceNow is a ServiceNow instance.
type ServiceNow struct {
	URL           string `yaml:"url"`
	Username      string `yaml:"username"`
	Password      string `yaml:"password"`
	ClientID      string `yaml:"client_id"` // OAuth client credentials at /oauth_token.do
	ClientSecret  string `yaml:"client_secret"`
	WebhookSecret string `yaml:"webhook_secret"`
}

func (t *Tickets) setDefaults() {
	if t.Jira.URL != "" && t.Jira.API == "" {
		t.Jira.API = "v3"
	}
	if t.PollInterval == 0 {
		t.PollInterval = Duration(time.Minute)
	}
	if len(t.Users) > 0 {
		lower := make(map[string]string, len(t.Users))
		for email, login := range t.Users {
			lower[strings.ToLower(strings.TrimSpace(email))] = strings.TrimSpace(login)
		}
		t.Users = lower
	}
}

func (t *Tickets) validate() error {
	if j := t.Jira; j.URL != "" {
		if j.API != "v2" && j.API != "v3" {
			return fmt.Errorf("tickets.jira.api must be v3 (Cloud) or v2 (Data Center), not %q", j.API)
		}
		if j.PAT == "" && (j.Email == "" || j.Token == "") {
			return errors.New("tickets.jira needs email and token (Cloud) or pat (Data Center)")
		}
	}
	if s := t.ServiceNow; s.URL != "" {
		if (s.Username == "" || s.Password == "") && (s.ClientID == "" || s.ClientSecret == "") {
			return errors.New("tickets.servicenow needs username and password, or client_id and client_secret")
		}
	}
	if t.PollInterval.D() < time.Second && t.PollInterval != 0 {
		// Tests may go lower through the struct; a configured value this small would hammer
		// the ticket systems.
		return fmt.Errorf("tickets.poll_interval must be at least 1s, not %s", t.PollInterval.D())
	}
	return nil
}
