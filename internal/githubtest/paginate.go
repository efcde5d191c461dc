package githubtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// pageBounds reads per_page (default 30, max 100) and page (from 1), sets the Link header
// (rel next, last, first, prev as GitHub does) and returns the slice bounds.
func pageBounds(w http.ResponseWriter, r *http.Request, n int) (start, end int) {
	q := r.URL.Query()
	per := 30
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	page := 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	last := (n + per - 1) / per
	if last < 1 {
		last = 1
	}
	link := func(p int, rel string) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set("page", strconv.Itoa(p))
		if q.Get("per_page") != "" {
			q2.Set("per_page", strconv.Itoa(per))
		}
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q2.Encode()}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	start = min((page-1)*per, n)
	end = min(start+per, n)
	return start, end
}

// paginate answers one page of items as a JSON array (never null).
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) {
	start, end := pageBounds(w, r, len(items))
	page := items[start:end]
	if page == nil {
		page = []T{}
	}
	writeJSON(w, http.StatusOK, page)
}
