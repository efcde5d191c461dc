package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// Issue #18 point 9: the unauthenticated surface. Every request here has a bad or no
// signature; none may grow the metrics, the log or the server's work per request.

func deliverySeries(m string) int {
	n := 0
	for _, l := range strings.Split(m, "\n") {
		if strings.HasPrefix(l, "foureyes_webhook_deliveries_total{") {
			n++
		}
	}
	return n
}

func TestBadSignatureEventNamesAddNoSeries(t *testing.T) {
	h := e2etest.Start(t)
	s := githubtest.NewSender(h.URL()+"/api/github/hook", "not-the-secret")
	before := deliverySeries(metricsText(t, h))
	var wg sync.WaitGroup
	var refused atomic.Int64
	work := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				resp, err := s.Send(fmt.Sprintf("invented_event_%d", i), map[string]any{"n": i})
				if err != nil {
					t.Error(err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusUnauthorized {
					refused.Add(1)
				}
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	if refused.Load() != 2000 {
		t.Fatalf("%d of 2000 bad requests refused with 401", refused.Load())
	}
	m := metricsText(t, h)
	if after := deliverySeries(m); after > before+2 {
		t.Fatalf("2,000 bad requests with new event names added %d series (want at most 2):\n%s", after-before, grep(m, "deliveries_total"))
	}
	if !strings.Contains(m, `foureyes_webhook_deliveries_total{event="other",result="bad_signature"} 2000`) {
		t.Errorf("bad requests not counted under event=\"other\":\n%s", grep(m, "deliveries_total"))
	}
}

func TestHugeHeaderRefusedAndNotLogged(t *testing.T) {
	h := e2etest.Start(t)
	logBefore := len(h.Logs.String())
	metricsBefore := len(metricsText(t, h))
	big := strings.Repeat("x", 500<<10)
	for i := 0; i < 20; i++ {
		req, _ := http.NewRequest("POST", h.URL()+"/api/github/hook", strings.NewReader(`{}`))
		req.Header.Set("X-GitHub-Event", big)
		req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("500 KB header: status %d, want 431", resp.StatusCode)
		}
	}
	if grown := len(h.Logs.String()) - logBefore; grown > 4096 || strings.Contains(h.Logs.String(), big[:1000]) {
		t.Fatalf("the log grew by %d bytes for 20 huge-header requests", grown)
	}
	if grown := len(metricsText(t, h)) - metricsBefore; grown > 4096 {
		t.Fatalf("/metrics grew by %d bytes", grown)
	}
}

// A request without a well-formed signature is refused before its body is read: the
// server answers 401 while the client is still sending a 20 MB body.
func TestUnsignedBodyNotRead(t *testing.T) {
	h := e2etest.Start(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/github/hook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", 20<<20)
	// Only the first byte of the body was sent: a 401 now proves nothing more was read.
	resp, err := http.ReadResponse(bufioReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	// A declared length over GitHub's cap is refused at once too.
	req, _ := http.NewRequest("POST", h.URL()+"/api/github/hook", bytes.NewReader([]byte("{}")))
	req.ContentLength = 26 << 20
	req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
	req.Body = io.NopCloser(io.LimitReader(zeros{}, 26<<20))
	resp, err = http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("26 MB declared: status %d, want 413", resp.StatusCode)
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0
	}
	return len(p), nil
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }
