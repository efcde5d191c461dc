// Package config reads foureyes' server configuration: a YAML file, then FOUREYES_*
// environment variables over it, then defaults for what is still empty.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"gopkg.in/yaml.v3"
)

// Config is the whole server configuration. Every key can also be set by an environment
// variable named FOUREYES_ followed by its YAML path in upper case joined by "_", for
// example FOUREYES_SERVER_PUBLIC_URL or FOUREYES_GITHUB_APP_WEBHOOK_SECRET.
type Config struct {
	Server         Server      `yaml:"server"`
	GitHub         GitHub      `yaml:"github"`
	Store          Store       `yaml:"store"`
	Policy         Policy      `yaml:"policy"`
	Deployments    Deployments `yaml:"deployments"`
	Recovery       Recovery    `yaml:"recovery"`
	Console        Console     `yaml:"console"`
	Health         Health      `yaml:"health"`
	Workers        int         `yaml:"workers"`
	CoalesceWindow Duration    `yaml:"coalesce_window"`
	Retry          Retry       `yaml:"retry"`
	LogLevel       string      `yaml:"log_level"`
	Audit          Audit       `yaml:"audit"`
	Tickets        Tickets     `yaml:"tickets"` // Jira and ServiceNow connections (tickets.go)
	Inbox          Inbox       `yaml:"inbox"`

	// UnknownEnv lists FOUREYES_* variables that name no key: most likely a typo, which
	// the server reports at start rather than silently ignoring.
	UnknownEnv []string `yaml:"-"`
}

// Server is the HTTP listener.
type Server struct {
	Address   string `yaml:"address"`
	Port      int    `yaml:"port"`
	PublicURL string `yaml:"public_url"` // how GitHub and browsers reach this server
}

// GitHub holds go-githubapp's configuration keys (web_url, v3_api_url, v4_api_url,
// app.integration_id, app.webhook_secret, app.private_key), the app's OAuth client
// (app.client_id, app.client_secret: the console's GitHub login), plus where the
// first-run setup stores the credentials it obtains.
type GitHub struct {
	WebURL          string `yaml:"web_url"`
	V3APIURL        string `yaml:"v3_api_url"`
	V4APIURL        string `yaml:"v4_api_url"`
	App             App    `yaml:"app"`
	CredentialsFile string `yaml:"credentials_file"`
	// HTTPCacheBytes bounds the HTTP cache (conditional requests) of each installation
	// client, least recently used out. Default 8 MiB.
	HTTPCacheBytes int64 `yaml:"http_cache_bytes"`
	// RateLimitReserve is the x-ratelimit-remaining below which an installation's
	// background work (sweeper, policy fan-out) waits for the reset, so webhook-driven
	// evaluations keep the rest. Default 500 (a tenth of an installation's 5,000/h).
	RateLimitReserve int `yaml:"rate_limit_reserve"`
}

// App is the registered GitHub App.
type App struct {
	IntegrationID int64  `yaml:"integration_id"`
	WebhookSecret string `yaml:"webhook_secret"`
	PrivateKey    string `yaml:"private_key"`
	// ClientID and ClientSecret are the app's OAuth client, used for the console's
	// user-to-server login; the setup flow stores them with the other credentials.
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
}

// AppConfig is the configuration in go-githubapp's shape.
func (g GitHub) AppConfig() githubapp.Config {
	var c githubapp.Config
	c.WebURL, c.V3APIURL, c.V4APIURL = g.WebURL, g.V3APIURL, g.V4APIURL
	c.App.IntegrationID, c.App.WebhookSecret, c.App.PrivateKey = g.App.IntegrationID, g.App.WebhookSecret, g.App.PrivateKey
	c.OAuth.ClientID, c.OAuth.ClientSecret = g.App.ClientID, g.App.ClientSecret
	return c
}

// Console configures the compliance console (/console/).
type Console struct {
	// Auditors lists teams ("org/team-slug") whose members are auditors: they read
	// everything of the organisations the app is installed on.
	Auditors []string `yaml:"auditors"`
	// SessionTTL is the longest a console session lasts (default 8h).
	SessionTTL Duration `yaml:"session_ttl"`
}

// Store selects the database.
type Store struct {
	Driver string `yaml:"driver"` // sqlite (default) or postgres
	DSN    string `yaml:"dsn"`    // a file path for sqlite, a postgres:// URL for postgres
}

