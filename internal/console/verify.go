package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/store"
)

// verifyCheckpoint keeps the last verification's result, so every replica shows it.
const verifyCheckpoint = "console.verify.last"

// verifyTimeout bounds one background verification.
const verifyTimeout = 30 * time.Minute

// verification is one run of audit.Verify from the console.
type verification struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	By         string    `json:"by"`
	OK         bool      `json:"ok"`
	Records    int64     `json:"records"`
	HeadSeq    int64     `json:"head_seq"`
	HeadHash   string    `json:"head_hash"`
	BadSeq     int64     `json:"bad_seq,omitempty"` // the first record that does not verify
	Problem    string    `json:"problem,omitempty"`
}

// verifier runs at most one verification at a time in the background.
type verifier struct {
	st     ConsoleStore
	now    func() time.Time
	logger zerolog.Logger

	mu      sync.Mutex
	running bool
	target  int64        // the head when it started
	seen    atomic.Int64 // records read so far
	cancel  context.CancelFunc
	done    chan struct{}
}

func newVerifier(st ConsoleStore, now func() time.Time, logger zerolog.Logger) *verifier {
	return &verifier{st: st, now: now, logger: logger}
}

// start begins a verification unless one runs; it returns at once.
func (v *verifier) start(by string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.running {
		return nil
	}
	head, _, err := v.st.Head(context.Background())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), verifyTimeout)
	v.running, v.target, v.cancel, v.done = true, head, cancel, make(chan struct{})
	v.seen.Store(0)
	go v.run(ctx, by)
	return nil
}

func (v *verifier) run(ctx context.Context, by string) {
	defer func() {
		v.mu.Lock()
		v.running = false
		v.cancel()
		close(v.done)
		v.mu.Unlock()
	}()
	res := verification{StartedAt: v.now().UTC(), By: by}
	cr := &countingReader{ChainReader: v.st, seen: &v.seen}
	var src store.ChainReader = cr
	if cs, ok := v.st.(store.CanonicalScanner); ok {
		src = &canonicalReader{countingReader: cr, cs: cs}
	}
	r, err := audit.Verify(ctx, src, "")
	var ce *audit.ChainError
	switch {
	case errors.As(err, &ce):
		res.BadSeq, res.Problem = ce.Seq, ce.Error()
	case err != nil:
		res.Problem = "verification did not finish: " + err.Error()
	default:
		res.OK, res.Records, res.HeadSeq, res.HeadHash = true, r.Records, r.HeadSeq, r.Head
	}
	res.FinishedAt = v.now().UTC()
	raw, _ := json.Marshal(res)
	if err := v.st.SetCheckpoint(context.Background(), verifyCheckpoint, string(raw)); err != nil {
		v.logger.Error().Err(err).Msg("console: store verification result")
	}
	v.logger.Info().Bool("ok", res.OK).Int64("records", res.Records).Str("problem", res.Problem).Msg("console: audit chain verified")
}

// progress says whether a verification runs, and how far it is (0..1).
func (v *verifier) progress() (bool, float64, int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.running {
		return false, 0, 0
	}
	if v.target == 0 {
		return true, 0, 0
	}
	return true, min(float64(v.seen.Load())/float64(v.target), 0.99), v.target
}

func (v *verifier) stop() {
	v.mu.Lock()
	cancel, done := v.cancel, v.done
	running := v.running
	v.mu.Unlock()
	if running {
		cancel()
		<-done
	}
}

// wait blocks until no verification runs (tests).
func (v *verifier) wait() {
	v.mu.Lock()
	done, running := v.done, v.running
	v.mu.Unlock()
	if running {
		<-done
	}
}

// countingReader counts the records Verify reads, for the progress bar, keeping the
// store's fast path (CanonicalScanner) when it has one.
type countingReader struct {
	store.ChainReader
	seen *atomic.Int64
}

func (c *countingReader) ScanChain(ctx context.Context, fromSeq int64, docs bool, fn func(store.ChainRecord) error) error {
	c.seen.Store(0)
	return c.ChainReader.ScanChain(ctx, fromSeq, docs, func(r store.ChainRecord) error {
		c.seen.Add(1)
		return fn(r)
	})
}

// canonicalReader is countingReader for stores with the fast path.
type canonicalReader struct {
	*countingReader
	cs store.CanonicalScanner
}

func (c *canonicalReader) ScanCanonical(ctx context.Context, fromSeq int64, fn func(*store.CanonicalRow) error) error {
	c.seen.Store(0)
	return c.cs.ScanCanonical(ctx, fromSeq, func(r *store.CanonicalRow) error {
		c.seen.Add(1)
		return fn(r)
	})
}

// chainStatus is what the pages say about the chain: its head now, and the last
// verification.
type chainStatus struct {
	HeadSeq  int64
	HeadHash string
	Last     *verification
	Running  bool
	Progress int // percent
	Target   int64
}

func (c *Console) chainStatus(r *http.Request) (chainStatus, error) {
	var cs chainStatus
	var err error
	if cs.HeadSeq, cs.HeadHash, err = c.cfg.Store.Head(r.Context()); err != nil {
		return cs, err
	}
	raw, err := c.cfg.Store.GetCheckpoint(r.Context(), verifyCheckpoint)
	if err != nil {
		return cs, err
	}
	if raw != "" {
		var v verification
		if json.Unmarshal([]byte(raw), &v) == nil {
			cs.Last = &v
		}
	}
	running, p, target := c.verifier.progress()
	cs.Running, cs.Progress, cs.Target = running, int(p*100), target
	return cs, nil
}

// verified says what the last verification proved about record seq.
func (cs chainStatus) Verified(seq int64) string {
	switch {
	case cs.Last == nil:
		return "not verified yet"
	case cs.Last.BadSeq != 0 && seq >= cs.Last.BadSeq:
		return "chain broken at #" + strconv.FormatInt(cs.Last.BadSeq, 10)
	case cs.Last.OK && seq <= cs.Last.HeadSeq, cs.Last.BadSeq != 0 && seq < cs.Last.BadSeq:
		return "chain verified up to here"
	}
	return "appended after the last verification"
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, s *session) error {
	p, err := parsePeriod(r.URL.Query(), c.now())
	if err != nil {
		return err
	}
	cs, err := c.chainStatus(r)
	if err != nil {
		return err
	}
	c.render(w, r, s, http.StatusOK, "audit", &view{Title: "Audit log", Nav: "audit", Period: p, Data: cs})
	return nil
}

func (c *Console) startVerify(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.verifier.start(s.Login); err != nil {
		return err
	}
	http.Redirect(w, r, "/console/audit", http.StatusSeeOther)
	return nil
}
