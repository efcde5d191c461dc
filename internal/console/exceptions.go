package console

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/store"
)

type exceptionsData struct {
	Items []exceptionItem
	// Emergencies are the emergency changes merged in the period, with the state of the
	// independent review each owes (open, overdue, closed by a pir record).
	Emergencies  []emergencyItem
	Open         bool
	Dispositions []string
	Added        int64 // the seq of a note just added, to say so
}

type exceptionItem struct {
	store.Exception
	MayNote   bool
	ChangeURL string
	Notes     []note
}

type emergencyItem struct {
	audit.Exception
	ChangeURL string
}

// note is a review note as shown.
type note struct {
	Seq         int64
	Author      string
	At          string
	Disposition string
	Text        string
}

// noteFacts is the evidence of a review note record.
type noteFacts struct {
	Author      string `json:"author"`
	Time        string `json:"time"`
	Text        string `json:"text"`
	Disposition string `json:"disposition"`
	RecordSeq   int64  `json:"record_seq"`
	RecordHash  string `json:"record_hash"`
	Role        string `json:"role"`
}

func changeURL(r store.Record) string {
	owner, repo, ok := cut(r.Repository)
	if !ok || parseOK(owner, repo) != nil {
		return ""
	}
	switch {
	case r.PR > 0:
		return "/console/changes/" + r.Repository + "/pull/" + strconv.Itoa(r.PR)
	case shaRE.MatchString(r.SHA):
		return "/console/changes/" + r.Repository + "/commit/" + r.SHA
	}
	return ""
}

func parseOK(owner, repo string) error {
	_, err := parseChangePath(owner, repo)
	return err
}

func (c *Console) exceptions(w http.ResponseWriter, r *http.Request, s *session) error {
	p, err := parsePeriod(r.URL.Query(), c.now())
	if err != nil {
		return err
	}
	open := r.URL.Query().Get("open") == "1"
	ex, err := c.cfg.Store.Exceptions(r.Context(), s.access.Scope, p.store(), open, 500)
	if err != nil {
		return err
	}
	d := exceptionsData{Open: open, Dispositions: dispositions}
	if a, err := strconv.ParseInt(r.URL.Query().Get("added"), 10, 64); err == nil {
		d.Added = a
	}
	for _, e := range ex {
		it := exceptionItem{Exception: e, MayNote: s.access.MayNote(e.Repository), ChangeURL: changeURL(e.Record)}
		for _, n := range e.Notes {
			var f noteFacts
			_ = json.Unmarshal(n.Facts, &f)
			it.Notes = append(it.Notes, note{Seq: n.Seq, Author: n.Actor, At: n.RecordedAt.UTC().Format("2006-01-02 15:04 UTC"), Disposition: n.Outcome, Text: f.Text})
		}
		d.Items = append(d.Items, it)
	}
	sp := p.store()
	scope := s.access.Scope
	ems, err := audit.Emergencies(r.Context(), c.cfg.Store, audit.ExceptionQuery{Since: sp.Since, Until: sp.Until, Scope: &scope, Now: c.now()})
	if err != nil {
		return err
	}
	for _, x := range ems {
		if open && x.Status == audit.ExceptionClosed {
			continue
		}
		d.Emergencies = append(d.Emergencies, emergencyItem{Exception: x,
			ChangeURL: changeURL(store.Record{Repository: x.Repo, PR: x.PR, SHA: x.SHA})})
	}
	c.render(w, r, s, http.StatusOK, "exceptions", &view{Title: "Violations and exceptions", Nav: "exceptions", Period: p, Data: d})
	return nil
}

// addNote appends a review note on an exception as its own audit record. It never
// changes the exception: the note names it by sequence number and hash.
func (c *Console) addNote(w http.ResponseWriter, r *http.Request, s *session) error {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq <= 0 {
		return errNotFound
	}
	e, err := c.cfg.Store.ExceptionBySeq(r.Context(), s.access.Scope, seq)
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	if !s.access.MayNote(e.Repository) {
		return &httpError{http.StatusForbidden, "only auditors and organisation owners add review notes"}
	}
	disp, text, err := parseNote(r.PostFormValue("disposition"), r.PostFormValue("text"))
	if err != nil {
		return err
	}
	now := c.now().UTC()
	facts, _ := json.Marshal(noteFacts{Author: s.Login, Time: now.Format("2006-01-02T15:04:05Z"), Text: text, Disposition: disp,
		RecordSeq: e.Seq, RecordHash: e.Hash, Role: s.access.Role})
	rec, err := c.cfg.Store.Append(r.Context(), store.Record{Kind: store.KindReviewNote, Installation: e.Installation,
		Repository: e.Repository, PR: e.PR, SHA: e.SHA, Subject: store.ReviewNoteSubject(e.Seq), Actor: s.Login, Outcome: disp, Facts: facts,
		// A form posted twice (a reload, a retry) is one note.
		FactKey: "review_note:" + itoa(e.Seq) + ":" + s.Login + ":" + disp + ":" + digest(text)})
	if err != nil {
		return err
	}
	c.cfg.Logger.Info().Str("login", s.Login).Int64("exception_seq", e.Seq).Int64("note_seq", rec.Seq).Str("disposition", disp).Msg("console: review note added")
	back := "/console/exceptions?added=" + itoa(rec.Seq)
	if q := r.PostFormValue("period"); q != "" {
		if pp, err := parsePeriod(parseQuery(q), c.now()); err == nil {
			back += "&" + string(pp.Query())
		}
	}
	http.Redirect(w, r, back+"#ex-"+itoa(e.Seq), http.StatusSeeOther)
	return nil
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
