package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/audit"
)

type fixedHead struct {
	seq  int64
	hash string
}

func (f *fixedHead) Head(context.Context) (int64, string, error) { return f.seq, f.hash, nil }

// Both sinks really write: the file gets one JSON line per new head, the log one line
// whose fields are the checkpoint; both read back as signed checkpoints.
func TestCheckpointFileAndLogLine(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pub := priv.Public().(ed25519.PublicKey)
	file := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	var logs bytes.Buffer
	head := &fixedHead{3, "aa"}
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	c := &audit.Checkpointer{Store: head, Key: priv, Interval: time.Hour, Now: func() time.Time { return now },
		Sinks: []audit.CheckpointSink{&audit.FileSink{Path: file}, audit.LogSink{Logger: zerolog.New(&logs).With().Timestamp().Logger()}}}
	for i, want := range []bool{true, false} { // an unchanged head is not written twice
		wrote, err := c.Once(context.Background())
		if err != nil || wrote != want {
			t.Fatalf("round %d: wrote=%v err=%v", i, wrote, err)
		}
	}
	head.seq, head.hash = 5, "bb"
	if wrote, err := c.Once(context.Background()); err != nil || !wrote {
		t.Fatalf("after the head moved: wrote=%v err=%v", wrote, err)
	}
	fromFile, err := audit.ReadCheckpointFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fromLog, err := audit.ReadCheckpoints(&logs)
	if err != nil {
		t.Fatal(err)
	}
	for name, cps := range map[string][]audit.Checkpoint{"file": fromFile, "log": fromLog} {
		if len(cps) != 2 || cps[0].Seq != 3 || cps[1].Hash != "bb" {
			t.Fatalf("%s: %+v", name, cps)
		}
		for _, cp := range cps {
			if err := cp.Verify(pub); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	forged := fromFile[1]
	forged.Seq = 4
	if forged.Verify(pub) == nil {
		t.Fatal("an edited checkpoint verified")
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	if fromFile[0].Verify(other.Public().(ed25519.PublicKey)) == nil {
		t.Fatal("a checkpoint verified under another key")
	}
	if _, err := audit.ReadCheckpoints(bytes.NewBufferString("{\"level\":\"info\"}\n")); err == nil {
		t.Fatal("a file without checkpoints was accepted")
	}
}

func FuzzReadCheckpoints(f *testing.F) {
	f.Add([]byte(`{"checkpoint":"foureyes-audit-checkpoint-v1","seq":1,"hash":"a"}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cps, err := audit.ReadCheckpoints(bytes.NewReader(b))
		if err == nil && len(cps) == 0 {
			t.Fatal("no error and no checkpoint")
		}
	})
}
