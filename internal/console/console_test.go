package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/console"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// world is a console against the fake GitHub and a real store, with a clock the test
// moves.
type world struct {
	t     *testing.T
	gh    *githubtest.Server
	oauth *githubtest.OAuth
	st    console.ConsoleStore
	c     *console.Console
	srv   *httptest.Server

	mu  sync.Mutex
	now time.Time
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

// newWorld: acme (installation 1: acme/pay, acme/web) and globex (installation 2:
// globex/secret); auditors are acme/sox-auditors; olivia owns acme, gus owns globex;
// mark maintains acme/pay; nora is a plain member of acme.
func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldOn(t, storetest.New(t, "sqlite"))
}

// newWorldOn is newWorld on a given backend.
func newWorldOn(t *testing.T, be storetest.Backend) *world {
	t.Helper()
	return newWorldWith(t, be, nil)
}

// newWorldWith lets wrap change the store the console sees.
func newWorldWith(t *testing.T, be storetest.Backend, wrap func(console.ConsoleStore) console.ConsoleStore) *world {
	t.Helper()
	w := &world{t: t, gh: githubtest.New(t), now: time.Now().UTC()}
	w.gh.AddInstallation(1, "acme")
	w.gh.AddInstallation(2, "globex")
	pay := w.gh.AddRepo("acme/pay", 1)
	w.gh.AddRepo("acme/web", 1)
	w.gh.AddRepo("globex/secret", 2)
	w.gh.SetTeamMembers("acme", "sox-auditors", "audrey")
	pay.SetPermission("mark", "maintain")
	pay.SetPermission("nora", "write")

	raw, err := store.OpenChain(context.Background(), be.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	w.st = raw
	var cs console.ConsoleStore = raw
	if wrap != nil {
		cs = wrap(raw)
	}
	var h http.Handler
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { h.ServeHTTP(rw, r) }))
	t.Cleanup(w.srv.Close)
	w.oauth = w.gh.EnableOAuth(w.srv.URL + "/console/auth/callback")
	w.oauth.SetOrgRole("acme", "olivia", "admin")
	w.oauth.SetOrgRole("acme", "nora", "member")
	w.oauth.SetOrgRole("globex", "gus", "admin")
	w.c, err = console.New(console.Config{
		PublicURL: w.srv.URL, WebURL: w.gh.URL, V3APIURL: w.gh.APIURL, ClientID: w.oauth.ClientID, ClientSecret: w.oauth.ClientSecret,
		SessionTTL: 8 * time.Hour, StoreName: "sqlite", Store: cs,
		Authorizer: &console.GitHubAuthorizer{Clients: w.gh.ClientCreator(t), Auditors: []string{"acme/sox-auditors"}},
		Logger:     zerolog.Nop(), Now: w.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.c.Close)
	h = w.c
	w.seed()
	return w
}

// seed appends a small log: per repository two passing merges and one violation.
func (w *world) seed() {
	ctx := context.Background()
	for _, repo := range []string{"acme/pay", "acme/web", "globex/secret"} {
		for pr := 1; pr <= 3; pr++ {
			outcome := "pass"
			if pr == 3 {
				outcome = "fail"
			}
			dec := fmt.Sprintf(`{"outcome":%q,"title":"<script>alert(1)</script> needs review","rules":[{"name":"four eyes","status":%q,"reason":"r","requirements":[{"kind":"approvals","status":%q,"reason":"1 of 1 approvals","evidence":[{"kind":"approval","subject":"bob","text":"bob approved abc1234"}]}]}]}`, outcome, outcome, outcome)
			for _, r := range []store.Record{
				{Kind: store.KindPRDecision, Repository: repo, PR: pr, SHA: fmt.Sprintf("%040d", pr), Actor: "dev", Outcome: outcome, PolicyDigest: "p", Decision: json.RawMessage(dec)},
				{Kind: store.KindMerge, Repository: repo, PR: pr, SHA: fmt.Sprintf("%040d", pr+10), Actor: "merger", Outcome: outcome, Facts: json.RawMessage(`{"merged_by":"merger"}`)},
			} {
				if _, err := w.st.Append(ctx, r); err != nil {
					w.t.Fatal(err)
				}
			}
			if outcome == "fail" {
				if _, err := w.st.Append(ctx, store.Record{Kind: store.KindViolation, Repository: repo, PR: pr, SHA: fmt.Sprintf("%040d", pr+10),
					Actor: "merger", Outcome: "violation", Facts: json.RawMessage(`{"violation":"merged while the foureyes decision was fail"}`)}); err != nil {
					w.t.Fatal(err)
				}
			}
		}
	}
}

