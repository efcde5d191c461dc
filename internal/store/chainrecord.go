package store

import "context"

// ChainRecord is a Record as stored, with the digests of its documents as the record
// names them. Verify and export need the digests the chain covers, not only the
// documents, to tell a changed document from a changed record.
type ChainRecord struct {
	Record
	FactsDigest    string
	DecisionDigest string
	// FactsMissing and DecisionMissing are set when the record names a document the
	// documents table does not hold.
	FactsMissing    bool
	DecisionMissing bool
}

// ChainReader is implemented by both backends, beside Store, for audit verify, export
// and trace. It is a separate interface so the Store contract stays as agreed.
type ChainReader interface {
	// ScanChain streams records from fromSeq on in sequence order; with docs false the
	// Facts and Decision bodies are left empty (verify reads documents once each through
	// ScanDocuments instead), and whether they exist is answered from the set of all
	// document digests, held while the scan runs (about 40 bytes a document).
	ScanChain(ctx context.Context, fromSeq int64, docs bool, fn func(ChainRecord) error) error
	// QueryChain streams the records that match f, in sequence order, with documents.
	QueryChain(ctx context.Context, f Filter, fn func(ChainRecord) error) error
	// ScanDocuments streams every stored document once, in no particular order; body is
	// valid only until fn returns.
	ScanDocuments(ctx context.Context, fn func(digest string, body []byte) error) error
	// Head returns the last record's sequence number and hash (0 and GenesisHash when
	// the log is empty).
	Head(ctx context.Context) (int64, string, error)
}
