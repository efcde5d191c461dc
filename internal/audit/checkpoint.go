package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/signing"
	"github.com/foureyes/foureyes/internal/store"
)

// CheckpointFormat names a checkpoint line (the "checkpoint" field).
const CheckpointFormat = "foureyes-audit-checkpoint-v1"

// Checkpoint is a signed statement of the chain's head at a time, written outside the
// database (a file, a log line). Whoever can rewrite the database cannot rewrite these
// copies, so `audit verify --checkpoint FILE` detects a history rewritten, or a tail
// removed, after the checkpoint, without the auditor having noted a head themselves.
// The same JSON object is a line of a checkpoint file and the fields of the log line.
type Checkpoint struct {
	Format    string `json:"checkpoint"`
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"`
	At        string `json:"at"`         // RFC 3339 UTC, when the checkpoint was made
	PublicKey string `json:"public_key"` // signing.PublicKeyText
	Signature string `json:"signature"`  // over signing.CheckpointMessage(Seq, Hash, At)
}

// NewCheckpoint signs the head (seq, hash) at time at.
func NewCheckpoint(priv ed25519.PrivateKey, seq int64, hash string, at time.Time) Checkpoint {
	c := Checkpoint{Format: CheckpointFormat, Seq: seq, Hash: hash, At: at.UTC().Format(time.RFC3339Nano),
		PublicKey: signing.PublicKeyText(priv.Public().(ed25519.PublicKey))}
	c.Signature = signing.Sign(priv, signing.CheckpointMessage(c.Seq, c.Hash, c.At))
	return c
}

// Verify checks the checkpoint's signature under pub, or under the key it names when pub
// is nil (then only its consistency is shown: the key must be compared with the
// published one).
func (c Checkpoint) Verify(pub ed25519.PublicKey) error {
	if c.Format != CheckpointFormat {
		return fmt.Errorf("checkpoint of record %d: unknown format %q", c.Seq, c.Format)
	}
	if pub == nil {
		k, err := signing.ParsePublicKey([]byte(c.PublicKey))
		if err != nil {
			return fmt.Errorf("checkpoint of record %d: %w", c.Seq, err)
		}
		pub = k
	} else if c.PublicKey != signing.PublicKeyText(pub) {
		return fmt.Errorf("checkpoint of record %d at %s is signed by another key (%s) than the log's", c.Seq, c.At, c.PublicKey)
	}
	if err := signing.Verify(pub, signing.CheckpointMessage(c.Seq, c.Hash, c.At), c.Signature); err != nil {
		return fmt.Errorf("checkpoint of record %d at %s: %w", c.Seq, c.At, err)
	}
	return nil
}

// ReadCheckpoints reads every checkpoint of a checkpoint file or of a JSON log (each
// line a JSON object; lines that are not checkpoints are skipped). No checkpoint at all
// is an error: the auditor gave the wrong file.
func ReadCheckpoints(r io.Reader) ([]Checkpoint, error) {
	var out []Checkpoint
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if !bytes.Contains(b, []byte(CheckpointFormat)) {
			continue
		}
		var c Checkpoint
		if err := json.Unmarshal(b, &c); err != nil || c.Format != CheckpointFormat {
			continue // a log message that merely quotes the format
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no audit checkpoint in it (lines with \"checkpoint\": \"" + CheckpointFormat + "\")")
	}
	return out, nil
}

// ReadCheckpointFile is ReadCheckpoints of a file.
func ReadCheckpointFile(path string) ([]Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cps, err := ReadCheckpoints(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cps, nil
}

// CheckpointSink is where checkpoints go.
type CheckpointSink interface {
	WriteCheckpoint(ctx context.Context, c Checkpoint) error
}

// FileSink appends each checkpoint as a JSON line to a file, synced before it returns.
type FileSink struct {
	Path string
	mu   sync.Mutex
}

func (f *FileSink) WriteCheckpoint(_ context.Context, c Checkpoint) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("checkpoint file: %w", err)
	}
	_, err = fh.Write(append(b, '\n'))
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("checkpoint file %s: %w", f.Path, err)
	}
	return nil
}

// LogSink writes each checkpoint as one log line whose fields are the checkpoint's, so a
// JSON log collected elsewhere is itself a checkpoint file for audit verify.
type LogSink struct{ Logger zerolog.Logger }

func (l LogSink) WriteCheckpoint(_ context.Context, c Checkpoint) error {
	l.Logger.Info().Str("checkpoint", c.Format).Int64("seq", c.Seq).Str("hash", c.Hash).Str("at", c.At).
		Str("public_key", c.PublicKey).Str("signature", c.Signature).Msg("audit checkpoint")
	return nil
}

// HeadReader reads the chain head (store.ChainReader has it).
type HeadReader interface {
	Head(ctx context.Context) (int64, string, error)
}

// Checkpointer writes a signed checkpoint of the head to its sinks every Interval, when
// the head moved since the last one.
type Checkpointer struct {
	Store    HeadReader
	Key      ed25519.PrivateKey
	Sinks    []CheckpointSink
	Interval time.Duration
	Now      func() time.Time
	Logger   zerolog.Logger

	lastSeq int64
}

// Once writes a checkpoint of the current head unless it is the one last written (or
// the log is empty). It reports whether it wrote one.
func (c *Checkpointer) Once(ctx context.Context) (bool, error) {
	seq, hash, err := c.Store.Head(ctx)
	if err != nil {
		return false, fmt.Errorf("read the chain head: %w", err)
	}
	if seq == 0 || seq == c.lastSeq {
		return false, nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	cp := NewCheckpoint(c.Key, seq, hash, now())
	var errs []error
	for _, s := range c.Sinks {
		if err := s.WriteCheckpoint(ctx, cp); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return false, errors.Join(errs...)
	}
	c.lastSeq = seq
	return true, nil
}

// Run writes checkpoints until ctx ends, and one last when it does.
func (c *Checkpointer) Run(ctx context.Context) {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for {
		if _, err := c.Once(ctx); err != nil && ctx.Err() == nil {
			c.Logger.Error().Err(err).Msg("write audit checkpoint")
		}
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if _, err := c.Once(final); err != nil {
				c.Logger.Error().Err(err).Msg("write the last audit checkpoint")
			}
			cancel()
			return
		case <-t.C:
		}
	}
}

var _ HeadReader = store.ChainReader(nil)
