// Package console is the compliance console served under /console/: the web view of
// how the controls operated, for auditors and compliance owners who have no shell on the
// database host and no GitHub admin rights.
//
// A person logs in with GitHub (the app's user-to-server OAuth web flow, with state and
// PKCE). The user token is used once, to read who they are, and dropped; what they may
// see is read with the installation token (role.go), cached in their server-side
// session for a few minutes. Sessions live in the store, so any replica serves them.
// Every page asks the store's query API with the session's scope; the console never
// builds SQL and never filters after the fact. Pages are server-rendered html/template
// with a strict Content-Security-Policy and no external assets; every POST carries the
// session's CSRF token.
package console
