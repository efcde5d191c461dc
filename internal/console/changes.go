package console

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/store"
)

// pageSize is how many records one changes page lists.
const pageSize = 50

type changesData struct {
	Filter   populationFilter
	Records  []store.Record
	Count    int64
	Next     int64 // the before= of the next page, 0 on the last
	Kinds    []string
	Download template.URL // the query of the download links (escaped parts)
}

func (c *Console) populationQuery(r *http.Request, s *session) (period, populationFilter, store.PopulationQuery, error) {
	p, err := parsePeriod(r.URL.Query(), c.now())
	if err != nil {
		return p, populationFilter{}, store.PopulationQuery{}, err
	}
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		return p, f, store.PopulationQuery{}, err
	}
	return p, f, store.PopulationQuery{Scope: s.access.Scope, Period: p.store(), Repo: f.Repo, Kinds: kindAliases[f.Kind],
		Actor: f.Actor, Outcome: f.Outcome, BeforeSeq: f.Before, Limit: pageSize + 1}, nil
}

func (c *Console) changes(w http.ResponseWriter, r *http.Request, s *session) error {
	p, f, q, err := c.populationQuery(r, s)
	if err != nil {
		return err
	}
	recs, err := c.cfg.Store.Population(r.Context(), q)
	if err != nil {
		return err
	}
	d := changesData{Filter: f, Records: recs, Kinds: kindNames}
	if len(recs) > pageSize {
		d.Records, d.Next = recs[:pageSize], recs[pageSize-1].Seq
	}
	q.BeforeSeq = 0
	if d.Count, err = c.cfg.Store.CountPopulation(r.Context(), q); err != nil {
		return err
	}
	d.Download = p.Query()
	if fq := f.Query(); fq != "" {
		d.Download += "&" + fq
	}
	extra := map[string]string{}
	for k, v := range map[string]string{"repo": f.Repo, "kind": f.Kind, "actor": f.Actor, "outcome": f.Outcome} {
		if v != "" {
			extra[k] = v
		}
	}
	c.render(w, r, s, http.StatusOK, "changes", &view{Title: "Changes", Nav: "changes", Period: p, Data: d, Extra: extra})
	return nil
}

// download streams the population as CSV or JSON lines through audit.Export, the code
// `foureyes audit export` runs: the same columns, the same trailer line carrying the
// manifest (query, extraction time, row count, SHA-256, chain head), which is also sent
// as the HTTP trailer Foureyes-Export-Manifest.
func (c *Console) download(w http.ResponseWriter, r *http.Request, s *session) error {
	p, f, _, err := c.populationQuery(r, s)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	ctype := map[string]string{"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}[format]
	if ctype == "" {
		return badRequest("format must be csv or jsonl")
	}
	scope := s.access.Scope
	sp := p.store()
	q := audit.ExportQuery{Format: format, Since: sp.Since, Until: sp.Until, Repo: f.Repo, Kinds: kindAliases[f.Kind],
		Actor: f.Actor, Outcome: f.Outcome, Scope: &scope}
	name := "foureyes-population-" + p.SinceDate() + "-" + p.UntilDate() + "." + format
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Trailer", "Foureyes-Export-Manifest")
	m, err := audit.Export(r.Context(), c.cfg.Store, w, q, c.cfg.StoreName)
	if err != nil {
		// The status is sent: the trailer is what tells a reader the file is incomplete.
		c.cfg.Logger.Error().Err(err).Msg("console: download")
		w.Header().Set("Foureyes-Export-Manifest", `{"error":"export failed: the file is incomplete"}`)
		return nil
	}
	if c.cfg.PublicKey != nil {
		if pk, err := audit.PublishKey(r.Context(), c.cfg.Store, c.cfg.PublicKey); err == nil {
			m.SetKey(pk)
		}
	}
	if err := audit.WriteTrailer(w, m); err != nil {
		return nil
	}
	raw, _ := json.Marshal(m)
	w.Header().Set("Foureyes-Export-Manifest", string(raw))
	c.cfg.Logger.Info().Str("login", s.Login).Str("format", format).Int64("rows", m.RowCount).Str("sha256", m.SHA256).
		Str("filter", f.String()).Msg("console: population downloaded")
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
