package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// envKey is one leaf of the Config struct: its environment variable and its field path.
type envKey struct {
	env   string
	path  []int // reflect field index path from Config
	kind  reflect.Kind
	isDur bool
}

// leaves walks Config's yaml tags independently of env.go, so a key the walker misses
// is caught here.
func leaves(t reflect.Type, prefix string, idx []int) []envKey {
	var out []envKey
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		path := append(append([]int{}, idx...), i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" {
			out = append(out, leaves(f.Type, prefix, path)...)
			continue
		}
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name) // yaml.v3's default key
		}
		key := prefix + "_" + strings.ToUpper(name)
		if f.Type.Kind() == reflect.Struct {
			out = append(out, leaves(f.Type, key, path)...)
			continue
		}
		out = append(out, envKey{env: key, path: path, kind: f.Type.Kind(), isDur: f.Type == reflect.TypeOf(Duration(0))})
	}
	return out
}

// distinctive returns an env value and the value the field must then hold.
func distinctive(k envKey, n int) (string, any) {
	switch {
	case k.env == "FOUREYES_STORE_DRIVER":
		return "postgres", "postgres"
	case k.env == "FOUREYES_POLICY_MISSING":
		return "failure", "failure"
	case k.env == "FOUREYES_AUDIT_CHECKPOINT_TARGETS":
		v := fmt.Sprintf("file:/c%d", n)
		return " log , " + v + " ,,", []string{"log", v}
	case k.env == "FOUREYES_TICKETS_JIRA_API":
		return "v2", "v2"
	case k.isDur:
		d := time.Duration(n+1) * 1357 * time.Millisecond
		return d.String(), Duration(d)
	}
	switch k.kind {
	case reflect.String:
		v := fmt.Sprintf("v%d-%s", n, strings.ToLower(k.env))
		return v, v
	case reflect.Int, reflect.Int64:
		return fmt.Sprint(1000 + n), int64(1000 + n)
	case reflect.Bool:
		return "true", true
	case reflect.Slice:
		return fmt.Sprintf(" a%d , b%d ,,", n, n), []string{fmt.Sprintf("a%d", n), fmt.Sprintf("b%d", n)}
	case reflect.Map:
		return fmt.Sprintf("A%d@x.example=a%d, b%d@x.example = b%d", n, n, n, n),
			map[string]string{fmt.Sprintf("a%d@x.example", n): fmt.Sprintf("a%d", n), fmt.Sprintf("b%d@x.example", n): fmt.Sprintf("b%d", n)}
	}
	return "", nil
}

func fieldValue(c *Config, path []int) any {
	v := reflect.ValueOf(c).Elem().FieldByIndex(path)
	if v.Type() == reflect.TypeOf(Duration(0)) {
		return Duration(v.Int())
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		return v.Int()
	}
	return v.Interface()
}