// Policy says where policies come from and what a repository without one gets.
type Policy struct {
	File      string `yaml:"file"`       // path in each repository
	OrgRepo   string `yaml:"org_repo"`   // the org repository holding the org default
	Baseline  string `yaml:"baseline"`   // a local file every repository must meet
	Missing   string `yaml:"missing"`    // neutral or failure
	CheckName string `yaml:"check_name"` // the check run's name
	// RegoTimeout bounds one rego requirement's evaluation (default 100ms); past it the
	// requirement fails closed.
	RegoTimeout Duration `yaml:"rego_timeout"`
}

// Deployments configures the deployment gate.
type Deployments struct {
	// RejectUnknown lists environment globs that are rejected when no policy rule names
	// them (for example "prod*"); other unnamed environments are approved with a comment.
	RejectUnknown []string `yaml:"reject_unknown"`
}

// Recovery configures the loops that heal missed webhooks.
type Recovery struct {
	ReconcileInterval Duration `yaml:"reconcile_interval"`
	SweepInterval     Duration `yaml:"sweep_interval"`
	Disabled          bool     `yaml:"disabled"`
}

// Audit configures what makes the audit log's integrity depend on the app (docs/audit.md).
type Audit struct {
	// SigningKey is the path of the Ed25519 private key (PKCS#8 PEM, mode 0600) that
	// signs the chain; created at first start. Default: foureyes-signing-key.pem in the
	// directory of github.credentials_file. Every replica must use the same key.
	SigningKey string           `yaml:"signing_key"`
	Checkpoint AuditCheckpoints `yaml:"checkpoint"`
}

// AuditCheckpoints says where and how often a signed checkpoint of the chain's head is
// written outside the database.
type AuditCheckpoints struct {
	Interval Duration `yaml:"interval"` // default 1h
	// Targets: "log" (a log line), "file:PATH" (a JSON line appended to PATH),
	// "github:OWNER/REPO/PATH[@BRANCH]" (a commit appending a JSON line to a file in a
	// GitHub repository, with GitHubToken), or "none". Default: [log].
	Targets []string `yaml:"targets"`
	// GitHubToken authenticates the github: target: a fine-grained token with contents:
	// write on that one repository (the app itself never gets write access to code).
	// A secret: never logged.
	GitHubToken string `yaml:"github_token"`
}

// Health configures the control-health probe (internal/health): every repository's
// default-branch rules are read at start and every interval (and on ruleset, branch
// protection and default-branch webhooks, which disabled does not turn off).
type Health struct {
	Interval Duration `yaml:"interval"` // default 24h
	Disabled bool     `yaml:"disabled"` // no probe at start or on the interval
}

// Retry bounds how often a delivery is retried after transient GitHub failures.
type Retry struct {
	MaxAttempts int      `yaml:"max_attempts"`
	BaseDelay   Duration `yaml:"base_delay"`
	MaxDelay    Duration `yaml:"max_delay"`
}

// Duration is a time.Duration written as "1s", "5m" in YAML and in the environment.
type Duration time.Duration

// UnmarshalYAML reads "1s" or "500ms".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if err := d.set(n.Value); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

func (d *Duration) set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Load reads the YAML file at path ("" for none), applies the environment, then defaults.
func Load(path string, environ []string) (Config, error) {
	var c Config
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read config %s: %w", path, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("parse config %s: %w", path, oneLine(err))
		}
	}
	if err := applyEnv(&c, environ); err != nil {
		return c, err
	}
	c.setDefaults()
	return c, c.validate()
}

// oneLine flattens yaml.v3's multi-line "unmarshal errors:" list, so the reason fits the
// one log line the server prints before exiting.
func oneLine(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = strings.TrimSpace(m)
	}
	return errors.New(strings.Join(msgs, "; "))
}