// period covers the records seed appended (at the store's real clock).
func period() string {
	now := time.Now().UTC()
	return "since=" + now.AddDate(0, 0, -1).Format("2006-01-02") + "&until=" + now.AddDate(0, 0, 1).Format("2006-01-02")
}

// browser is one user's cookie jar.
type browser struct {
	w      *world
	client *http.Client
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{w: w, client: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

// login runs the whole web flow as login (already authorized on the fake) and returns
// the last answer.
func (b *browser) login(login string) *http.Response {
	b.w.t.Helper()
	b.w.oauth.SignIn(login)
	b.w.oauth.Grant(login)
	resp, err := b.client.Get(b.w.srv.URL + "/console/")
	if err != nil {
		b.w.t.Fatalf("login as %s: %v", login, err)
	}
	return resp
}

func (b *browser) get(path string) (int, string, http.Header) {
	b.w.t.Helper()
	resp, err := b.client.Get(b.w.srv.URL + path)
	if err != nil {
		b.w.t.Fatalf("GET %s: %v", path, err)
	}
	return read(b.w.t, resp)
}

func (b *browser) post(path string, form url.Values, origin string) (int, string) {
	b.w.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.w.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.w.t.Fatalf("POST %s: %v", path, err)
	}
	code, body, _ := read(b.w.t, resp)
	return code, body
}

func read(t *testing.T, resp *http.Response) (int, string, http.Header) {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", body)
	}
	return m[1]
}

func TestRolesSeeWhatTheyMay(t *testing.T) {
	for _, name := range storetest.Names {
		t.Run(name, func(t *testing.T) { testRoles(t, newWorldOn(t, storetest.New(t, name))) })
	}
}

