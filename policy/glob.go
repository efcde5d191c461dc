package policy

import (
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Glob is a doublestar pattern compiled into the cheapest matcher that is exact for it.
// Evaluation matches every changed file (up to 3000) against every rule's paths, so the
// common shapes ("**", "docs/**", "**/*.go", a literal) avoid the general matcher.
type Glob struct {
	Pattern string
	kind    globKind
	lit     string // prefix, suffix or the literal, depending on kind
}

type globKind uint8

const (
	globGeneral globKind = iota // doublestar.Match
	globAll                     // "**"
	globLiteral                 // no meta characters
	globPrefix                  // "dir/**": dir itself or anything below it
	globSuffix                  // "**/*.ext": any path whose last segment ends in ext
)

const globMeta = `*?[]{}\`

// compileGlob validates pattern and picks its matcher; ok is false for a bad pattern.
func compileGlob(pattern string) (Glob, bool) {
	if pattern == "" || !doublestar.ValidatePattern(pattern) {
		return Glob{}, false
	}
	g := Glob{Pattern: pattern}
	switch {
	case pattern == "**":
		g.kind = globAll
	case !strings.ContainsAny(pattern, globMeta):
		g.kind, g.lit = globLiteral, pattern
	case strings.HasSuffix(pattern, "/**") && !strings.ContainsAny(pattern[:len(pattern)-3], globMeta):
		g.kind, g.lit = globPrefix, pattern[:len(pattern)-3]
	case strings.HasPrefix(pattern, "**/*") && !strings.ContainsAny(pattern[4:], globMeta+"/"):
		g.kind, g.lit = globSuffix, pattern[4:]
	}
	return g, true
}

// Match reports whether name matches the pattern, with doublestar semantics.
func (g Glob) Match(name string) bool {
	switch g.kind {
	case globAll:
		return true
	case globLiteral:
		return name == g.lit
	case globPrefix:
		return name == g.lit || (len(name) > len(g.lit) && name[len(g.lit)] == '/' && strings.HasPrefix(name, g.lit))
	case globSuffix:
		return strings.HasSuffix(name, g.lit)
	}
	ok, _ := doublestar.Match(g.Pattern, name)
	return ok
}

func matchAny(gs []Glob, name string) bool {
	for i := range gs {
		if gs[i].Match(name) {
			return true
		}
	}
	return false
}
