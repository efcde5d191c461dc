package githubtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/githubtest"
)

// hookBearer authenticates every request with a fixed Authorization header.
type hookBearer struct{ auth string }

func (b hookBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", b.auth)
	return http.DefaultTransport.RoundTrip(r)
}

func deliveriesClient(t *testing.T, s *githubtest.Server, auth string) *github.Client {
	t.Helper()
	c, err := github.NewClient(&http.Client{Transport: hookBearer{auth}}).WithEnterpriseURLs(s.APIURL, s.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// listAllHookDeliveries pages GET /app/hook/deliveries by cursor, as the reconciler does.
func listAllHookDeliveries(t *testing.T, c *github.Client, perPage int) (ids []int64, pages int) {
	t.Helper()
	opts := &github.ListCursorOptions{PerPage: perPage}
	for {
		ds, resp, err := c.Apps.ListHookDeliveries(context.Background(), opts)
		if err != nil {
			t.Fatalf("list hook deliveries: %v", err)
		}
		pages++
		for _, d := range ds {
			ids = append(ids, d.GetID())
		}
		if resp.Cursor == "" {
			return ids, pages
		}
		opts.Cursor = resp.Cursor
	}
}

func TestHookDeliveriesList(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		n         int
		perPage   int
		wantPages int
	}{
		{"empty", 0, 30, 1},
		{"one page", 5, 30, 1},
		{"exact pages", 6, 3, 2},
		{"partial last page", 7, 3, 3},
		{"default per_page", 31, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := githubtest.New(t)
			s.EnableHookDeliveries()
			var want []int64
			for i := 0; i < tc.n; i++ {
				d := s.AddHookDelivery(githubtest.HookDelivery{DeliveredAt: base.Add(time.Duration(i) * time.Minute)}, "pull_request", nil)
				want = append([]int64{d.ID}, want...) // newest first
			}
			got, pages := listAllHookDeliveries(t, deliveriesClient(t, s, "Bearer "+s.AppJWT()), tc.perPage)
			if pages != tc.wantPages {
				t.Errorf("pages = %d, want %d", pages, tc.wantPages)
			}
			if len(got) != len(want) {
				t.Fatalf("ids = %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("ids = %v, want %v (newest first)", got, want)
				}
			}
		})
	}
}

func TestHookDeliveriesFields(t *testing.T) {
	s := githubtest.New(t)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	in := s.AddHookDelivery(githubtest.HookDelivery{GUID: "g-1", DeliveredAt: at, StatusCode: 503, Action: "opened",
		InstallationID: 7, RepositoryID: 5001, Duration: 0.5}, "pull_request", []byte(`{"action":"opened"}`))
	c := deliveriesClient(t, s, "Bearer "+s.AppJWT())
	ds, _, err := c.Apps.ListHookDeliveries(context.Background(), &github.ListCursorOptions{})
	if err != nil || len(ds) != 1 {
		t.Fatalf("list = %v, %v", ds, err)
	}
	d := ds[0]
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"id", d.GetID(), in.ID},
		{"guid", d.GetGUID(), "g-1"},
		{"delivered_at", d.GetDeliveredAt().Time.Equal(at), true},
		{"status", d.GetStatus(), "Invalid HTTP Response: 503"},
		{"status_code", d.GetStatusCode(), 503},
		{"event", d.GetEvent(), "pull_request"},
		{"action", d.GetAction(), "opened"},
		{"installation_id", d.GetInstallationID(), int64(7)},
		{"repository_id", d.GetRepositoryID(), int64(5001)},
		{"redelivery", d.GetRedelivery(), false},
		{"duration", d.Duration != nil && *d.Duration == 0.5, true},
	} {
		if f.got != f.want {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	one, _, err := c.Apps.GetHookDelivery(context.Background(), in.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if one.GetGUID() != "g-1" || one.Request == nil || one.Request.RawPayload == nil || string(*one.Request.RawPayload) != `{"action":"opened"}` {
		t.Errorf("get = %v", one)
	}
}

func TestHookDeliveriesAuth(t *testing.T) {
	s := githubtest.New(t)
	s.AddInstallation(7, "acme")
	d := s.AddHookDelivery(githubtest.HookDelivery{}, "push", nil)
	for _, tc := range []struct {
		name string
		auth func() string
		want int
	}{
		{"app jwt", func() string { return "Bearer " + s.AppJWT() }, http.StatusOK},
		{"installation token", func() string { return "token " + s.InstallationToken(7) }, http.StatusUnauthorized},
		{"none", func() string { return "" }, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := deliveriesClient(t, s, tc.auth())
			_, resp, _ := c.Apps.GetHookDelivery(context.Background(), d.ID)
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("status = %v, want %d", resp, tc.want)
			}
		})
	}
}

// hookTarget is a webhook receiver that answers status and remembers what it got.
type hookTarget struct {
	mu     sync.Mutex
	status int
	got    []http.Header
	bodies []string
}

