package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

func at(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC) }

func reportRecords() []store.Record {
	recs := []store.Record{
		{Kind: KindControlHealth, Repository: "acme/pay", Subject: "branch:main", Outcome: "enforced", RecordedAt: at(1, 0)},
		{Kind: store.KindMerge, Repository: "acme/pay", PR: 1, SHA: "m1", Actor: "bob", Outcome: "pass", RecordedAt: at(2, 10)},
		{Kind: store.KindMerge, Repository: "acme/pay", PR: 2, SHA: "m2", Actor: "root", Outcome: "fail", RecordedAt: at(3, 10)},
		{Kind: store.KindViolation, Repository: "acme/pay", PR: 2, SHA: "m2", Actor: "root", Outcome: "violation", RecordedAt: at(3, 10),
			Facts: json.RawMessage(`{"violation":"merged while the foureyes decision was <b>fail</b> | x"}`)},
		{Kind: KindControlHealth, Repository: "acme/pay", Subject: "branch:main", Outcome: "missing", RecordedAt: at(4, 0)},
		{Kind: store.KindViolation, Repository: "acme/pay", SHA: "d1", Subject: "push:d1", Actor: "root", Outcome: "violation", RecordedAt: at(4, 12),
			Facts: json.RawMessage(`{"reason":"pushed directly to main","commits":["d1"]}`)},
		{Kind: KindControlHealth, Repository: "acme/pay", Subject: "branch:main", Outcome: "enforced", RecordedAt: at(5, 0)},
		{Kind: KindEmergency, Repository: "acme/pay", PR: 3, Actor: "oncall", RecordedAt: at(6, 3), Facts: json.RawMessage(`{"reference":"INC-1","reason":"outage"}`)},
		{Kind: store.KindMerge, Repository: "acme/pay", PR: 3, SHA: "m3", Actor: "oncall", Outcome: "pass", RecordedAt: at(6, 4)},
		{Kind: KindPIR, Repository: "acme/pay", PR: 3, Actor: "carol", RecordedAt: at(7, 9)},
		{Kind: store.KindDeploymentDecision, Repository: "acme/pay", SHA: "m1", Subject: "run:1/env:production", Outcome: "approved", RecordedAt: at(2, 11)},
		{Kind: store.KindDeploymentDecision, Repository: "acme/pay", SHA: "m2", Subject: "run:2/env:production", Outcome: "rejected", RecordedAt: at(3, 11)},
		{Kind: store.KindDeploymentDecision, Repository: "acme/pay", SHA: "m2", Subject: "run:2/env:staging", Outcome: "approved", RecordedAt: at(3, 11)},
		{Kind: KindControlHealth, Repository: "other/x", Subject: "branch:main", Outcome: "unpinned", RecordedAt: at(1, 0)},
		{Kind: store.KindMerge, Repository: "other/x", PR: 9, SHA: "o9", Outcome: "pass", RecordedAt: at(2, 0)},
	}
	for i := range recs {
		recs[i].Seq = int64(i + 1)
	}
	recs = append(recs, store.Record{Seq: 16, Kind: KindReviewNote, Subject: "seq:4", Repository: "acme/pay", Actor: "auditor", Outcome: "explained", RecordedAt: at(20, 0),
		Facts: json.RawMessage(`{"text":"hotfix approved by CAB <later>"}`)})
	return recs
}

func TestReportGolden(t *testing.T) {
	for _, format := range []string{"md", "json", "html"} {
		t.Run(format, func(t *testing.T) {
			rep := Report{Query: ReportQuery{Since: at(1, 0), Until: at(15, 0), Org: "acme"}, GeneratedAt: at(21, 0), Version: "test",
				Chain: ChainStatus{Verified: true, Records: 16, HeadSeq: 16, HeadHash: strings.Repeat("e", 64)}}
			buildReport(&rep, reportRecords(), at(21, 0))
			var b bytes.Buffer
			if err := RenderReport(&b, rep, format); err != nil {
				t.Fatal(err)
			}
			golden(t, "report."+format, b.Bytes())
			if rep.Merges != 3 || rep.MergedWithPass != 2 || len(rep.Exceptions) != 2 || len(rep.Emergencies) != 1 || len(rep.Emergencies[0].Reviews) != 1 {
				t.Errorf("merges %d pass %d exceptions %d emergencies %+v", rep.Merges, rep.MergedWithPass, len(rep.Exceptions), rep.Emergencies)
			}
			if len(rep.Exceptions[0].Notes) != 1 || len(rep.Exceptions[1].Notes) != 0 {
				t.Errorf("review notes: %+v", rep.Exceptions)
			}
			if format == "html" && (strings.Contains(b.String(), "<b>fail</b>") || strings.Contains(b.String(), "<later>")) {
				t.Error("the HTML report does not escape record text")
			}
		})
	}
}

func TestHealthIntervals(t *testing.T) {
	recs := reportRecords()
	for _, tc := range []struct {
		name         string
		since, until time.Time
		want         string
	}{
		{"whole period", at(1, 0), at(15, 0), "acme/pay enforced 1-4 missing 4-5 enforced 5-15 false|other/x unpinned 1-15 false"},
		{"inside an enforced span", at(6, 0), at(8, 0), "acme/pay enforced 6-8 true|other/x unpinned 6-8 false"},
		{"before the first probe", time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC), at(2, 0), "acme/pay not probed 30-1 enforced 1-2 false|other/x not probed 30-1 unpinned 1-2 false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var parts []string
			for _, h := range HealthIntervals(recs, tc.since, tc.until, at(21, 0), "") {
				s := h.Repository
				for _, iv := range h.Intervals {
					s += " " + iv.State + " " + itoa(iv.From.Day()) + "-" + itoa(iv.Until.Day())
				}
				if h.EnforcedThroughout {
					s += " true"
				} else {
					s += " false"
				}
				parts = append(parts, s)
			}
			if got := strings.Join(parts, "|"); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// The report verifies the chain it reports on and says so.
func TestReportOnStore(t *testing.T) {
	st := changeStore(t)
	var b bytes.Buffer
	if err := WriteReport(context.Background(), &b, st, ReportQuery{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	_, head, _ := st.Head(context.Background())
	if !rep.Chain.Verified || rep.Chain.HeadHash != head || rep.Merges != 1 || rep.MergedWithPass != 1 {
		t.Errorf("report %+v", rep)
	}
}
