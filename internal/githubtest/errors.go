package githubtest

import (
	"encoding/json"
	"net/http"
	"path"
	"strconv"
	"strings"
)

const docsURL = "https://docs.github.com/enterprise-server@3.14/rest"

type failure struct {
	method  string
	pattern string
	status  int
	times   int
	headers map[string]string
}

// Fail makes the next `times` API requests whose method matches (case-insensitive; "" or "*"
// matches any) and whose path without /api/v3 matches pathPattern (path.Match, for example
// "/repos/acme/pay/pulls/*/reviews") get status, with headers added to the answer.
// A 403 or 429 with "x-ratelimit-remaining: 0" answers a primary rate-limit error; a 403 or 429
// with "Retry-After" answers a secondary rate-limit error (go-github's AbuseRateLimitError).
// times <= 0 means every matching request from now on. Rules are tried in the order added.
func (s *Server) Fail(method, pathPattern string, status int, times int, headers map[string]string) {
	if _, err := path.Match(pathPattern, "/"); err != nil {
		panic("githubtest: Fail: bad pattern " + pathPattern + ": " + err.Error())
	}
	h := map[string]string{}
	for k, v := range headers {
		h[k] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &failure{method: method, pattern: pathPattern, status: status, times: times, headers: h})
}

// ClearFailures removes every pending Fail rule.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = nil
}

func (s *Server) takeFailure(method, apiPath string) *failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.randomFailure.take(); f != nil {
		return f
	}
	for i, f := range s.failures {
		if f.method != "" && f.method != "*" && !strings.EqualFold(f.method, method) {
			continue
		}
		if ok, _ := path.Match(f.pattern, apiPath); !ok {
			continue
		}
		if f.times > 0 {
			f.times--
			if f.times == 0 {
				s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
			}
		}
		return f
	}
	return nil
}

func writeFailure(w http.ResponseWriter, f *failure) {
	get := func(name string) string {
		for k, v := range f.headers {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return ""
	}
	for k, v := range f.headers {
		w.Header().Set(k, v)
	}
	msg := http.StatusText(f.status)
	doc := docsURL
	switch {
	case (f.status == 403 || f.status == 429) && get("x-ratelimit-remaining") == "0":
		msg = "API rate limit exceeded for installation."
		doc = docsURL + "/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
	case (f.status == 403 || f.status == 429) && get("Retry-After") != "":
		msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
		doc = docsURL + "/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	case f.status == 422:
		msg = "Validation Failed"
	case f.status == 404:
		msg = "Not Found"
	case f.status == 401:
		msg = "Bad credentials"
	}
	if f.status == http.StatusNoContent || f.status == http.StatusNotModified {
		w.WriteHeader(f.status)
		return
	}
	writeJSON(w, f.status, map[string]any{"message": msg, "documentation_url": doc, "status": strconv.Itoa(f.status)})
}

// writeError answers a GitHub-shaped error: {"message", "documentation_url", "status"}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": docsURL, "status": strconv.Itoa(status)})
}

// writeValidation answers 422 with one error entry, as GitHub does for bad input.
func writeValidation(w http.ResponseWriter, resource, field, code, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Invalid request.\n\n" + msg, "documentation_url": docsURL, "status": "422",
		"errors": []map[string]string{{"resource": resource, "field": field, "code": code, "message": msg}},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