func (tg *hookTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.got = append(tg.got, r.Header.Clone())
	tg.bodies = append(tg.bodies, string(b))
	w.WriteHeader(tg.status)
}

func TestHookDeliveriesRedeliver(t *testing.T) {
	const secret = "s3cret"
	payload := []byte(`{"action":"submitted","n":1}`)
	for _, tc := range []struct {
		name       string
		target     int // 0: no target
		withBody   bool
		wantStatus string
		wantSent   int
	}{
		{"no target is delivered", 0, true, "OK", 0},
		{"target accepts", http.StatusAccepted, true, "OK", 1},
		{"target fails", http.StatusServiceUnavailable, true, "Invalid HTTP Response: 503", 1},
		{"no stored payload is not sent", http.StatusOK, false, "OK", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := githubtest.New(t)
			tg := &hookTarget{status: tc.target}
			if tc.target != 0 {
				hs := httptest.NewServer(tg)
				t.Cleanup(hs.Close)
				s.SetHookTarget(hs.URL, secret)
			}
			body := payload
			if !tc.withBody {
				body = nil
			}
			orig := s.AddHookDelivery(githubtest.HookDelivery{GUID: "guid-1", StatusCode: 502, Action: "submitted"}, "pull_request_review", body)
			c := deliveriesClient(t, s, "Bearer "+s.AppJWT())
			_, resp, err := c.Apps.RedeliverHookDelivery(context.Background(), orig.ID)
			var acc *github.AcceptedError
			if !errors.As(err, &acc) || resp.StatusCode != http.StatusAccepted {
				t.Fatalf("redeliver: status %v, err %v; want 202 (go-github's AcceptedError)", resp, err)
			}
			if got := s.Redeliveries(); len(got) != 1 || got[0] != orig.ID {
				t.Errorf("Redeliveries = %v, want [%d]", got, orig.ID)
			}
			all := s.HookDeliveries()
			if len(all) != 2 {
				t.Fatalf("attempts = %d, want 2", len(all))
			}
			re := all[1]
			if re.GUID != "guid-1" || !re.Redelivery || re.Status != tc.wantStatus || re.ID == orig.ID || re.Event != "pull_request_review" {
				t.Errorf("new attempt = %+v", re)
			}
			tg.mu.Lock()
			defer tg.mu.Unlock()
			if len(tg.got) != tc.wantSent {
				t.Fatalf("target got %d webhooks, want %d", len(tg.got), tc.wantSent)
			}
			if tc.wantSent > 0 {
				h := tg.got[0]
				if h.Get("X-GitHub-Delivery") != "guid-1" || h.Get("X-GitHub-Event") != "pull_request_review" ||
					h.Get("X-Hub-Signature-256") != githubtest.Sign(secret, payload) || tg.bodies[0] != string(payload) {
					t.Errorf("redelivered webhook: headers %v body %s", h, tg.bodies[0])
				}
			}
		})
	}
}

func TestHookDeliveriesErrors(t *testing.T) {
	s := githubtest.New(t)
	s.EnableHookDeliveries()
	c := deliveriesClient(t, s, "Bearer "+s.AppJWT())
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		call func() (*github.Response, error)
		want int
	}{
		{"get unknown", func() (*github.Response, error) { _, r, err := c.Apps.GetHookDelivery(ctx, 1); return r, err }, 404},
		{"redeliver unknown", func() (*github.Response, error) { _, r, err := c.Apps.RedeliverHookDelivery(ctx, 1); return r, err }, 404},
		{"bad cursor", func() (*github.Response, error) {
			_, r, err := c.Apps.ListHookDeliveries(ctx, &github.ListCursorOptions{Cursor: "nope"})
			return r, err
		}, 422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.call()
			if err == nil || resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("status %v err %v, want %d", resp, err, tc.want)
			}
		})
	}
	if got := s.Redeliveries(); len(got) != 0 {
		t.Errorf("Redeliveries = %v, want none", got)
	}
}

func TestDeliverHookRecordsOutcome(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		want   string
	}{
		{"accepted", http.StatusOK, "OK"},
		{"server error", http.StatusInternalServerError, "Invalid HTTP Response: 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := githubtest.New(t)
			hs := httptest.NewServer(&hookTarget{status: tc.status})
			t.Cleanup(hs.Close)
			s.SetHookTarget(hs.URL, "x")
			d := s.DeliverHook("pull_request", "opened", []byte(`{}`))
			if d.Status != tc.want || d.StatusCode != tc.status || d.GUID == "" {
				t.Errorf("attempt = %+v, want status %q", d, tc.want)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		s := githubtest.New(t)
		hs := httptest.NewServer(&hookTarget{status: 200})
		hs.Close()
		s.SetHookTarget(hs.URL, "x")
		if d := s.DeliverHook("push", "", []byte(`{}`)); d.Status == "OK" || d.StatusCode != 0 {
			t.Errorf("attempt to a closed port = %+v, want a failure", d)
		}
	})
}
