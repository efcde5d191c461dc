package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// day is the summary tables' key of a time: its UTC date.
const dayFormat = "2006-01-02"

// periodDays is the period as summary-table days: [since, until).
func periodDays(p Period) (string, string) {
	since, until := "0000-00-00", "9999-99-99"
	if !p.Since.IsZero() {
		since = p.Since.UTC().Format(dayFormat)
	}
	if !p.Until.IsZero() {
		until = p.Until.UTC().Format(dayFormat)
	}
	return since, until
}

// PostureOf reads the summary tables: per repository and kind, per day for merges, and
// the exceptions with whether a note exists. No query reads audit_records itself.
func (s *sqlStore) PostureOf(ctx context.Context, scope Scope, p Period) (Posture, error) {
	since, until := periodDays(p)
	cond, sargs := scope.where("repository")
	args := append([]any{since, until}, sargs...)
	byRepo := map[string]*RepoPosture{}
	repo := func(name string) *RepoPosture {
		if r := byRepo[name]; r != nil {
			return r
		}
		r := &RepoPosture{Repo: name}
		byRepo[name] = r
		return r
	}
	rows, err := s.query(ctx, `SELECT repository, kind, outcome, no_policy, SUM(n) FROM audit_daily
		WHERE day >= ? AND day < ? AND `+cond+`
		AND kind IN ('merge', 'violation', 'deployment_decision', 'pr_decision')
		GROUP BY repository, kind, outcome, no_policy`, args...)
	if err != nil {
		return Posture{}, fmt.Errorf("posture: %w", err)
	}
	for rows.Next() {
		var (
			name, kind, outcome string
			noPolicy            bool
			n                   int64
		)
		if err := rows.Scan(&name, &kind, &outcome, &noPolicy, &n); err != nil {
			rows.Close()
			return Posture{}, fmt.Errorf("posture: %w", err)
		}
		r := repo(name)
		switch Kind(kind) {
		case KindMerge:
			r.Merged += n
			if outcome == "pass" {
				r.MergedPass += n
			}
		case KindViolation:
			r.Violations += n
		case KindDeploymentDecision:
			switch outcome {
			case "approved":
				r.DeployApproved += n
			case "rejected":
				r.DeployRejected += n
			}
		case KindPRDecision:
			r.Decisions += n
			r.NoPolicy = r.NoPolicy || noPolicy
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Posture{}, fmt.Errorf("posture: %w", err)
	}

	// Exceptions, and the open ones: no review note names them.
	ecol, eargs := scope.where("e.repository")
	sinceAt, untilAt := periodBounds(p)
	rows, err = s.query(ctx, `SELECT e.repository, COUNT(*), SUM(CASE WHEN e.notes = 0 THEN 1 ELSE 0 END)
		FROM audit_exceptions e WHERE e.recorded_at >= ? AND e.recorded_at < ? AND `+ecol+`
		GROUP BY e.repository`, append([]any{sinceAt, untilAt}, eargs...)...)
	if err != nil {
		return Posture{}, fmt.Errorf("posture exceptions: %w", err)
	}
	for rows.Next() {
		var (
			name      string
			all, open int64
		)
		if err := rows.Scan(&name, &all, &open); err != nil {
			rows.Close()
			return Posture{}, fmt.Errorf("posture exceptions: %w", err)
		}
		r := repo(name)
		r.Exceptions, r.OpenExceptions = all, open
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Posture{}, fmt.Errorf("posture exceptions: %w", err)
	}

	var out Posture
	rows, err = s.query(ctx, `SELECT day, outcome, SUM(n) FROM audit_daily
		WHERE day >= ? AND day < ? AND `+cond+` AND kind = 'merge' GROUP BY day, outcome ORDER BY day`, args...)
	if err != nil {
		return Posture{}, fmt.Errorf("posture by day: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			day, outcome string
			n            int64
		)
		if err := rows.Scan(&day, &outcome, &n); err != nil {
			return Posture{}, fmt.Errorf("posture by day: %w", err)
		}
		if len(out.Days) == 0 || out.Days[len(out.Days)-1].Day != day {
			out.Days = append(out.Days, DayPosture{Day: day})
		}
		d := &out.Days[len(out.Days)-1]
		d.Merged += n
		if outcome == "pass" {
			d.MergedPass += n
		}
	}
	if err := rows.Err(); err != nil {
		return Posture{}, fmt.Errorf("posture by day: %w", err)
	}
	for _, r := range byRepo {
		if r.Repo == "" { // installation records name no repository
			continue
		}
		out.Repos = append(out.Repos, *r)
	}
	sort.Slice(out.Repos, func(i, j int) bool { return out.Repos[i].Repo < out.Repos[j].Repo })
	return out, nil
}

// periodBounds is the period as recorded_at text bounds.
func periodBounds(p Period) (string, string) {
	since, until := "0000", "9999"
	if !p.Since.IsZero() {
		since = FormatTime(p.Since)
	}
	if !p.Until.IsZero() {
		until = FormatTime(p.Until)
	}
	return since, until
}

// seqRange turns the period into a range of sequence numbers: recorded_at never goes
// backwards along the chain, so the records of a period are one contiguous range, and
// every other filter then runs on an index ending in seq.
func (s *sqlStore) seqRange(ctx context.Context, p Period) (lo, hi int64, err error) {
	lo, hi = 1, 1<<62
	// One index probe each on (recorded_at, seq): the first record of the period and the
	// last before its end.
	if !p.Since.IsZero() {
		err := s.queryRow(ctx, `SELECT seq FROM audit_records WHERE recorded_at >= ? ORDER BY recorded_at, seq LIMIT 1`, FormatTime(p.Since)).Scan(&lo)
		if errors.Is(err, sql.ErrNoRows) {
			return 1, 0, nil // nothing since
		}
		if err != nil {
			return 0, 0, err
		}
	}
	if !p.Until.IsZero() {
		err := s.queryRow(ctx, `SELECT seq FROM audit_records WHERE recorded_at < ? ORDER BY recorded_at DESC, seq DESC LIMIT 1`, FormatTime(p.Until)).Scan(&hi)
		if errors.Is(err, sql.ErrNoRows) {
			return 1, 0, nil
		}
		if err != nil {
			return 0, 0, err
		}
	}
	return lo, hi, nil
}

// populationWhere is the query's WHERE clause over seq range [lo, hi].
func populationWhere(q PopulationQuery, lo, hi int64) (string, []any) {
	conds := []string{"r.seq >= ?", "r.seq <= ?"}
	args := []any{lo, hi}
	if q.BeforeSeq > 0 {
		conds, args = append(conds, "r.seq < ?"), append(args, q.BeforeSeq)
	}
	cond, sargs := q.Scope.where("r.repository")
	conds, args = append(conds, cond), append(args, sargs...)
	if q.Repo != "" {
		conds, args = append(conds, "r.repository = ?"), append(args, q.Repo)
	}
	if len(q.Kinds) > 0 {
		ph := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			ph[i] = "?"
			args = append(args, string(k))
		}
		conds = append(conds, "r.kind IN ("+strings.Join(ph, ", ")+")")
	}
	if q.Actor != "" {
		conds, args = append(conds, "r.actor = ?"), append(args, q.Actor)
	}
	if q.Outcome != "" {
		conds, args = append(conds, "r.outcome = ?"), append(args, q.Outcome)
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Population returns one page of records, newest first, without documents.
func (s *sqlStore) Population(ctx context.Context, q PopulationQuery) ([]Record, error) {
	lo, hi, err := s.seqRange(ctx, q.Period)
	if err != nil {
		return nil, fmt.Errorf("population: %w", err)
	}
	if lo > hi {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	where, args := populationWhere(q, lo, hi)
	var out []Record
	err = s.streamRecords(ctx, colsNone, where, args, ` ORDER BY r.seq DESC LIMIT `+itoa(int64(limit)), func(c *ChainRecord) error {
		out = append(out, c.Record)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("population: %w", err)
	}
	return out, nil
}

// CountPopulation counts what the query selects. Without an actor filter it is read
// from the daily summary (exact for whole-day periods, which the console uses).
func (s *sqlStore) CountPopulation(ctx context.Context, q PopulationQuery) (int64, error) {
	var n sql.NullInt64
	if q.Actor == "" && q.BeforeSeq == 0 {
		since, until := periodDays(q.Period)
		cond, sargs := q.Scope.where("repository")
		conds, args := []string{"day >= ?", "day < ?", cond}, append([]any{since, until}, sargs...)
		if q.Repo != "" {
			conds, args = append(conds, "repository = ?"), append(args, q.Repo)
		}
		if len(q.Kinds) > 0 {
			ph := make([]string, len(q.Kinds))
			for i, k := range q.Kinds {
				ph[i] = "?"
				args = append(args, string(k))
			}
			conds = append(conds, "kind IN ("+strings.Join(ph, ", ")+")")
		}
		if q.Outcome != "" {
			conds, args = append(conds, "outcome = ?"), append(args, q.Outcome)
		}
		if err := s.queryRow(ctx, `SELECT SUM(n) FROM audit_daily WHERE `+strings.Join(conds, " AND "), args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("count population: %w", err)
		}
		return n.Int64, nil
	}
	lo, hi, err := s.seqRange(ctx, q.Period)
	if err != nil {
		return 0, fmt.Errorf("count population: %w", err)
	}
	if lo > hi {
		return 0, nil
	}
	where, args := populationWhere(q, lo, hi)
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM audit_records r`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count population: %w", err)
	}
	return n.Int64, nil
}

// Exceptions returns the period's exceptions, newest first, with their notes.
func (s *sqlStore) Exceptions(ctx context.Context, scope Scope, p Period, open bool, limit int) ([]Exception, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	sinceAt, untilAt := periodBounds(p)
	cond, sargs := scope.where("e.repository")
	where := ` JOIN audit_exceptions e ON e.seq = r.seq WHERE e.recorded_at >= ? AND e.recorded_at < ? AND ` + cond
	if open {
		where += ` AND e.notes = 0`
	}
	return s.exceptions(ctx, where, append([]any{sinceAt, untilAt}, sargs...), ` ORDER BY r.seq DESC LIMIT `+itoa(int64(limit)))
}

// ExceptionBySeq returns one exception in scope.
func (s *sqlStore) ExceptionBySeq(ctx context.Context, scope Scope, seq int64) (Exception, error) {
	cond, sargs := scope.where("e.repository")
	out, err := s.exceptions(ctx, ` JOIN audit_exceptions e ON e.seq = r.seq WHERE e.seq = ? AND `+cond, append([]any{seq}, sargs...), ``)
	if err != nil {
		return Exception{}, err
	}
	if len(out) == 0 {
		return Exception{}, ErrNotFound
	}
	return out[0], nil
}

func (s *sqlStore) exceptions(ctx context.Context, where string, args []any, suffix string) ([]Exception, error) {
	var out []Exception
	err := s.streamRecords(ctx, colsNone, where, args, suffix, func(c *ChainRecord) error {
		out = append(out, Exception{Record: c.Record})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	idx := map[string]int{}
	subjects := make([]any, len(out))
	for i := range out {
		subj := ReviewNoteSubject(out[i].Seq)
		idx[subj], subjects[i] = i, subj
	}
	rows, err := s.query(ctx, `SELECT seq, exception FROM audit_exceptions WHERE seq IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(out)), ", ")+`)`, seqArgs(out)...)
	if err != nil {
		return nil, fmt.Errorf("exception kinds: %w", err)
	}
	kindOf := map[int64]string{}
	for rows.Next() {
		var (
			seq int64
			e   string
		)
		if err := rows.Scan(&seq, &e); err != nil {
			rows.Close()
			return nil, err
		}
		kindOf[seq] = e
	}
	rows.Close()
	for i := range out {
		out[i].Exception = kindOf[out[i].Seq]
	}
	err = s.streamRecords(ctx, colsDocs, ` WHERE r.kind = 'review_note' AND r.subject IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(subjects)), ", ")+`)`, subjects, ` ORDER BY r.seq`, func(c *ChainRecord) error {
		if i, ok := idx[c.Subject]; ok {
			n := c.Record
			n.Facts = append([]byte(nil), n.Facts...)
			n.Decision = nil
			out[i].Notes = append(out[i].Notes, n)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("review notes: %w", err)
	}
	return out, nil
}

func seqArgs(es []Exception) []any {
	out := make([]any, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}