func (c *Config) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Server.Address, "127.0.0.1")
	if c.Server.Port == 0 {
		c.Server.Port = 8080
	}
	def(&c.Server.PublicURL, fmt.Sprintf("http://localhost:%d", c.Server.Port))
	def(&c.GitHub.WebURL, "https://github.com")
	def(&c.GitHub.V3APIURL, "https://api.github.com/")
	def(&c.GitHub.V4APIURL, "https://api.github.com/graphql")
	def(&c.GitHub.CredentialsFile, "./foureyes-credentials.yml")
	if c.GitHub.HTTPCacheBytes == 0 {
		c.GitHub.HTTPCacheBytes = 8 << 20
	}
	if c.GitHub.RateLimitReserve == 0 {
		c.GitHub.RateLimitReserve = 500
	}
	// An unset driver follows the DSN (a postgres:// URL means postgres); once set, the
	// driver alone chooses the backend (store.OpenDriver).
	if c.Store.Driver == "" && (strings.HasPrefix(c.Store.DSN, "postgres://") || strings.HasPrefix(c.Store.DSN, "postgresql://")) {
		c.Store.Driver = "postgres"
	}
	def(&c.Store.Driver, "sqlite")
	if c.Store.Driver == "sqlite" {
		def(&c.Store.DSN, "./foureyes.db")
	}
	def(&c.Policy.File, ".github/foureyes.yml")
	def(&c.Policy.OrgRepo, ".github")
	def(&c.Policy.Missing, "neutral")
	def(&c.Policy.CheckName, "foureyes")
	if c.Policy.RegoTimeout == 0 {
		c.Policy.RegoTimeout = Duration(100 * time.Millisecond)
	}
	if c.Workers == 0 {
		c.Workers = 4
	}
	if c.CoalesceWindow == 0 {
		c.CoalesceWindow = Duration(time.Second)
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 8
	}
	if c.Retry.BaseDelay == 0 {
		c.Retry.BaseDelay = Duration(time.Second)
	}
	if c.Retry.MaxDelay == 0 {
		c.Retry.MaxDelay = Duration(5 * time.Minute)
	}
	if c.Recovery.ReconcileInterval == 0 {
		c.Recovery.ReconcileInterval = Duration(5 * time.Minute)
	}
	if c.Recovery.SweepInterval == 0 {
		c.Recovery.SweepInterval = Duration(time.Hour)
	}
	if c.Health.Interval == 0 {
		c.Health.Interval = Duration(24 * time.Hour)
	}
	def(&c.LogLevel, "info")
	if c.Console.SessionTTL == 0 {
		c.Console.SessionTTL = Duration(8 * time.Hour)
	}
	if c.Audit.Checkpoint.Interval == 0 {
		c.Audit.Checkpoint.Interval = Duration(time.Hour)
	}
	if len(c.Audit.Checkpoint.Targets) == 0 {
		c.Audit.Checkpoint.Targets = []string{"log"}
	}
	c.Tickets.setDefaults()
	c.Inbox.setDefaults(c.Workers)
}

func (c *Config) validate() error {
	switch c.Store.Driver {
	case "sqlite", "postgres":
	default:
		return fmt.Errorf("store.driver must be sqlite or postgres, not %q", c.Store.Driver)
	}
	if c.Store.Driver == "postgres" && c.Store.DSN == "" {
		return errors.New("store.dsn is required with store.driver postgres")
	}
	if c.Store.Driver == "sqlite" && (strings.HasPrefix(c.Store.DSN, "postgres://") || strings.HasPrefix(c.Store.DSN, "postgresql://")) {
		return errors.New("store.dsn is a PostgreSQL URL but store.driver is sqlite: set store.driver to postgres")
	}
	switch c.Policy.Missing {
	case "neutral", "failure":
	default:
		return fmt.Errorf("policy.missing must be neutral or failure, not %q", c.Policy.Missing)
	}
	if c.Policy.RegoTimeout < 0 {
		return fmt.Errorf("policy.rego_timeout must be positive, not %s", time.Duration(c.Policy.RegoTimeout))
	}
	if c.Console.SessionTTL < 0 {
		return fmt.Errorf("console.session_ttl must be positive, not %s", c.Console.SessionTTL.D())
	}
	for _, t := range c.Audit.Checkpoint.Targets {
		if strings.HasPrefix(t, "github:") {
			if parts := strings.SplitN(strings.TrimPrefix(t, "github:"), "/", 3); len(parts) != 3 || parts[0] == "" || parts[1] == "" || strings.Trim(parts[2], "/@") == "" {
				return fmt.Errorf("audit.checkpoint.targets: %q must be github:OWNER/REPO/PATH[@BRANCH]", t)
			}
			if c.Audit.Checkpoint.GitHubToken == "" {
				return fmt.Errorf("audit.checkpoint.targets: %q needs audit.checkpoint.github_token (a fine-grained token with contents: write on that repository)", t)
			}
			continue
		}
		if t != "log" && t != "none" && !(strings.HasPrefix(t, "file:") && len(t) > len("file:")) {
			return fmt.Errorf("audit.checkpoint.targets: %q is not log, file:PATH, github:OWNER/REPO/PATH or none", t)
		}
	}
	if c.Audit.Checkpoint.Interval < 0 {
		return errors.New("audit.checkpoint.interval must not be negative")
	}
	if c.Workers < 1 {
		return fmt.Errorf("workers must be at least 1, not %d", c.Workers)
	}
	if err := c.Tickets.validate(); err != nil {
		return err
	}
	if err := c.Inbox.validate(c.Workers); err != nil {
		return err
	}
	return nil
}

// HasCredentials says whether the GitHub App is registered: without an app id the server
// starts in setup mode.
func (c *Config) HasCredentials() bool { return c.GitHub.App.IntegrationID != 0 }