func testRoles(t *testing.T, w *world) {
	q := "?" + period()
	for _, tc := range []struct {
		login      string
		status     int
		role       string
		sees, hide []string
		mayNote    bool
	}{
		{login: "audrey", status: 200, role: "auditor", sees: []string{"acme/pay", "acme/web", "globex/secret"}, mayNote: true},
		{login: "olivia", status: 200, role: "organisation owner", sees: []string{"acme/pay", "acme/web"}, hide: []string{"globex"}, mayNote: true},
		{login: "mark", status: 200, role: "repository admin", sees: []string{"acme/pay"}, hide: []string{"acme/web", "globex"}},
		{login: "gus", status: 200, role: "organisation owner", sees: []string{"globex/secret"}, hide: []string{"acme"}, mayNote: true},
		{login: "nora", status: 403, hide: []string{"acme/", "globex"}},     // a member with write access is no role
		{login: "stranger", status: 403, hide: []string{"acme/", "globex"}}, // another org's user
	} {
		t.Run(tc.login, func(t *testing.T) {
			b := w.browser()
			code, body, _ := read(t, b.login(tc.login))
			if code != tc.status {
				t.Fatalf("login: status %d, want %d:\n%s", code, tc.status, body)
			}
			if tc.status == 403 {
				if !strings.Contains(body, "You have no access") {
					t.Fatalf("403 page does not say so:\n%s", body)
				}
				code, _, _ := b.get("/console/changes" + q)
				if code == 200 {
					t.Fatal("a user without access got the changes page")
				}
				return
			}
			if !strings.Contains(body, `<span id="role">`+tc.role+`</span>`) {
				t.Errorf("role %q not shown:\n%s", tc.role, body)
			}
			for _, path := range []string{"/console/" + q, "/console/changes" + q, "/console/exceptions" + q,
				"/console/changes/download" + q + "&format=csv", "/console/changes/download" + q + "&format=jsonl"} {
				code, body, _ := b.get(path)
				if code != 200 {
					t.Fatalf("%s: %d\n%s", path, code, body)
				}
				for _, s := range tc.sees {
					if path == "/console/"+q || strings.Contains(path, "download") || strings.Contains(path, "changes") {
						if !strings.Contains(body, s) {
							t.Errorf("%s as %s: %s missing", path, tc.login, s)
						}
					}
				}
				for _, s := range tc.hide {
					if strings.Contains(body, s) {
						t.Errorf("%s as %s shows %s, which is not theirs", path, tc.login, s)
					}
				}
			}
			_, body, _ = b.get("/console/exceptions" + q)
			if !strings.Contains(body, `<span class="badge bad">violation</span>`) {
				t.Errorf("exceptions page does not name the exception:\n%s", body)
			}
			if got := strings.Contains(body, "Add review note"); got != tc.mayNote {
				t.Errorf("review note form shown: %v, want %v", got, tc.mayNote)
			}
			// Another org's change page is a 404, not a leak.
			for _, path := range []string{"/console/changes/globex/secret/pull/1", "/console/changes/acme/web/pull/1"} {
				visible := false
				for _, s := range tc.sees {
					visible = visible || strings.HasPrefix(path, "/console/changes/"+s+"/")
				}
				code, body, _ := b.get(path + q)
				if visible && code != 200 || !visible && code != 404 {
					t.Errorf("%s as %s: %d (visible %v)\n%s", path, tc.login, code, visible, body)
				}
			}
		})
	}
}

func TestPagesEscapeAndShowTheTrace(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	read(t, b.login("audrey"))
	code, body, hdr := b.get("/console/changes/acme/pay/pull/3?" + period())
	if code != 200 {
		t.Fatalf("change page: %d", code)
	}
	if strings.Contains(body, "<script>alert(1)</script>") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("a decision title was not escaped")
	}
	for _, want := range []string{"pr_decision", "merge", "violation", "bob approved abc1234", "hash recomputes", "not verified yet",
		w.gh.URL + "/acme/pay/pull/3"} {
		if !strings.Contains(body, want) {
			t.Errorf("change page lacks %q", want)
		}
	}
	csp := hdr.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP = %q", csp)
	}
	if code, _, _ := b.get("/console/changes/acme/pay/pull/99"); code != 404 {
		t.Errorf("unknown change: %d", code)
	}
	if code, _, _ := b.get("/console/changes?since=2026-13-01"); code != 400 {
		t.Errorf("bad date: %d", code)
	}
	if code, _, _ := b.get("/console/changes?kind=nonsense"); code != 400 {
		t.Errorf("bad kind: %d", code)
	}
}

