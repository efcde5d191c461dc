package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// view is what every page's layout shows around its content.
type view struct {
	Title  string
	Nav    string // the current section
	User   string
	Role   string
	CSRF   string
	Period period
	Data   any
	Extra  map[string]string // hidden fields the period form keeps (the page's filters)
	Status int
	Error  string
}

var funcs = template.FuncMap{
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"pct": func(part, whole int64) string {
		if whole == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", float64(part)*100/float64(whole))
	},
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"roleName": func(r string) string {
		switch r {
		case RoleAuditor:
			return "auditor"
		case RoleOwner:
			return "organisation owner"
		case RoleMaintainer:
			return "repository admin"
		}
		return "no access"
	},
	"split": strings.Split,
}

// render writes a page in the layout.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, v *view) {
	if v == nil {
		v = &view{}
	}
	if s != nil {
		v.User, v.Role, v.CSRF = s.Login, s.access.Role, s.CSRF
	}
	if v.Period.Since.IsZero() {
		v.Period, _ = parsePeriod(r.URL.Query(), c.now())
		if v.Period.Since.IsZero() {
			v.Period = quarter(c.now())
		}
	}
	v.Status = status
	var buf bytes.Buffer
	if err := c.pages.ExecuteTemplate(&buf, name, v); err != nil {
		c.cfg.Logger.Error().Err(err).Str("template", name).Msg("console: render")
		http.Error(w, "cannot render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderError shows an error page with its status; 403 is the "no access" page.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, s *session, e *httpError) {
	c.render(w, r, s, e.status, "error", &view{Title: e.msg, Error: e.msg})
}
