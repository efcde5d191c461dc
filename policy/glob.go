package policy

import (
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
)

// Glob is a doublestar pattern compiled into the cheapest matcher that is exact for it.
// Evaluation matches every changed file (up to 3000) against every rule's paths, so the
// common shapes ("**", "docs/**", "**/*.go", a literal) avoid the general matcher.
type Glob struct {
	Pattern string
	kind    globKind
	lit     string // prefix, suffix or the literal, depending on kind
	// For globGeneral: literal text every match must start and end with, checked before
	// the general matcher so that most non-matching names cost two comparisons.
	prefix, suffix string
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
	case !utf8.ValidString(pattern) || strings.ContainsRune(pattern, utf8.RuneError):
		// doublestar compares runes, decoding bad bytes to U+FFFD: leave such
		// patterns to it alone rather than compare bytes.
	case pattern == "**":
		g.kind = globAll
	case !strings.ContainsAny(pattern, globMeta):
		g.kind, g.lit = globLiteral, pattern
	case strings.HasSuffix(pattern, "/**") && !strings.ContainsAny(pattern[:len(pattern)-3], globMeta):
		g.kind, g.lit = globPrefix, pattern[:len(pattern)-3]
	case len(pattern) > 4 && strings.HasPrefix(pattern, "**/*") && !strings.ContainsAny(pattern[4:], globMeta+"/"):
		g.kind, g.lit = globSuffix, pattern[4:]
	default:
		// "a/**" matches "a" and "**/b" matches "b": the slash next to a wildcard may
		// match nothing, so it is not part of the required literal.
		first := strings.IndexAny(pattern, globMeta)
		last := strings.LastIndexAny(pattern, globMeta)
		g.prefix = strings.TrimRight(pattern[:first], "/")
		g.suffix = strings.TrimLeft(pattern[last+1:], "/")
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
	if !strings.HasPrefix(name, g.prefix) || !strings.HasSuffix(name, g.suffix) {
		return false
	}
	return doublestar.MatchUnvalidated(g.Pattern, name) // validated by compileGlob
}

func matchAny(gs []Glob, name string) bool {
	for i := range gs {
		if gs[i].Match(name) {
			return true
		}
	}
	return false
}
