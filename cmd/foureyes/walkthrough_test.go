package main

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNewUserWalkthrough follows the README on a fresh clone (issue #17): install the
// binary as the README says, run its version and policy examples with the exit codes it
// promises, start `serve` once (it writes the store, the signing key and, after setup,
// the credentials into the clone) and check `git status` shows none of them. It builds
// the binary, so it is skipped with -short; the whole run is bounded by two minutes. It
// clones the committed HEAD (what CI checks out): uncommitted changes are not in it.
func TestNewUserWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary in a fresh clone")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root, err := exec.Command("git", "-C", "../..", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git work tree")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clone := filepath.Join(t.TempDir(), "foureyes")
	run := func(dir string, env []string, name string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out), 0
	}
	if out, code := run(".", nil, "git", "clone", "--quiet", strings.TrimSpace(string(root)), clone); code != 0 {
		t.Fatalf("clone: %s", out)
	}
	bin := filepath.Join(t.TempDir(), "bin")
	// README: go install ./cmd/foureyes (GOBIN chosen so the test does not touch ~/go/bin).
	if out, code := run(clone, []string{"GOBIN=" + bin}, "go", "install", "./cmd/foureyes"); code != 0 {
		t.Fatalf("go install ./cmd/foureyes: %s", out)
	}
	foureyes := filepath.Join(bin, "foureyes")
	if out, code := run(clone, nil, foureyes, "--version"); code != 0 || !strings.Contains(out, "commit ") || !strings.Contains(out, "go1.") {
		t.Fatalf("--version: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"policy", "validate", "testdata/policies/valid-full.yml"}, 0},
		{[]string{"policy", "validate", "testdata/policies/broken-syntax.yml"}, 1},
		{[]string{"policy", "eval", "--policy", "testdata/policies/valid-full.yml", "--facts", "testdata/facts/pr-approved.json", "--format", "markdown"}, 0},
		{[]string{"policy", "eval", "--policy", "testdata/policies/valid-full.yml", "--facts", "testdata/facts/deploy-rejected.json"}, 1},
		{[]string{"audit", "verify"}, 2}, // no ./foureyes.db yet: cannot run, not "verified 0"
		{[]string{"audit", "export", "--kind", "merges"}, 2},
	} {
		if out, code := run(clone, nil, foureyes, tc.args...); code != tc.code {
			t.Errorf("foureyes %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.code, out)
		}
	}

	// `foureyes serve` as the README starts it: setup mode, files written in the clone.
	srv := exec.CommandContext(ctx, foureyes, "serve")
	srv.Dir = clone
	srv.Env = append(os.Environ(), "FOUREYES_SERVER_PORT="+freePort(t))
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	listening := false
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "foureyes is listening") {
			listening = true
			break
		}
	}
	_ = srv.Process.Signal(os.Interrupt)
	go func() {
		for sc.Scan() {
		}
	}()
	_ = srv.Wait()
	if !listening {
		t.Fatalf("serve did not start:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "GitHub cannot reach it") {
		t.Errorf("no warning that GitHub cannot reach localhost:\n%s", log.String())
	}
	// Pretend the setup page saved credentials: they must be ignored too.
	if err := os.WriteFile(filepath.Join(clone, "foureyes-credentials.yml"), []byte("app_id: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"foureyes.db", "foureyes-signing-key.pem"} {
		if _, err := os.Stat(filepath.Join(clone, f)); err != nil {
			t.Errorf("serve did not write %s: %v", f, err)
		}
	}
	if out, _ := run(clone, nil, "git", "status", "--porcelain"); strings.TrimSpace(out) != "" {
		t.Errorf("after serve, `git add -A` would commit:\n%s", out)
	}
	if out, code := run(clone, nil, foureyes, "audit", "verify"); code != 0 || !strings.Contains(out, "verified") {
		t.Errorf("audit verify on the new store: exit %d\n%s", code, out)
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
