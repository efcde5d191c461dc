package console

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/foureyes/foureyes/internal/evidence"
)

// report serves the period report of one organisation (internal/evidence, the code of
// `foureyes audit report`) as a download. The report covers a whole organisation, so
// only a session that sees the whole organisation (an auditor, its owner) gets it.
func (c *Console) report(w http.ResponseWriter, r *http.Request, s *session) error {
	p, err := parsePeriod(r.URL.Query(), c.now())
	if err != nil {
		return err
	}
	org := r.URL.Query().Get("org")
	if !ownerRE.MatchString(org) {
		return badRequest("org must be an organisation login")
	}
	whole := false
	for _, o := range s.access.Scope.Orgs {
		whole = whole || strings.EqualFold(o, org)
	}
	if !whole {
		return &httpError{http.StatusForbidden, "the period report covers a whole organisation: only its owners and auditors may download it"}
	}
	format := r.URL.Query().Get("format")
	ctype := map[string]string{"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "json": "application/json"}[format]
	if ctype == "" {
		return badRequest("format must be html, md or json")
	}
	sp := p.store()
	var buf bytes.Buffer // the report is small; buffering lets an error still be a page
	if err := evidence.WriteReport(r.Context(), &buf, c.cfg.Store, evidence.ReportQuery{Since: sp.Since, Until: sp.Until, Org: org,
		Format: format, Now: c.now}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="foureyes-report-`+org+"-"+p.SinceDate()+"-"+p.UntilDate()+"."+format+`"`)
	_, _ = w.Write(buf.Bytes())
	c.cfg.Logger.Info().Str("login", s.Login).Str("org", org).Str("format", format).Msg("console: period report downloaded")
	return nil
}

// evidencePackage serves one change's evidence package (the zip `foureyes audit
// evidence` writes). A package carries the chain from the change's first record to the
// head, records of every repository appended since included, so only auditors (who see
// every organisation the app is installed on) download packages.
func (c *Console) evidencePackage(w http.ResponseWriter, r *http.Request, s *session) error {
	repo, err := parseChangePath(r.PathValue("owner"), r.PathValue("repo"))
	if err != nil || !s.access.Scope.Allows(repo) {
		return errNotFound
	}
	if s.access.Role != RoleAuditor {
		return &httpError{http.StatusForbidden, "an evidence package carries the whole chain up to the head, other repositories' records included: only auditors download them"}
	}
	q := evidence.ChangeQuery{Repo: repo}
	name := strings.ReplaceAll(repo, "/", "-")
	if n := r.PathValue("number"); n != "" {
		pr, err := strconv.Atoi(n)
		if err != nil || pr <= 0 {
			return errNotFound
		}
		q.PR, name = pr, name+"-pr"+n
	} else {
		sha := strings.ToLower(r.PathValue("sha"))
		if !shaRE.MatchString(sha) {
			return errNotFound
		}
		q.SHA, name = sha, name+"-"+sha
	}
	var opt evidence.PackageOptions
	if pt, ok := c.cfg.Store.(evidence.PolicyTexts); ok {
		opt.Policies = pt
	}
	opt.Now = c.now
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="foureyes-evidence-`+name+`.zip"`)
	cw := &countingWriter{w: w}
	err = evidence.WritePackage(r.Context(), cw, c.cfg.Store, q, opt)
	switch {
	case errors.Is(err, evidence.ErrNoRecords) && cw.n == 0:
		w.Header().Del("Content-Disposition")
		return errNotFound
	case err != nil && cw.n == 0:
		w.Header().Del("Content-Disposition")
		return err
	case err != nil:
		c.cfg.Logger.Error().Err(err).Msg("console: evidence package cut short") // the zip is then unreadable, never silently short
		return nil
	}
	c.cfg.Logger.Info().Str("login", s.Login).Str("change", name).Msg("console: evidence package downloaded")
	return nil
}

type countingWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
