package evaluate

import (
	"testing"

	"github.com/foureyes/foureyes/policy"
)

func TestSkipDecisions(t *testing.T) {
	reads := policy.Reads{Checks: []string{"build", "test"}, Title: true}
	e := &Evaluator{}
	e.memo().Add(memoKey("o/r", 1), remembered{head: "h1", base: "main", reads: reads,
		listed: map[string]string{"build": "success", "test": "absent", "old-required": "failure"}})
	e.memo().Add(memoKey("o/r", 2), remembered{head: "h2", base: "main", reads: reads,
		listed: map[string]string{"build": "success", "test": "failure"}})
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"unrequired check on the head", e.SkipCheck("o/r", 1, "h1", "lint"), SkipCheckNotRequired},
		{"required check", e.SkipCheck("o/r", 1, "h1", "build"), ""},
		{"listed by the last decision, no longer required", e.SkipCheck("o/r", 1, "h1", "old-required"), ""},
		{"another commit (a push not seen yet)", e.SkipCheck("o/r", 1, "h0", "lint"), ""},
		{"PR never evaluated", e.SkipCheck("o/r", 9, "h1", "lint"), ""},
		{"suite while a required check is absent", e.SkipSuite("o/r", 1, "h1"), ""},
		{"suite with every required check reported", e.SkipSuite("o/r", 2, "h2"), SkipSuiteNoPending},
		{"title edit read by a ticket rule", e.SkipEdit("o/r", 1, true, false, false), ""},
		{"body edit no rule reads", e.SkipEdit("o/r", 1, false, true, false), SkipEditUnread},
		{"base changed", e.SkipEdit("o/r", 1, false, true, true), ""},
		{"edit naming nothing", e.SkipEdit("o/r", 1, false, false, false), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	e.PolicyChanged("o/other", "") // the org policy of the owner "o"
	if got := e.SkipCheck("o/r", 1, "h1", "lint"); got != "" {
		t.Errorf("after an org policy change the memory still skips: %q", got)
	}
}
