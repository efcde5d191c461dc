package setup

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
)

// assets are the page templates and the stylesheet: embedded, so the binary serves the setup
// page with no file on disk and no external request (it often runs before anything else is
// set up, and the page must not leak the flow to a CDN).
//
//go:embed templates/*.html templates/style.css
var assets embed.FS

var (
	styleCSS = template.CSS(mustRead("templates/style.css"))
	pages    = parsePages("setup", "redirect", "done", "error")
)

func mustRead(name string) []byte {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// parsePages gives each page its own template set: the layout plus that page's "content".
func parsePages(names ...string) map[string]*template.Template {
	base := template.Must(template.ParseFS(assets, "templates/layout.html"))
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		out[n] = template.Must(template.Must(base.Clone()).ParseFS(assets, "templates/"+n+".html"))
	}
	return out
}

// view is what the layout needs; Data is the page's own content.
type view struct {
	Title string
	Nonce string
	CSS   template.CSS
	Data  any
}

// errorPage is the content of every failure: what happened, and how to try again.
type errorPage struct {
	Heading  string
	Message  string
	Detail   string
	RetryURL string // same callback again, when GitHub was only down
	StartURL string // back to the setup page
}

// render writes a page with security headers. The nonce allows exactly our inline style and
// script; no-store and no-referrer keep the code and state out of caches and of the
// Referer sent to GitHub's installation page.
func render(w http.ResponseWriter, status int, page, title string, data any) {
	var nb [16]byte
	_, _ = rand.Read(nb[:])
	nonce := base64.RawStdEncoding.EncodeToString(nb[:])
	var buf bytes.Buffer
	if err := pages[page].ExecuteTemplate(&buf, "layout", view{Title: title, Nonce: nonce, CSS: styleCSS, Data: data}); err != nil {
		http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; script-src 'nonce-"+nonce+"'; img-src data:; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
