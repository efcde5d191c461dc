// Package foureyes holds files that must live at the repository root, such as the GitHub App
// manifest, and embeds them so the single binary carries them.
package foureyes

import _ "embed"

// AppManifest is app.yml: the GitHub App manifest in YAML with `{public_url}` placeholders.
// It is embedded here because go:embed cannot reach a parent directory, and the manifest
// belongs at the repository root where people look for it.
//
//go:embed app.yml
var AppManifest []byte
