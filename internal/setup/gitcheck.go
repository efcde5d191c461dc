package setup

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Committable reports whether path lies inside a git work tree that does not ignore it,
// so `git add -A` would commit it. It asks git itself (check-ignore knows every rule:
// .gitignore files, info/exclude, the global excludes file). Without git, or outside a
// work tree, nothing can be committed by accident: false.
func Committable(path string) (bool, string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false, ""
	}
	dir := filepath.Dir(abs)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	top, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return false, "" // not a work tree, or no git
	}
	err = exec.CommandContext(ctx, "git", "-C", dir, "check-ignore", "-q", "--no-index", abs).Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return true, strings.TrimSpace(string(top))
	}
	return false, ""
}

// WarnIfCommittable logs a warning, with the fix, when a secret file would be committed
// by `git add -A`. It never logs the file's content.
func WarnIfCommittable(logger zerolog.Logger, path string) {
	if ok, top := Committable(path); ok {
		rel, err := filepath.Rel(top, mustAbs(path))
		if err != nil {
			rel = filepath.Base(path)
		}
		logger.Warn().Str("path", path).Str("work_tree", top).
			Msgf("%s holds a secret and lies inside a git work tree that does not ignore it: `git add -A` would commit it; add it to .gitignore (echo '/%s' >> %s/.gitignore) or keep it outside the work tree", path, filepath.ToSlash(rel), top)
	}
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
