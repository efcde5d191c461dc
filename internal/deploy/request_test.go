package deploy

import "testing"

func TestDecodeRequest(t *testing.T) {
	const envelope = `"action":"requested","environment":"production","event":"push",
		"deployment_callback_url":"https://api.github.com/repos/acme/payments/actions/runs/5/deployment_protection_rule",
		"repository":{"name":"payments","full_name":"acme/payments","default_branch":"main","owner":{"login":"acme"}},
		"installation":{"id":7}`
	tests := []struct {
		name, payload    string
		sha, ref, sender string
		senderBot        bool
		wantErr          bool
	}{
		{name: "payload sha and ref win", payload: `{` + envelope + `,"sha":"aaa","ref":"refs/heads/main",
			"deployment":{"sha":"bbb","ref":"other","creator":{"login":"github-actions[bot]","type":"Bot"}},"sender":{"login":"erin","type":"User"}}`,
			sha: "aaa", ref: "refs/heads/main", sender: "erin"},
		{name: "deployment sha when the payload has none", payload: `{` + envelope + `,
			"deployment":{"sha":"bbb","ref":"main","creator":{"login":"github-actions[bot]","type":"Bot"}},"sender":{"login":"dependabot[bot]","type":"Bot"}}`,
			sha: "bbb", ref: "main", sender: "dependabot[bot]", senderBot: true},
		{name: "null deployment", payload: `{` + envelope + `,"sha":"ccc","ref":"refs/heads/main","deployment":null,"sender":{"login":"erin"}}`,
			sha: "ccc", ref: "refs/heads/main", sender: "erin"},
		{name: "no environment", payload: `{"action":"requested","installation":{"id":7},"repository":{"name":"payments","owner":{"login":"acme"}}}`, wantErr: true},
		{name: "not JSON", payload: `{`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeRequest("d1", []byte(tc.payload))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if r.SHA != tc.sha || r.Ref != tc.ref || r.Sender != tc.sender || r.SenderIsBot != tc.senderBot {
				t.Errorf("got sha %q ref %q sender %q bot %v; want %q %q %q %v", r.SHA, r.Ref, r.Sender, r.SenderIsBot, tc.sha, tc.ref, tc.sender, tc.senderBot)
			}
			if r.FullName() != "acme/payments" || r.DefaultBranch != "main" || r.InstallationID != 7 || r.Environment != "production" {
				t.Errorf("got %+v", r)
			}
		})
	}
}
