package server

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/jackc/pgx/v5/pgconn"
)

// A delivery whose failure may go away is retried, never marked failed: GitHub errors,
// a store that is down or deadlocked, and GitHub failing the installation token request.
func TestDeliveryErrorIsTransientUnit(t *testing.T) {
	token := func(status int) error {
		return &url.Error{Op: "Get", URL: "https://api.github.com/repos/o/r", Err: &ghinstallation.HTTPError{
			Message: "could not refresh installation id 1's token", Response: &http.Response{StatusCode: status}}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"PostgreSQL restart", fmt.Errorf("list recorded pushes: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"deadlock", fmt.Errorf("append: %w", &pgconn.PgError{Code: "40P01"}), true},
		{"token request answered 502", token(502), true},
		{"token request answered 429", token(429), true},
		{"token request refused 401", token(401), false},
		{"a bad payload", fmt.Errorf("decode pull_request payload: unexpected end"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isTransient(tt.err); got != tt.want {
				t.Errorf("isTransient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
