package githubtest_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/githubtest"
)

func TestSenderSignsLikeGitHub(t *testing.T) {
	const secret = "s3cret"
	type got struct {
		event, delivery, sig1, ua, target string
		err                               error
		body                              []byte
	}
	ch := make(chan got, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := github.ValidatePayload(r, []byte(secret))
		ch <- got{github.WebHookType(r), github.DeliveryID(r), r.Header.Get("X-Hub-Signature"), r.Header.Get("User-Agent"),
			r.Header.Get("X-GitHub-Hook-Installation-Target-Type"), err, body}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer hook.Close()

	raw := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
	resp, err := githubtest.NewSender(hook.URL, secret).Send("ping", raw)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	g := <-ch
	if g.err != nil || resp.StatusCode != http.StatusAccepted || g.event != "ping" || string(g.body) != string(raw) {
		t.Fatalf("valid delivery rejected: %v (%d)", g.err, resp.StatusCode)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(g.delivery) {
		t.Errorf("delivery GUID %q", g.delivery)
	}
	if g.sig1 != githubtest.SignSHA1(secret, raw) || g.ua != "GitHub-Hookshot/fake" || g.target != "integration" {
		t.Errorf("headers: %+v", g)
	}
	first := g.delivery

	// Maps are marshalled; a second Send gets a new GUID; SendDelivery keeps the given one.
	resp, _ = githubtest.NewSender(hook.URL, secret).Send("ping", map[string]any{"zen": "x"})
	resp.Body.Close()
	if g = <-ch; g.err != nil || g.delivery == first {
		t.Errorf("second delivery: %v, guid %q", g.err, g.delivery)
	}
	resp, _ = githubtest.NewSender(hook.URL, secret).SendDelivery("ping", first, raw)
	resp.Body.Close()
	if g = <-ch; g.delivery != first {
		t.Errorf("redelivery GUID %q, want %q", g.delivery, first)
	}
	// A wrong secret fails validation.
	resp, _ = githubtest.NewSender(hook.URL, "wrong").Send("ping", raw)
	resp.Body.Close()
	if g = <-ch; g.err == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("wrong secret accepted")
	}
}
