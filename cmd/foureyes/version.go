package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit can be set at build time:
//
//	go build -ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD)" ./cmd/foureyes
//
// Otherwise they come from the build information Go embeds (the module version with
// `go install …@version`, the VCS revision when built in a git work tree).
var (
	version = ""
	commit  = ""
)

// versionString is what `foureyes --version` prints: version, commit, Go version.
func versionString() string {
	v, c, modified := version, commit, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if c == "" {
		c = "unknown"
	} else if modified && commit == "" {
		c += " (modified)"
	}
	return fmt.Sprintf("foureyes %s\ncommit %s\n%s %s/%s\n", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
