package deploy

import "testing"

func TestCheckCallback(t *testing.T) {
	const (
		dotcom = "https://api.github.com/"
		ghes   = "https://ghe.example.com/api/v3/"
		repo   = "acme/payments"
	)
	tests := []struct {
		name, api, url string
		wantRun        int64 // 0: refused
	}{
		{"github.com", dotcom, "https://api.github.com/repos/acme/payments/actions/runs/42/deployment_protection_rule", 42},
		{"github.com explicit port", dotcom, "https://api.github.com:443/repos/acme/payments/actions/runs/42/deployment_protection_rule", 42},
		{"repo name case differs", dotcom, "https://api.github.com/repos/ACME/Payments/actions/runs/7/deployment_protection_rule", 7},
		{"GHES", ghes, "https://ghe.example.com/api/v3/repos/acme/payments/actions/runs/9/deployment_protection_rule", 9},
		{"GHES API URL without trailing slash", "https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/repos/acme/payments/actions/runs/9/deployment_protection_rule", 9},
		{"other host", dotcom, "https://evil.example.com/repos/acme/payments/actions/runs/42/deployment_protection_rule", 0},
		{"host suffix trick", dotcom, "https://api.github.com.evil.example/repos/acme/payments/actions/runs/42/deployment_protection_rule", 0},
		{"userinfo trick", dotcom, "https://api.github.com@evil.example/repos/acme/payments/actions/runs/42/deployment_protection_rule", 0},
		{"http downgrade", dotcom, "http://api.github.com/repos/acme/payments/actions/runs/42/deployment_protection_rule", 0},
		{"other port", dotcom, "https://api.github.com:8443/repos/acme/payments/actions/runs/42/deployment_protection_rule", 0},
		{"GHES without /api/v3", ghes, "https://ghe.example.com/repos/acme/payments/actions/runs/9/deployment_protection_rule", 0},
		{"GHES dot segments", ghes, "https://ghe.example.com/api/v3/../../repos/acme/payments/actions/runs/9/deployment_protection_rule", 0},
		{"escaped slash", dotcom, "https://api.github.com/repos/acme%2Fx/payments/actions/runs/42/deployment_protection_rule", 0},
		{"query", dotcom, "https://api.github.com/repos/acme/payments/actions/runs/42/deployment_protection_rule?x=1", 0},
		{"another repository", dotcom, "https://api.github.com/repos/acme/other/actions/runs/42/deployment_protection_rule", 0},
		{"another endpoint", dotcom, "https://api.github.com/repos/acme/payments/actions/runs/42/pending_deployments", 0},
		{"run id not a number", dotcom, "https://api.github.com/repos/acme/payments/actions/runs/x/deployment_protection_rule", 0},
		{"run id zero", dotcom, "https://api.github.com/repos/acme/payments/actions/runs/0/deployment_protection_rule", 0},
		{"empty", dotcom, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run, err := CheckCallback(tc.api, tc.url, repo)
			if tc.wantRun == 0 {
				if err == nil {
					t.Fatalf("CheckCallback(%q) = run %d, want refused", tc.url, run)
				}
				return
			}
			if err != nil || run != tc.wantRun {
				t.Fatalf("CheckCallback(%q) = %d, %v; want run %d", tc.url, run, err, tc.wantRun)
			}
		})
	}
}
