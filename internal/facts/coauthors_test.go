package facts

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCoAuthors(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want []CoAuthor
	}{
		{"none", "fix rounding\n\nno trailers here", nil},
		{"one", "fix\n\nCo-authored-by: Carol Doe <carol@example.com>", []CoAuthor{{"Carol Doe", "carol@example.com"}}},
		{"case and spacing", "fix\n\n  co-AUTHORED-by :Dan<dan@example.com>  ", []CoAuthor{{"Dan", "dan@example.com"}}},
		{"crlf", "fix\r\n\r\nCo-authored-by: Eve <eve@example.com>\r\n", []CoAuthor{{"Eve", "eve@example.com"}}},
		{"two, duplicate e-mail dropped", "x\n\nCo-authored-by: A <a@x.io>\nCo-authored-by: A again <A@X.io>\nCo-authored-by: B <b@x.io>",
			[]CoAuthor{{"A", "a@x.io"}, {"B", "b@x.io"}}},
		{"not at line start", "see Co-authored-by: X <x@x.io>", nil},
		{"no e-mail brackets", "Co-authored-by: Just A Name", nil},
		{"empty e-mail keeps name", "Co-authored-by: Nobody <>", []CoAuthor{{"Nobody", ""}}},
		{"nothing", "Co-authored-by: <>", nil},
		{"mid-message counts (lenient)", "Co-authored-by: F <f@x.io>\n\nmore text", []CoAuthor{{"F", "f@x.io"}}},
		{"signed-off-by is not co-author", "Signed-off-by: G <g@x.io>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseCoAuthors(tt.msg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCoAuthors(%q) = %#v, want %#v", tt.msg, got, tt.want)
			}
		})
	}
}

func TestResolveCoAuthor(t *testing.T) {
	known := map[string]string{"carol@corp.example": "carol", "bot@corp.example": "ci-bot"}
	tests := []struct {
		name string
		in   CoAuthor
		want string
	}{
		{"id+login noreply", CoAuthor{"Carol", "12345+carol-x@users.noreply.github.com"}, "carol-x"},
		{"legacy login noreply", CoAuthor{"Dan", "dan@users.noreply.github.com"}, "dan"},
		{"noreply upper-case domain", CoAuthor{"Dan", "dan@Users.NoReply.GitHub.com"}, "dan"},
		{"noreply with non-numeric id", CoAuthor{"Mallory", "abc+dan@users.noreply.github.com"}, "Mallory"},
		{"noreply with invalid login", CoAuthor{"Mallory", "1+../x@users.noreply.github.com"}, "Mallory"},
		{"e-mail known in PR", CoAuthor{"C. Smith", "Carol@Corp.Example"}, "carol"},
		{"committer e-mail known in PR", CoAuthor{"Bot", "bot@corp.example"}, "ci-bot"},
		{"unknown keeps name", CoAuthor{"Erin Example", "erin@elsewhere.example"}, "Erin Example"},
		{"unknown without name keeps e-mail", CoAuthor{"", "erin@elsewhere.example"}, "erin@elsewhere.example"},
		{"empty e-mail is not a match", CoAuthor{"Zed", ""}, "Zed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResolveCoAuthor(tt.in, known); got != tt.want {
				t.Errorf("ResolveCoAuthor(%+v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsLogin(t *testing.T) {
	for s, want := range map[string]bool{
		"alice": true, "a-b-c": true, "dependabot[bot]": true, "A1": true,
		"": false, "-x": false, "a b": false, "../x": false, "a/b": false,
		strings.Repeat("a", 39): true, strings.Repeat("a", 40): false,
	} {
		if got := isLogin(s); got != want {
			t.Errorf("isLogin(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzParseCoAuthors feeds commit messages, which anyone can write, to the trailer parser
// and the resolver: no panic, and nothing that could escape into an API path.
func FuzzParseCoAuthors(f *testing.F) {
	for _, s := range []string{
		"", "Co-authored-by: A <a@b.c>", "co-authored-by:<>\n", "Co-authored-by: X <1+y@users.noreply.github.com>",
		"Co-authored-by: <<>>", "\r\nCo-authored-by:\tT\t<t@t>\t\r\n", "Co-authored-by: Z <../../x@users.noreply.github.com>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		cas := ParseCoAuthors(msg)
		seen := map[string]bool{}
		for _, c := range cas {
			if strings.ContainsAny(c.Email, "<>\n") || strings.ContainsAny(c.Name, "\n") {
				t.Fatalf("trailer %+v kept a delimiter", c)
			}
			if c.Name == "" && c.Email == "" {
				t.Fatalf("empty trailer from %q", msg)
			}
			k := strings.ToLower(c.Email)
			if c.Email != "" && seen[k] {
				t.Fatalf("duplicate e-mail %q", c.Email)
			}
			seen[k] = true
			if login, ok := noreplyLogin(c.Email); ok && !isLogin(login) {
				t.Fatalf("noreply login %q is not a login", login)
			}
			if utf8.ValidString(msg) && !utf8.ValidString(ResolveCoAuthor(c, nil)) {
				t.Fatalf("resolver made invalid UTF-8 from %q", msg)
			}
		}
	})
}
