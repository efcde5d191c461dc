package e2etest

import (
	"strings"
	"sync"
)

var logMu sync.Mutex

// syncWriter makes a strings.Builder safe for the server's concurrent log writes.
type syncWriter struct{ b *strings.Builder }

func (w syncWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return w.b.Write(p)
}

// LogText returns what the server logged so far.
func (h *Harness) LogText() string {
	logMu.Lock()
	defer logMu.Unlock()
	return h.Logs.String()
}
