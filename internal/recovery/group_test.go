package recovery

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

func attempt(id int64, guid, status string, at time.Time) *github.HookDelivery {
	return &github.HookDelivery{ID: github.Int64(id), GUID: github.String(guid), Status: github.String(status),
		DeliveredAt: &github.Timestamp{Time: at}}
}

func TestGroupByGUID(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	type want struct {
		GUID     string
		OK       bool
		LatestID int64
		Attempts int
	}
	for _, tc := range []struct {
		name string
		in   []*github.HookDelivery // newest first, as listed
		want []want                 // oldest event first
	}{
		{"empty", nil, []want{}},
		{"one ok", []*github.HookDelivery{attempt(1, "a", "OK", at(0))}, []want{{"a", true, 1, 1}}},
		{"failed then ok redelivery",
			[]*github.HookDelivery{attempt(2, "a", "OK", at(5)), attempt(1, "a", "Invalid HTTP Response: 503", at(0))},
			[]want{{"a", true, 2, 2}}},
		{"failed twice: newest attempt is redelivered",
			[]*github.HookDelivery{attempt(7, "a", "Invalid HTTP Response: 502", at(5)), attempt(3, "a", "timed out", at(1))},
			[]want{{"a", false, 7, 2}}},
		{"events ordered oldest first",
			[]*github.HookDelivery{attempt(3, "c", "OK", at(3)), attempt(2, "b", "bad", at(2)), attempt(1, "a", "bad", at(1))},
			[]want{{"a", false, 1, 1}, {"b", false, 2, 1}, {"c", true, 3, 1}}},
		{"a guid-less attempt is ignored", []*github.HookDelivery{{ID: github.Int64(9)}}, []want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := []want{}
			for _, g := range groupByGUID(tc.in) {
				got = append(got, want{g.GUID, g.OK, g.Latest.GetID(), g.Attempts})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("groupByGUID = %+v, want %+v", got, tc.want)
			}
		})
	}
}
