package health

import (
	"encoding/json"
	"fmt"
)

// Protection is the part of classic branch protection
// (GET /repos/{o}/{r}/branches/{b}/protection) the classification reads.
type Protection struct {
	RequiredStatusChecks *struct {
		Contexts []string `json:"contexts"` // deprecated: by name only
		Checks   []struct {
			Context string `json:"context"`
			AppID   *int64 `json:"app_id"` // nil or -1: any app
		} `json:"checks"`
	} `json:"required_status_checks"`
	RequiredPullRequestReviews *json.RawMessage `json:"required_pull_request_reviews"`
}

// ParseProtection decodes a classic branch protection response.
func ParseProtection(body []byte) (Protection, error) {
	var p Protection
	if err := json.Unmarshal(body, &p); err != nil {
		return Protection{}, fmt.Errorf("decode branch protection: %w", err)
	}
	return p, nil
}
