package chaos

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
)

// repoRoot is the module root (this package is internal/chaos).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// buildBinary builds cmd/foureyes with the test's own build settings, so the build cache
// of the test run is reused (the Dockerfile builds the static CGO_ENABLED=0 variant).
func buildBinary(t testing.TB) string {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("chaos: built foureyes in %s", time.Since(start).Round(time.Millisecond)) }()
	bin := filepath.Join(t.TempDir(), "foureyes")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/foureyes")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build foureyes: %v\n%s", err, out)
	}
	return bin
}

// cluster is a PostgreSQL cluster this test started (scripts/pg-start.sh), never the
// shared one: the test restarts it.
type cluster struct {
	dir string
	DSN string
}

func portBusy(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
	if err == nil {
		c.Close()
		return true
	}
	return false
}

// startCluster starts a cluster on the first free port of [from, to].
func startCluster(t testing.TB, from, to int) *cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "foureyes-chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the cluster runs as the postgres user
		t.Fatal(err)
	}
	c := &cluster{dir: dir}
	startedAt := time.Now()
	var lastErr string
	for port := from; port <= to; port++ {
		if portBusy(port) {
			continue
		}
		cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "pg-start.sh"), dir, strconv.Itoa(port))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			lastErr = fmt.Sprintf("port %d: %v\n%s", port, err, stderr.String())
			continue
		}
		line := strings.TrimSpace(string(out))
		c.DSN = strings.TrimPrefix(line, "export FOUREYES_TEST_POSTGRES_DSN=")
		break
	}
	t.Logf("chaos: PostgreSQL cluster started in %s", time.Since(startedAt).Round(time.Millisecond))
	if c.DSN == "" {
		os.RemoveAll(dir)
		t.Fatalf("no PostgreSQL cluster could start on ports %d-%d: %s", from, to, lastErr)
	}
	t.Cleanup(func() {
		_ = exec.Command(filepath.Join(repoRoot(t), "scripts", "pg-start.sh"), "--stop", dir).Run()
		os.RemoveAll(dir)
	})
	return c
}

// restart is pg_ctl restart -m fast: every session is cut (57P01), connections are
// refused until the server is back.
func (c *cluster) restart(t testing.TB) time.Duration {
	t.Helper()
	start := time.Now()
	out, err := exec.Command(filepath.Join(repoRoot(t), "scripts", "pg-start.sh"), "--restart", c.dir).CombinedOutput()
	if err != nil {
		t.Errorf("restart PostgreSQL: %v\n%s", err, out)
	}
	return time.Since(start)
}

// replica is one foureyes process.
type replica struct {
	t    testing.TB
	name string
	bin  string
	env  []string
	port int
	log  *os.File

	mu  sync.Mutex
	cmd *exec.Cmd
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func newReplica(t testing.TB, name, bin string, env []string, logDir string) *replica {
	t.Helper()
	f, err := os.Create(filepath.Join(logDir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{t: t, name: name, bin: bin, port: freePort(t), log: f}
	r.env = append(env, fmt.Sprintf("FOUREYES_SERVER_PORT=%d", r.port))
	t.Cleanup(func() {
		r.stop()
		f.Close()
	})
	return r
}

func (r *replica) url() string { return fmt.Sprintf("http://127.0.0.1:%d", r.port) }

// start runs `foureyes serve` and waits until /api/health answers 200.
func (r *replica) start() {
	r.t.Helper()
	cmd := exec.Command(r.bin, "serve")
	cmd.Env = r.env
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start %s: %v", r.name, err)
	}
	r.mu.Lock()
	r.cmd = cmd
	r.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(r.url() + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s did not become healthy (log %s)", r.name, r.log.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill is kill -9: no shutdown, leases and locks stay behind.
func (r *replica) kill() {
	r.mu.Lock()
	cmd := r.cmd
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

// stop is a graceful stop (SIGTERM).
func (r *replica) stop() {
	r.mu.Lock()
	cmd := r.cmd
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// roundRobin is the load balancer: each request goes to the next replica; a replica that
// refuses the connection (killed) is skipped, as a load balancer's health check would;
// an answer, whatever its status, is passed on.
type roundRobin struct {
	backends []string
	next     atomic.Uint64
	client   *http.Client
	srv      *httptest.Server
}

func startRoundRobin(t testing.TB, backends []string) *roundRobin {
	t.Helper()
	p := &roundRobin{backends: backends, client: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *roundRobin) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	first := p.next.Add(1)
	for i := 0; i < len(p.backends); i++ {
		b := p.backends[(first+uint64(i))%uint64(len(p.backends))]
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, b+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := p.client.Do(req)
		if err != nil {
			continue // connection refused or cut: the next replica
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "no replica answered", http.StatusBadGateway)
}

// tail returns the last lines of a replica's log for a failure message.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// sendUntilAcknowledged posts a delivery until the fleet answers 2xx, as GitHub's
// redelivery (and the reconciler) would for a delivery that was not acknowledged. It
// returns the number of attempts.
func sendUntilAcknowledged(ctx context.Context, s *githubtest.Sender, event, id string, payload []byte) (int, error) {
	for attempt := 1; ; attempt++ {
		resp, err := s.SendDelivery(event, id, payload)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return attempt, nil
			}
		}
		select {
		case <-ctx.Done():
			return attempt, fmt.Errorf("delivery %s never acknowledged: %v", id, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
