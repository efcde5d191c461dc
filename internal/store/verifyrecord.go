package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/foureyes/foureyes/internal/signing"
)

// VerifyRecord re-checks a record a decision is about to rely on, as the caller holds it
// (with its documents): its hash is recomputed from its content, the stored chain is
// followed from it to the first signed record at or after it, each hash recomputed and
// each link checked, and that signature is verified (with the store's key when it has
// one). A failure wraps ErrTampered. A log without any signature (from before signing,
// or kept by a store that has no key) is checked by hash and links only.
func (s *sqlStore) VerifyRecord(ctx context.Context, r Record) error {
	fd, dd := DocumentDigest(r.Facts), DocumentDigest(r.Decision)
	if got := ComputeHash(r, fd, dd); got != r.Hash {
		return fmt.Errorf("%w: record %d does not hash to its stored hash (its content or documents changed)", ErrTampered, r.Seq)
	}
	_, pub := s.signingKey()
	var sg Signature
	err := s.queryRow(ctx, `SELECT seq, hash, public_key, signature FROM audit_signatures WHERE seq >= ? ORDER BY seq LIMIT 1`, r.Seq).
		Scan(&sg.Seq, &sg.Hash, &sg.PublicKey, &sg.Signature)
	unsigned := errors.Is(err, sql.ErrNoRows)
	if err != nil && !unsigned {
		return fmt.Errorf("read the signature covering record %d: %w", r.Seq, err)
	}
	end := r.Seq
	if unsigned {
		// Only a record from before signing existed may lack a signature, and only until
		// the first signed commit adopts it.
		var one int
		err := s.queryRow(ctx, `SELECT 1 FROM audit_signatures LIMIT 1`).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read audit signatures: %w", err)
		}
		prefix, perr := s.UnsignedPrefix(ctx)
		if perr != nil {
			return perr
		}
		// A store without a key (tests, tools) keeps unsigned logs: hash and links only.
		if err == nil || (pub != nil && r.Seq > prefix) {
			return fmt.Errorf("%w: no signature covers record %d: it was appended outside foureyes", ErrTampered, r.Seq)
		}
	} else {
		end = sg.Seq
	}
	var (
		h    Hasher
		next = r.Seq
		prev string
	)
	err = s.streamRecords(ctx, colsNone, ` WHERE r.seq >= ? AND r.seq <= ?`, []any{r.Seq, end}, ` ORDER BY r.seq`, func(c *ChainRecord) error {
		switch {
		case c.Seq != next:
			return fmt.Errorf("%w: record %d is missing from the chain", ErrTampered, next)
		case c.Seq == r.Seq && c.Hash != r.Hash:
			return fmt.Errorf("%w: the record stored at %d is not the one read", ErrTampered, r.Seq)
		case c.Seq > r.Seq && c.PrevHash != prev:
			return fmt.Errorf("%w: record %d does not chain to record %d", ErrTampered, c.Seq, c.Seq-1)
		case !h.Matches(&c.Record, c.FactsDigest, c.DecisionDigest, c.Hash):
			return fmt.Errorf("%w: record %d does not hash to its stored hash", ErrTampered, c.Seq)
		}
		prev, next = c.Hash, next+1
		return nil
	})
	if err != nil {
		return err
	}
	if next != end+1 {
		return fmt.Errorf("%w: records %d..%d are missing from the chain", ErrTampered, next, end)
	}
	if unsigned {
		return nil
	}
	key := pub
	if key == nil {
		if key, err = signing.ParsePublicKey([]byte(sg.PublicKey)); err != nil {
			return fmt.Errorf("%w: the signature of record %d names no valid key", ErrTampered, sg.Seq)
		}
	}
	if sg.Hash != prev || signing.Verify(key, signing.RecordMessage(sg.Seq, sg.Hash), sg.Signature) != nil {
		return fmt.Errorf("%w: the signature of record %d, which covers record %d, does not verify", ErrTampered, sg.Seq, r.Seq)
	}
	return nil
}

// QueryVerified returns the records f selects, each re-checked with VerifyRecord: the way a
// decision reads an input it relies on (pushes, emergency declarations, ticket
// snapshots), so an input edited or forged in the database is an error, not evidence.
func QueryVerified(ctx context.Context, a Audit, f Filter) ([]Record, error) {
	var out []Record
	if err := a.Query(ctx, f, func(r Record) error { out = append(out, r); return nil }); err != nil {
		return nil, err
	}
	for _, r := range out {
		if err := a.VerifyRecord(ctx, r); err != nil {
			return nil, fmt.Errorf("%s record %d: %w", r.Kind, r.Seq, err)
		}
	}
	return out, nil
}
