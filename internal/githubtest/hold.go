package githubtest

import (
	"net/http"
	"path"
	"strings"
	"sync"
)

// hold is one Hold rule: matching requests wait until gate closes.
type hold struct {
	method, pattern string
	gate            chan struct{}
	held            chan string
	once            sync.Once
}

// Hold makes every API request whose method and path match (as in Fail) wait, before it
// is answered, until release is called or the request is cancelled. Each held request's
// path is sent on held as it starts waiting (requests past the channel's buffer of 100 are
// held without a report), so a test knows the code under test is inside that call and can
// act then, instead of guessing with SetLatency. release lets every waiting and later
// matching request through; calling it again does nothing.
func (s *Server) Hold(method, pathPattern string) (held <-chan string, release func()) {
	if _, err := path.Match(pathPattern, "/"); err != nil {
		panic("githubtest: Hold: bad pattern " + pathPattern + ": " + err.Error())
	}
	h := &hold{method: method, pattern: pathPattern, gate: make(chan struct{}), held: make(chan string, 100)}
	s.mu.Lock()
	s.holds = append(s.holds, h)
	s.mu.Unlock()
	release = func() {
		h.once.Do(func() {
			s.mu.Lock()
			for i, x := range s.holds {
				if x == h {
					s.holds = append(s.holds[:i:i], s.holds[i+1:]...)
					break
				}
			}
			s.mu.Unlock()
			close(h.gate)
		})
	}
	return h.held, release
}

// waitHolds blocks a request while a Hold rule matches it.
func (s *Server) waitHolds(r *http.Request, apiPath string) {
	s.mu.Lock()
	var match []*hold
	for _, h := range s.holds {
		if h.method != "" && h.method != "*" && !strings.EqualFold(h.method, r.Method) {
			continue
		}
		if ok, _ := path.Match(h.pattern, apiPath); ok {
			match = append(match, h)
		}
	}
	s.mu.Unlock()
	for _, h := range match {
		select {
		case h.held <- apiPath:
		default:
		}
		select {
		case <-h.gate:
		case <-r.Context().Done():
			return
		}
	}
}
