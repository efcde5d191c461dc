package policy

import (
	"bytes"
	"encoding/json"

	"github.com/open-policy-agent/opa/v1/ast"
)

// factsValue is the facts as an OPA value: exactly the Facts JSON that RegoInput
// prints, so what `--show-input` shows is what the module reads.
func factsValue(f *Facts) (ast.Value, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return ast.ValueFromReader(bytes.NewReader(b))
}