func TestLoginCannotBeForged(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	w.oauth.SignIn("audrey")
	w.oauth.Grant("audrey")
	// Start a login but do not follow GitHub's redirect.
	b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := b.client.Get(w.srv.URL + "/console/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	authURL, _ := url.Parse(resp.Header.Get("Location"))
	aq := authURL.Query()
	if aq.Get("code_challenge_method") != "S256" || aq.Get("code_challenge") == "" || aq.Get("state") == "" ||
		aq.Get("redirect_uri") != w.srv.URL+"/console/auth/callback" || !strings.HasPrefix(authURL.String(), w.gh.URL+"/login/oauth/authorize") {
		t.Fatalf("authorize URL = %s", authURL)
	}
	// GitHub's answer, with the code for this state.
	resp, err = b.client.Get(authURL.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, _ := url.Parse(resp.Header.Get("Location"))
	code := cb.Query().Get("code")

	// A forged state (an attacker's login link) is refused, and uses up nothing.
	forged := w.srv.URL + "/console/auth/callback?code=" + code + "&state=" + strings.Repeat("a", 64)
	if st, body, _ := b.get(strings.TrimPrefix(forged, w.srv.URL)); st != 400 || !strings.Contains(body, "state does not match") {
		t.Fatalf("forged state: %d %s", st, body)
	}
	// The right state from another browser (no login cookie) is refused too.
	other := w.browser()
	other.client.CheckRedirect = b.client.CheckRedirect
	if st, _, _ := other.get(strings.TrimPrefix(cb.String(), w.srv.URL)); st != 400 {
		t.Fatalf("callback in another browser: %d", st)
	}
	if n := w.oauth.Exchanges(); n != 0 {
		t.Fatalf("%d codes exchanged for refused callbacks", n)
	}
}

func TestSessionsEnd(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	code, body, _ := read(t, b.login("olivia"))
	if code != 200 {
		t.Fatalf("login: %d", code)
	}
	// A session never holds a GitHub token.
	csrf := csrfOf(t, body)

	// Logout needs the CSRF token; then the session is gone on the server.
	if st, _ := b.post("/console/auth/logout", url.Values{}, ""); st != 403 {
		t.Fatalf("logout without token: %d", st)
	}
	if st, body := b.post("/console/auth/logout", url.Values{"csrf": {csrf}}, w.srv.URL); st != 200 || !strings.Contains(body, "logged out") {
		t.Fatalf("logout: %d %s", st, body)
	}
	b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if st, _, h := b.get("/console/"); st != 302 || !strings.HasPrefix(h.Get("Location"), "/console/auth/login") {
		t.Fatalf("after logout: %d %s", st, h.Get("Location"))
	}

	// An expired session sends the browser to log in again.
	b = w.browser()
	read(t, b.login("olivia"))
	w.advance(8*time.Hour + time.Second)
	b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if st, _, h := b.get("/console/"); st != 302 || !strings.HasPrefix(h.Get("Location"), "/console/auth/login") {
		t.Fatalf("expired session: %d %s", st, h.Get("Location"))
	}

	// Access is re-read from GitHub once the cache is older than a few minutes: an
	// owner demoted on GitHub loses the console.
	b = w.browser()
	read(t, b.login("olivia"))
	w.oauth.SetOrgRole("acme", "olivia", "member")
	if st, _, _ := b.get("/console/"); st != 200 {
		t.Fatalf("within the cache: %d", st)
	}
	w.advance(6 * time.Minute)
	if st, body, _ := b.get("/console/"); st != 403 || !strings.Contains(body, "You have no access") {
		t.Fatalf("after demotion: %d", st)
	}

	// A revoked authorization (the webhook's handler calls this) ends every session.
	b = w.browser()
	read(t, b.login("gus"))
	n, err := w.c.EndUserSessions(context.Background(), githubtest.UserID("gus"))
	if err != nil || n != 1 {
		t.Fatalf("end sessions: %d %v", n, err)
	}
	b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if st, _, _ := b.get("/console/"); st != 302 {
		t.Fatalf("after revocation: %d", st)
	}
}

func TestReviewNotesNeedCSRFAndARole(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	_, body, _ := read(t, b.login("audrey"))
	csrf := csrfOf(t, body)
	_, page, _ := b.get("/console/exceptions?" + period())
	m := regexp.MustCompile(`action="/console/exceptions/(\d+)/notes"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no note form:\n%s", page)
	}
	path := "/console/exceptions/" + m[1] + "/notes"
	form := url.Values{"text": {"Hotfix during incident INC-7, reviewed after the fact."}, "disposition": {"explained"}}
	if st, _ := b.post(path, form, w.srv.URL); st != 403 {
		t.Fatalf("note without CSRF token: %d", st)
	}
	form.Set("csrf", csrf)
	if st, _ := b.post(path, form, "https://evil.example"); st != 403 {
		t.Fatalf("note from another origin: %d", st)
	}
	form.Set("disposition", "ignored")
	if st, _ := b.post(path, form, w.srv.URL); st != 400 {
		t.Fatalf("bad disposition: %d", st)
	}
	form.Set("disposition", "explained")
	st, body := b.post(path, form, w.srv.URL)
	if st != 200 || !strings.Contains(body, "Review note recorded as audit record") || !strings.Contains(body, "Hotfix during incident INC-7") {
		t.Fatalf("note: %d\n%s", st, body)
	}
	rec, err := w.st.Latest(context.Background(), store.Filter{Kinds: []store.Kind{store.KindReviewNote}})
	if err != nil || rec.Actor != "audrey" || rec.Outcome != "explained" || rec.Subject != "seq:"+m[1] {
		t.Fatalf("note record: %+v %v", rec, err)
	}
	var f map[string]any
	_ = json.Unmarshal(rec.Facts, &f)
	if f["author"] != "audrey" || f["text"] != "Hotfix during incident INC-7, reviewed after the fact." || f["time"] == "" {
		t.Fatalf("note facts: %s", rec.Facts)
	}
	// A maintainer sees exceptions of their repository but cannot note them.
	mb := w.browser()
	_, body, _ = read(t, mb.login("mark"))
	mform := url.Values{"text": {"x"}, "disposition": {"explained"}, "csrf": {csrfOf(t, body)}}
	_, page, _ = mb.get("/console/exceptions?" + period())
	m = regexp.MustCompile(`id="ex-(\d+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("maintainer sees no exception of acme/pay")
	}
	if st, _ := mb.post("/console/exceptions/"+m[1]+"/notes", mform, w.srv.URL); st != 403 {
		t.Fatalf("maintainer's note: %d", st)
	}
}

func TestDownloadIsTheAuditExport(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	read(t, b.login("mark"))
	resp, err := b.client.Get(w.srv.URL + "/console/changes/download?" + period() + "&format=csv&kind=merge")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "seq,id,recorded_at,kind") || !strings.HasPrefix(lines[4], "# foureyes-export-manifest ") {
		t.Fatalf("csv:\n%s", body)
	}
	var m struct {
		RowCount int64  `json:"row_count"`
		SHA256   string `json:"sha256"`
		Query    struct {
			Scope struct{ Repos []string } `json:"scope"`
		} `json:"query"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[4], "# foureyes-export-manifest ")), &m); err != nil {
		t.Fatal(err)
	}
	if m.RowCount != 3 || len(m.SHA256) != 64 || fmt.Sprint(m.Query.Scope.Repos) != "[acme/pay]" {
		t.Fatalf("manifest: %+v", m)
	}
	if tr := resp.Trailer.Get("Foureyes-Export-Manifest"); !strings.Contains(tr, m.SHA256) {
		t.Fatalf("trailer: %q", tr)
	}
}

func TestAuditVerificationInTheBackground(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	_, body, _ := read(t, b.login("audrey"))
	if st, body := b.post("/console/audit/verify", url.Values{"csrf": {csrfOf(t, body)}}, w.srv.URL); st != 200 {
		t.Fatalf("verify: %d %s", st, body)
	}
	console.WaitVerified(w.c)
	_, page, _ := b.get("/console/audit")
	if !strings.Contains(page, `id="verify-ok"`) || !strings.Contains(page, "the chain verifies: 21 records") {
		t.Fatalf("audit page:\n%s", page)
	}
	_, page, _ = b.get("/console/changes/acme/pay/pull/1")
	if !strings.Contains(page, "chain verified up to here") {
		t.Fatal("the change page does not say the chain verified")
	}
}

func TestEvidenceDownloads(t *testing.T) {
	w := newWorld(t)
	q := "&" + period()
	for _, tc := range []struct {
		login, path string
		want        int
		prefix      string
	}{
		{"audrey", "/console/changes/acme/pay/pull/3/evidence.zip?x=1", 200, "PK"},
		{"audrey", "/console/changes/acme/pay/pull/99/evidence.zip?x=1", 404, ""},
		{"audrey", "/console/report?format=html&org=globex" + q, 200, "<!"},
		{"audrey", "/console/report?format=json&org=acme" + q, 200, "{"},
		{"olivia", "/console/report?format=md&org=acme" + q, 200, ""},
		{"olivia", "/console/report?format=html&org=globex" + q, 403, ""},
		{"olivia", "/console/changes/acme/pay/pull/3/evidence.zip?x=1", 403, ""},
		{"olivia", "/console/changes/globex/secret/pull/3/evidence.zip?x=1", 404, ""},
		{"mark", "/console/report?format=html&org=acme" + q, 403, ""},
	} {
		b := w.browser()
		read(t, b.login(tc.login))
		code, body, _ := b.get(tc.path)
		if code != tc.want || !strings.HasPrefix(body, tc.prefix) {
			t.Errorf("%s %s: %d %.80q, want %d %q", tc.login, tc.path, code, body, tc.want, tc.prefix)
		}
		if tc.login == "olivia" && code == 200 && strings.Contains(body, "globex") {
			t.Errorf("acme's report names globex")
		}
	}
}

// slowChain holds a verification's scan after its first record until release closes.
type slowChain struct {
	console.ConsoleStore
	release chan struct{}
}

func (s *slowChain) ScanChain(ctx context.Context, from int64, docs bool, fn func(store.ChainRecord) error) error {
	first := true
	return s.ConsoleStore.ScanChain(ctx, from, docs, func(r store.ChainRecord) error {
		if err := fn(r); err != nil {
			return err
		}
		if first {
			first = false
			<-s.release
		}
		return nil
	})
}

func TestVerificationProgressIsShown(t *testing.T) {
	slow := &slowChain{release: make(chan struct{})}
	w := newWorldWith(t, storetest.New(t, "sqlite"), func(cs console.ConsoleStore) console.ConsoleStore {
		slow.ConsoleStore = cs
		return slow
	})
	b := w.browser()
	_, body, _ := read(t, b.login("audrey"))
	csrf := csrfOf(t, body)
	b.post("/console/audit/verify", url.Values{"csrf": {csrf}}, w.srv.URL)
	_, page, _ := b.get("/console/audit")
	if !strings.Contains(page, `id="running"`) || !strings.Contains(page, `http-equiv="refresh"`) || !strings.Contains(page, "<progress") {
		t.Fatalf("no progress while verifying:\n%s", page)
	}
	// A second request while one runs starts nothing new.
	b.post("/console/audit/verify", url.Values{"csrf": {csrf}}, w.srv.URL)
	close(slow.release)
	console.WaitVerified(w.c)
	_, page, _ = b.get("/console/audit")
	if !strings.Contains(page, `id="verify-ok"`) || strings.Contains(page, `id="running"`) {
		t.Fatalf("after the verification:\n%s", page)
	}
}

func TestCookiesAreLockedDown(t *testing.T) {
	for _, tc := range []struct {
		public string
		secure bool
	}{{"https://fe.example.com", true}, {"http://localhost:8080", false}} {
		st, err := store.OpenChain(context.Background(), storetest.New(t, "sqlite").DSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		c, err := console.New(console.Config{PublicURL: tc.public, WebURL: "https://github.example", V3APIURL: "https://github.example/api/v3/",
			ClientID: "Iv1.x", ClientSecret: "s", Store: st, Authorizer: staticAuthorizer{}, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/auth/login?next=//evil.example/", nil))
		ck := rec.Header().Get("Set-Cookie")
		if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") || strings.Contains(ck, "Secure") != tc.secure {
			t.Errorf("%s: login cookie %q", tc.public, ck)
		}
		loc, _ := url.Parse(rec.Header().Get("Location"))
		if loc.Host != "github.example" || loc.Query().Get("redirect_uri") != tc.public+"/console/auth/callback" {
			t.Errorf("%s: authorize URL %s", tc.public, loc)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP %q", csp)
		}
	}
}
