package audit

import (
	"context"
	"crypto/ed25519"
	"errors"

	"github.com/foureyes/foureyes/internal/signing"
	"github.com/foureyes/foureyes/internal/store"
)

// Key sources a PublishedKey names.
const (
	KeyFromApp = "the app's signing key"
	KeyFromLog = "named by the log's last signature (compare it with the app's published key: `foureyes audit pubkey`)"
)

// PublishedKey is the public key to show beside exported evidence (export manifests,
// evidence packages), so an auditor can verify the signatures with it.
type PublishedKey struct {
	PEM         string // signing.PublicKeyPEM, "" when there is none
	Fingerprint string // signing.Fingerprint
	Source      string // KeyFromApp or KeyFromLog
}

// PublishKey returns the key for a manifest: appKey when the caller holds the app's key
// (the server, or a CLI that can read audit.signing_key), else the key the log's last
// signature names, else nothing (an unsigned log). Evidence packages use it too.
func PublishKey(ctx context.Context, src store.ChainReader, appKey ed25519.PublicKey) (PublishedKey, error) {
	if appKey != nil {
		return PublishedKey{PEM: signing.PublicKeyPEM(appKey), Fingerprint: signing.Fingerprint(appKey), Source: KeyFromApp}, nil
	}
	sr, ok := src.(store.SignatureReader)
	if !ok {
		return PublishedKey{}, nil
	}
	var last string
	if err := sr.ScanSignatures(ctx, func(sg store.Signature) error { last = sg.PublicKey; return nil }); err != nil {
		return PublishedKey{}, err
	}
	if last == "" {
		return PublishedKey{}, nil
	}
	pub, err := signing.ParsePublicKey([]byte(last))
	if err != nil {
		return PublishedKey{}, errors.New("the log's last signature names no valid public key")
	}
	return PublishedKey{PEM: signing.PublicKeyPEM(pub), Fingerprint: signing.Fingerprint(pub), Source: KeyFromLog}, nil
}
