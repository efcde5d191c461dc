package policy

import _ "embed" // the Facts JSON Schema

// FactsVersion is the version of the Facts document that this foureyes writes. Adding
// a field keeps it; renaming or removing one, or changing a field's meaning, is a
// breaking change for Rego modules and for recorded evidence and bumps it.
const FactsVersion = 1

// FactsSchema is the JSON Schema (draft-07) of the Facts document, the public contract
// of what a Rego module reads as input (docs/facts.md describes each field).
//
//go:embed facts.schema.json
var FactsSchema []byte