func TestLoadEveryKeyFromEnvironmentUnit(t *testing.T) {
	keys := leaves(reflect.TypeOf(Config{}), envPrefix, nil)
	if len(keys) < 25 {
		t.Fatalf("walked only %d keys: %v", len(keys), keys)
	}
	want := map[string]any{}
	var environ []string
	for i, k := range keys {
		raw, w := distinctive(k, i)
		if w == nil {
			t.Fatalf("%s: unsupported kind %s in the test", k.env, k.kind)
		}
		want[k.env] = w
		environ = append(environ, k.env+"="+raw)
	}
	c, err := Load("", environ)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, k := range keys {
		if got := fieldValue(&c, k.path); !reflect.DeepEqual(got, want[k.env]) {
			t.Errorf("%s: field holds %#v, want %#v", k.env, got, want[k.env])
		}
	}
	// Documented names (Config's comment and the usual ones).
	for _, name := range []string{"FOUREYES_SERVER_PUBLIC_URL", "FOUREYES_GITHUB_APP_WEBHOOK_SECRET",
		"FOUREYES_GITHUB_APP_INTEGRATION_ID", "FOUREYES_GITHUB_APP_PRIVATE_KEY", "FOUREYES_GITHUB_V3_API_URL",
		"FOUREYES_GITHUB_CREDENTIALS_FILE", "FOUREYES_STORE_DSN", "FOUREYES_WORKERS", "FOUREYES_COALESCE_WINDOW",
		"FOUREYES_RECOVERY_SWEEP_INTERVAL", "FOUREYES_DEPLOYMENTS_REJECT_UNKNOWN", "FOUREYES_RETRY_MAX_DELAY",
		"FOUREYES_LOG_LEVEL", "FOUREYES_POLICY_CHECK_NAME", "FOUREYES_TICKETS_JIRA_TOKEN", "FOUREYES_TICKETS_JIRA_PAT",
		"FOUREYES_TICKETS_JIRA_WEBHOOK_SECRET", "FOUREYES_TICKETS_SERVICENOW_PASSWORD", "FOUREYES_TICKETS_SERVICENOW_CLIENT_SECRET",
		"FOUREYES_TICKETS_SERVICENOW_WEBHOOK_SECRET", "FOUREYES_TICKETS_USERS"} {
		if _, ok := want[name]; !ok {
			t.Errorf("documented variable %s is not derived from the struct", name)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "foureyes.yml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const sampleFile = `
server:
  port: 9000
  public_url: https://fe.example.com
github:
  v3_api_url: https://ghe.example.com/api/v3/
  app:
    integration_id: 7
    webhook_secret: from-file
store:
  driver: sqlite
  dsn: /var/lib/fe.db
policy:
  missing: failure
workers: 2
coalesce_window: 250ms
deployments:
  reject_unknown: ["prod*", "live"]
recovery:
  disabled: true
`

func TestLoadFileEnvDefaultsUnit(t *testing.T) {
	const missing = "\x00missing"
	tests := []struct {
		name    string
		file    *string
		env     []string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			eq(t, "store.driver", c.Store.Driver, "sqlite")
			eq(t, "store.dsn", c.Store.DSN, "./foureyes.db")
			eq(t, "server.port", c.Server.Port, 8080)
			eq(t, "server.address", c.Server.Address, "127.0.0.1")
			eq(t, "server.public_url", c.Server.PublicURL, "http://localhost:8080")
			eq(t, "policy.file", c.Policy.File, ".github/foureyes.yml")
			eq(t, "policy.org_repo", c.Policy.OrgRepo, ".github")
			eq(t, "policy.missing", c.Policy.Missing, "neutral")
			eq(t, "policy.check_name", c.Policy.CheckName, "foureyes")
			eq(t, "workers", c.Workers, 4)
			eq(t, "coalesce_window", c.CoalesceWindow.D(), time.Second)
			eq(t, "recovery.reconcile_interval", c.Recovery.ReconcileInterval.D(), 5*time.Minute)
			eq(t, "recovery.sweep_interval", c.Recovery.SweepInterval.D(), time.Hour)
			eq(t, "retry.max_attempts", c.Retry.MaxAttempts, 8)
			eq(t, "retry.base_delay", c.Retry.BaseDelay.D(), time.Second)
			eq(t, "retry.max_delay", c.Retry.MaxDelay.D(), 5*time.Minute)
			eq(t, "log_level", c.LogLevel, "info")
			eq(t, "github.web_url", c.GitHub.WebURL, "https://github.com")
			eq(t, "has credentials", c.HasCredentials(), false)
		}},
		{name: "public url default follows port", env: []string{"FOUREYES_SERVER_PORT=9999"}, check: func(t *testing.T, c Config) {
			eq(t, "server.public_url", c.Server.PublicURL, "http://localhost:9999")
		}},
		{name: "file only", file: ptr(sampleFile), check: func(t *testing.T, c Config) {
			eq(t, "server.port", c.Server.Port, 9000)
			eq(t, "server.public_url", c.Server.PublicURL, "https://fe.example.com")
			eq(t, "github.v3_api_url", c.GitHub.V3APIURL, "https://ghe.example.com/api/v3/")
			eq(t, "app id", c.GitHub.App.IntegrationID, int64(7))
			eq(t, "secret", c.GitHub.App.WebhookSecret, "from-file")
			eq(t, "store.dsn", c.Store.DSN, "/var/lib/fe.db")
			eq(t, "policy.missing", c.Policy.Missing, "failure")
			eq(t, "workers", c.Workers, 2)
			eq(t, "coalesce_window", c.CoalesceWindow.D(), 250*time.Millisecond)
			eq(t, "reject_unknown", strings.Join(c.Deployments.RejectUnknown, "|"), "prod*|live")
			eq(t, "recovery.disabled", c.Recovery.Disabled, true)
			eq(t, "has credentials", c.HasCredentials(), true)
		}},
		{name: "env overrides file", file: ptr(sampleFile), env: []string{
			"FOUREYES_SERVER_PORT=9100", "FOUREYES_GITHUB_APP_WEBHOOK_SECRET=from-env", "FOUREYES_WORKERS=16",
			"FOUREYES_COALESCE_WINDOW=2s", "FOUREYES_POLICY_MISSING=neutral", "FOUREYES_DEPLOYMENTS_REJECT_UNKNOWN=staging",
			"FOUREYES_RECOVERY_DISABLED=false", "FOUREYES_GITHUB_APP_INTEGRATION_ID=42",
			"OTHER_WORKERS=99", "FOUREYESWORKERS=99", "FOUREYES_WORKERS_EXTRA=99", "NOEQUALS",
		}, check: func(t *testing.T, c Config) {
			eq(t, "server.port", c.Server.Port, 9100)
			eq(t, "server.public_url", c.Server.PublicURL, "https://fe.example.com")
			eq(t, "secret", c.GitHub.App.WebhookSecret, "from-env")
			eq(t, "workers", c.Workers, 16)
			eq(t, "coalesce_window", c.CoalesceWindow.D(), 2*time.Second)
			eq(t, "policy.missing", c.Policy.Missing, "neutral")
			eq(t, "reject_unknown", strings.Join(c.Deployments.RejectUnknown, "|"), "staging")
			eq(t, "recovery.disabled", c.Recovery.Disabled, false)
			eq(t, "app id", c.GitHub.App.IntegrationID, int64(42))
			eq(t, "store.dsn (file kept)", c.Store.DSN, "/var/lib/fe.db")
		}},
		{name: "postgres with dsn", env: []string{"FOUREYES_STORE_DRIVER=postgres", "FOUREYES_STORE_DSN=postgres://x/y"}, check: func(t *testing.T, c Config) {
			eq(t, "store.dsn", c.Store.DSN, "postgres://x/y")
		}},
		{name: "workers 0 in file means default", file: ptr("workers: 0\n"), check: func(t *testing.T, c Config) {
			eq(t, "workers", c.Workers, 4)
		}},
		{name: "workers 0 in env means default", env: []string{"FOUREYES_WORKERS=0"}, check: func(t *testing.T, c Config) {
			eq(t, "workers", c.Workers, 4)
		}},
		{name: "empty file", file: ptr(""), check: func(t *testing.T, c Config) { eq(t, "workers", c.Workers, 4) }},
		{name: "comment-only file", file: ptr("# nothing\n"), check: func(t *testing.T, c Config) { eq(t, "workers", c.Workers, 4) }},

		{name: "unknown yaml key", file: ptr("server:\n  prot: 1\n"), wantErr: "field prot not found"},
		{name: "unknown top-level key", file: ptr("worker: 3\n"), wantErr: "field worker not found"},
		{name: "bad duration in file", file: ptr("coalesce_window: soon\n"), wantErr: `invalid duration "soon"`},
		{name: "bad duration in env", env: []string{"FOUREYES_RECOVERY_SWEEP_INTERVAL=1 hour"}, wantErr: `environment FOUREYES_RECOVERY_SWEEP_INTERVAL: invalid duration "1 hour"`},
		{name: "bad integer in env", env: []string{"FOUREYES_WORKERS=four"}, wantErr: `environment FOUREYES_WORKERS: not an integer: "four"`},
		{name: "bad integer app id", env: []string{"FOUREYES_GITHUB_APP_INTEGRATION_ID=12x"}, wantErr: "FOUREYES_GITHUB_APP_INTEGRATION_ID"},
		{name: "bad bool in env", env: []string{"FOUREYES_RECOVERY_DISABLED=maybe"}, wantErr: `environment FOUREYES_RECOVERY_DISABLED: not a boolean: "maybe"`},
		{name: "bad integer in file", file: ptr("workers: many\n"), wantErr: "parse config"},
		{name: "store driver other", env: []string{"FOUREYES_STORE_DRIVER=mysql"}, wantErr: `store.driver must be sqlite or postgres, not "mysql"`},
		{name: "store driver other in file", file: ptr("store: {driver: mongo}\n"), wantErr: `store.driver must be sqlite or postgres, not "mongo"`},
		{name: "postgres without dsn", file: ptr("store:\n  driver: postgres\n"), wantErr: "store.dsn is required with store.driver postgres"},
		{name: "postgres URL without a driver means postgres", env: []string{"FOUREYES_STORE_DSN=postgres://db/foureyes"}, check: func(t *testing.T, c Config) {
			eq(t, "store.driver", c.Store.Driver, "postgres")
		}},
		{name: "postgres driver with a key/value dsn", file: ptr("store: {driver: postgres, dsn: 'host=db dbname=foureyes'}\n"), check: func(t *testing.T, c Config) {
			eq(t, "store.driver", c.Store.Driver, "postgres")
			eq(t, "store.dsn", c.Store.DSN, "host=db dbname=foureyes")
		}},
		{name: "sqlite driver with a postgres URL", env: []string{"FOUREYES_STORE_DRIVER=sqlite", "FOUREYES_STORE_DSN=postgresql://db/x"}, wantErr: "store.dsn is a PostgreSQL URL but store.driver is sqlite"},
		{name: "policy missing other", env: []string{"FOUREYES_POLICY_MISSING=pass"}, wantErr: `policy.missing must be neutral or failure, not "pass"`},
		{name: "negative workers in file", file: ptr("workers: -1\n"), wantErr: "workers must be at least 1, not -1"},
		{name: "negative workers in env", env: []string{"FOUREYES_WORKERS=-3"}, wantErr: "workers must be at least 1, not -3"},
		{name: "missing file", file: ptr(missing), wantErr: "read config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			switch {
			case tt.file == nil:
			case *tt.file == missing:
				path = filepath.Join(t.TempDir(), "nope.yml")
			default:
				path = writeFile(t, *tt.file)
			}
			c, err := Load(path, tt.env)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Load succeeded, want error containing %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func ptr(s string) *string { return &s }

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func FuzzLoadYAML(f *testing.F) {
	for _, s := range []string{"", "workers: 3\n", "server: {port: 1}\n", "coalesce_window: [1]\n",
		"recovery:\n  sweep_interval: {a: b}\n", "---\n---\n", "store: !!binary AAAA\n", "a: &x [*x]\n",
		"deployments:\n  reject_unknown: prod\n", "retry: {max_delay: 1h, base_delay: ~}\n", "workers: 1e400\n",
		"github:\n  app:\n    integration_id: 99999999999999999999\n", "coalesce_window: !!int 5\n", sampleFile} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "c.yml")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(p, nil)
		if err != nil {
			return
		}
		if c.Workers < 1 || (c.Store.Driver != "sqlite" && c.Store.Driver != "postgres") ||
			(c.Policy.Missing != "neutral" && c.Policy.Missing != "failure") || c.Store.DSN == "" {
			t.Fatalf("accepted an invalid config: %+v", c)
		}
	})
}

func TestUnknownEnvironmentVariablesAreReported(t *testing.T) {
	cfg, err := Load("", []string{"FOUREYES_SERVER_PORT=9000", "FOUREYES_SERVER_PROT=1", "FOUREYES_WORKRES=2", "OTHER=1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"FOUREYES_SERVER_PROT", "FOUREYES_WORKRES"}
	if cfg.Server.Port != 9000 || !slices.Equal(cfg.UnknownEnv, want) {
		t.Errorf("port %d, unknown %v; want 9000 and %v", cfg.Server.Port, cfg.UnknownEnv, want)
	}
}

func TestTicketsConfig(t *testing.T) {
	c, err := Load(writeFile(t, `
tickets:
  jira:
    url: https://acme.atlassian.net
    email: bot@acme.example
    token: from-file
  servicenow:
    url: https://acme.service-now.com
    client_id: cid
    client_secret: csecret
  users: {Dana@Acme.example: dana}
`), []string{"FOUREYES_TICKETS_JIRA_TOKEN=from-env", "FOUREYES_TICKETS_JIRA_WEBHOOK_SECRET=whs"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Tickets.Jira.API != "v3" || c.Tickets.Jira.Token != "from-env" || c.Tickets.Jira.WebhookSecret != "whs" {
		t.Errorf("jira = %+v", c.Tickets.Jira)
	}
	if c.Tickets.Users["dana@acme.example"] != "dana" || c.Tickets.PollInterval.D() != time.Minute {
		t.Errorf("users %v, poll %s", c.Tickets.Users, c.Tickets.PollInterval.D())
	}
	for _, tc := range []struct{ env, want string }{
		{"FOUREYES_TICKETS_JIRA_URL=https://j.example", "tickets.jira needs email and token (Cloud) or pat (Data Center)"},
		{"FOUREYES_TICKETS_SERVICENOW_URL=https://s.example", "tickets.servicenow needs username and password, or client_id and client_secret"},
		{"FOUREYES_TICKETS_USERS=dana", `environment FOUREYES_TICKETS_USERS: not key=value: "dana"`},
	} {
		if _, err := Load("", []string{tc.env}); err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %s", tc.env, err, tc.want)
		}
	}
	if _, err := Load("", []string{"FOUREYES_TICKETS_JIRA_URL=https://j.example", "FOUREYES_TICKETS_JIRA_PAT=p", "FOUREYES_TICKETS_JIRA_API=v4"}); err == nil {
		t.Error("api v4 accepted")
	}
}
