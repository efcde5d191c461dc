// Package evidence turns the audit log into what an auditor takes away: the population of
// changes of a period and a seeded, reproducible sample of it; one self-contained evidence
// package per change, verifiable offline; and the period report. Everything here is a
// pure function of audit records read through the store's chain API (store.ChainReader),
// so the CLI (`foureyes audit sample|evidence|report`) and the web console produce the
// same bytes from the same records. docs/audit.md specifies every format.
package evidence
