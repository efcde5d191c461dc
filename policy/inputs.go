package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// InputsFormat names the format of a PolicyInputs document.
const InputsFormat = "foureyes-policy-inputs-v1"

// Roles of the files a policy is assembled from, in the order they are merged.
const (
	RoleBaseline = "baseline" // the server's baseline file
	RoleOrg      = "org"      // the org's file in its .github repository
	RoleRepo     = "repo"     // the repository's file on the base branch
)

// PolicyFile is one policy file exactly as it was read, with the Rego modules its
// `file:` keys named (path to content, from the same branch).
type PolicyFile struct {
	Role string            `json:"role"`
	Name string            `json:"name"` // the file name errors are reported at
	Text string            `json:"text"`
	Rego map[string]string `json:"rego,omitempty"`
}

// PolicyInputs is everything a pull-request decision's policy was made from, as read:
// the audit store keeps it once per policy digest, so an auditor can re-perform every
// recorded decision (Assemble, then DecidePR on the recorded Facts) with the same engine.
type PolicyInputs struct {
	Format string       `json:"format"`
	Files  []PolicyFile `json:"files"` // baseline, org, repo: each at most once, in that order
	// Path is the repository's policy file path (".github/foureyes.yml"); Missing is what
	// a repository without any policy gets ("neutral" or "failure").
	Path    string `json:"path"`
	Missing string `json:"missing"`
}

// InputsDigest names inputs that assemble to no policy (a policy error): "inputs:" and
// the hex SHA-256 of their JSON. A policy_error record names it as its policy digest.
func InputsDigest(in PolicyInputs) string {
	sum := sha256.Sum256(in.JSON())
	return "inputs:sha256:" + hex.EncodeToString(sum[:])
}

// JSON encodes the inputs for the store.
func (in PolicyInputs) JSON() []byte { return marshal(in) }

// ParseInputs reads a PolicyInputs document.
func ParseInputs(b []byte) (PolicyInputs, error) {
	var in PolicyInputs
	if err := json.Unmarshal(b, &in); err != nil {
		return PolicyInputs{}, fmt.Errorf("policy inputs: %w", err)
	}
	if in.Format != InputsFormat {
		return PolicyInputs{}, fmt.Errorf("policy inputs: format %q, want %q", in.Format, InputsFormat)
	}
	return in, nil
}

func (in PolicyInputs) file(role string) *PolicyFile {
	for i := range in.Files {
		if in.Files[i].Role == role {
			return &in.Files[i]
		}
	}
	return nil
}

func (f *PolicyFile) parse() (*Policy, error) {
	p, err := Parse(f.Name, []byte(f.Text))
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(f.Rego))
	for k, v := range f.Rego {
		files[k] = []byte(v)
	}
	return p.WithRegoFiles(files)
}

// Baseline is the server's baseline alone (nil when there is none): what a changed
// policy file is validated against.
func (in PolicyInputs) Baseline() (*Policy, error) {
	f := in.file(RoleBaseline)
	if f == nil {
		return nil, nil
	}
	return f.parse()
}

// Assemble builds the policy the inputs make, exactly as the loader does: the baseline,
// merged with the org file when there is one, then merged with the repository's file when
// there is one. nil, nil means no policy at all (Missing).
func (in PolicyInputs) Assemble() (*Policy, error) {
	base, err := in.Baseline()
	if err != nil {
		return nil, err
	}
	if f := in.file(RoleOrg); f != nil {
		org, err := f.parse()
		if err != nil {
			return nil, err
		}
		if base, err = Merge(base, org); err != nil {
			return nil, err
		}
	}
	f := in.file(RoleRepo)
	if f == nil {
		return base, nil
	}
	repo, err := f.parse()
	if err != nil {
		return nil, err
	}
	return Merge(base, repo)
}
