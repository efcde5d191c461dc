package config

import (
	"strings"
	"testing"
	"time"
)

func TestInboxSettingsUnit(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		lease   time.Duration
		max     int
		wantErr string
	}{
		{name: "defaults", lease: time.Minute, max: 256},
		{name: "defaults follow workers", env: []string{"FOUREYES_WORKERS=2"}, lease: time.Minute, max: 128},
		{name: "set", env: []string{"FOUREYES_INBOX_LEASE=20s", "FOUREYES_INBOX_MAX_IN_FLIGHT=10"}, lease: 20 * time.Second, max: 10},
		{name: "lease too short", env: []string{"FOUREYES_INBOX_LEASE=100ms"}, wantErr: "inbox.lease must be at least 1s"},
		{name: "fewer in flight than workers", env: []string{"FOUREYES_WORKERS=8", "FOUREYES_INBOX_MAX_IN_FLIGHT=4"}, wantErr: "inbox.max_in_flight must be at least workers (8), not 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("", tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Inbox.Lease.D() != tt.lease || c.Inbox.MaxInFlight != tt.max {
				t.Fatalf("inbox = %s / %d, want %s / %d", c.Inbox.Lease.D(), c.Inbox.MaxInFlight, tt.lease, tt.max)
			}
		})
	}
}

func TestCheckpointGitHubTargetNeedsItsToken(t *testing.T) {
	base := []string{"FOUREYES_AUDIT_CHECKPOINT_TARGETS=log,github:acme/audit/foureyes.jsonl"}
	if _, err := Load("", base); err == nil || !strings.Contains(err.Error(), "audit.checkpoint.github_token") {
		t.Fatalf("a github: target without its token: %v", err)
	}
	cfg, err := Load("", append(base, "FOUREYES_AUDIT_CHECKPOINT_GITHUB_TOKEN=github_pat_x"))
	if err != nil || cfg.Audit.Checkpoint.GitHubToken != "github_pat_x" {
		t.Fatalf("with its token: %v %+v", err, cfg.Audit.Checkpoint)
	}
	if _, err := Load("", []string{"FOUREYES_AUDIT_CHECKPOINT_TARGETS=github:acme", "FOUREYES_AUDIT_CHECKPOINT_GITHUB_TOKEN=x"}); err == nil {
		t.Fatal("github:acme (no repository or path) was accepted")
	}
}
