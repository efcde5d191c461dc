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

// ResetLogs drops what the server logged so far: a long run (the soak test) would
// otherwise measure the log's growth in its own memory figures.
func (h *Harness) ResetLogs() {
	logMu.Lock()
	defer logMu.Unlock()
	h.Logs.Reset()
}
