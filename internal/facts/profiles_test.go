package facts

import (
	"reflect"
	"testing"

	"github.com/foureyes/foureyes/policy"
)

// TestCoAuthorTrailerResolvesThroughProfiles: a trailer left unresolved by noreply and
// commit e-mails names every reviewer whose public e-mail or name it carries; the rest are
// listed as unresolved.
func TestCoAuthorTrailerResolvesThroughProfiles(t *testing.T) {
	profiles := map[string]profile{
		"bob":   {Login: "bob", Name: "Bob Builder", Email: "builder@home.example"},
		"carol": {Login: "carol", Name: "", Email: ""},
		"dan":   {Login: "dan", Name: "Bob Builder", Email: "dan@acme.example"},
	}
	tests := []struct {
		name       string
		ca         CoAuthor
		coAuthors  []string
		unresolved []policy.UnresolvedCoAuthor
	}{
		{name: "public e-mail", ca: CoAuthor{"B.", "Builder@Home.example"}, coAuthors: []string{"bob"}},
		{name: "public name, two reviewers share it", ca: CoAuthor{"bob builder", "x@y.example"}, coAuthors: []string{"bob", "dan"}},
		{name: "nobody's", ca: CoAuthor{"Eve", "eve@elsewhere.example"}, coAuthors: []string{"Eve"},
			unresolved: []policy.UnresolvedCoAuthor{{Commit: "c1", Name: "Eve", Email: "eve@elsewhere.example"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := policy.Facts{Commits: []policy.Commit{{SHA: "c1", CoAuthors: []string{ResolveCoAuthor(tc.ca, nil)}}}}
			resolveTrailers(&f, []pendingTrailer{{commit: 0, slot: 0, ca: tc.ca}}, profiles)
			if !reflect.DeepEqual(f.Commits[0].CoAuthors, tc.coAuthors) {
				t.Errorf("co-authors %v, want %v", f.Commits[0].CoAuthors, tc.coAuthors)
			}
			if !reflect.DeepEqual(f.UnresolvedCoAuthors, tc.unresolved) {
				t.Errorf("unresolved %v, want %v", f.UnresolvedCoAuthors, tc.unresolved)
			}
		})
	}
}
