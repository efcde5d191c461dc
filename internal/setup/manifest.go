package setup

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// placeholder is replaced in every string of app.yml by the server's public URL (no trailing
// slash), so the file in the repository stays deployment-independent.
const placeholder = "{public_url}"

// maxAppName is GitHub's limit on a GitHub App name.
const maxAppName = 34

// manifest is app.yml decoded generically: GitHub accepts keys foureyes does not know about,
// and they must reach GitHub unchanged.
type manifest map[string]any

// parseManifest decodes app.yml and fills the public URL in every string value.
func parseManifest(src []byte, publicURL string) (manifest, error) {
	// A plain map, not manifest: yaml.v3 gives nested mappings the type of the outer one.
	var raw map[string]any
	if err := yaml.Unmarshal(src, &raw); err != nil {
		return nil, fmt.Errorf("parse app manifest: %w", err)
	}
	if raw == nil {
		return nil, errors.New("parse app manifest: empty")
	}
	m := manifest(fill(raw, publicURL).(map[string]any))
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// fill replaces the placeholder in every string below v.
func fill(v any, publicURL string) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, placeholder, publicURL)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = fill(e, publicURL)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fill(e, publicURL)
		}
		return out
	default:
		return v
	}
}

// validate checks the keys GitHub requires, so a broken app.yml fails at start and not on
// GitHub's page in front of the user.
func (m manifest) validate() error {
	if s, _ := m["name"].(string); strings.TrimSpace(s) == "" {
		return errors.New("app manifest: name is required")
	}
	if s, _ := m["url"].(string); s == "" {
		return errors.New("app manifest: url is required")
	}
	hook, _ := m["hook_attributes"].(map[string]any)
	if s, _ := hook["url"].(string); s == "" {
		return errors.New("app manifest: hook_attributes.url is required")
	}
	if s, _ := m["redirect_url"].(string); s == "" {
		return errors.New("app manifest: redirect_url is required")
	}
	for _, k := range []string{"name", "url", "redirect_url", "description"} {
		if s, _ := m[k].(string); strings.Contains(s, "{") && strings.Contains(s, "}") {
			return fmt.Errorf("app manifest: %s has an unknown placeholder: %q", k, s)
		}
	}
	return nil
}

// name is the app name in app.yml.
func (m manifest) name() string { s, _ := m["name"].(string); return s }

// hookURL is where GitHub will deliver webhooks; shown on the page so the operator can check
// that GitHub can reach it.
func (m manifest) hookURL() string {
	hook, _ := m["hook_attributes"].(map[string]any)
	s, _ := hook["url"].(string)
	return s
}

// permission is one requested permission, for the page.
type permission struct{ Name, Level string }

// permissions lists default_permissions sorted by name, so the operator sees what the app
// will ask for before leaving for GitHub.
func (m manifest) permissions() []permission {
	perms, _ := m["default_permissions"].(map[string]any)
	out := make([]permission, 0, len(perms))
	for k, v := range perms {
		out = append(out, permission{Name: k, Level: fmt.Sprint(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// events lists default_events as written.
func (m manifest) events() []string {
	evs, _ := m["default_events"].([]any)
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

// withName returns the manifest as the JSON GitHub expects, with the app name the operator
// chose (GitHub App names are unique across GitHub, so "foureyes" may be taken).
func (m manifest) withName(name string) ([]byte, error) {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	if name != "" {
		c["name"] = name
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode app manifest: %w", err)
	}
	return b, nil
}
