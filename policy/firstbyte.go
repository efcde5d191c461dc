package policy

import (
	"regexp/syntax"
	"unicode"
)

// firstBytes is the set of bytes a match of a regular expression can start with. The
// ticket requirement scans PR bodies of several kilobytes on every evaluation; a byte
// scan that finds no possible first byte proves there is no match at a fraction of
// the cost of running the regexp. ok is false when the set cannot be bounded (a
// pattern that can match the empty string, or starts with "."), and then the regexp
// alone decides.
type firstBytes struct {
	set [256]bool
	ok  bool
}

func newFirstBytes(pattern string) firstBytes {
	var fb firstBytes
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return fb
	}
	fb.ok = fb.add(re.Simplify())
	return fb
}

// mayMatch reports whether s contains a byte a match could start with.
func (fb *firstBytes) mayMatch(s string) bool {
	if !fb.ok {
		return true
	}
	for i := 0; i < len(s); i++ {
		if fb.set[s[i]] {
			return true
		}
	}
	return false
}

// add adds the first bytes of re's matches; false means unbounded.
func (fb *firstBytes) add(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return false
		}
		r := re.Rune[0]
		fb.addRune(r)
		if re.Flags&syntax.FoldCase != 0 {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				fb.addRune(f)
			}
		}
		return true
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return false
		}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			for r := lo; r <= hi && r < 0x80; r++ {
				fb.set[r] = true
			}
			if hi >= 0x80 {
				fb.addRune(0x80)
			}
		}
		return true
	case syntax.OpCapture, syntax.OpPlus:
		return fb.add(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min >= 1 && fb.add(re.Sub[0])
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !fb.add(sub) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			switch sub.Op {
			case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
				continue // zero-width: the next element consumes the first character
			}
			return fb.add(sub)
		}
	}
	return false
}

// addRune marks the first byte of r's UTF-8 encoding; every non-ASCII rune is
// conservatively covered by marking all bytes from 0x80 up.
func (fb *firstBytes) addRune(r rune) {
	if r < 0x80 {
		fb.set[r] = true
		return
	}
	for b := 0x80; b < 0x100; b++ {
		fb.set[b] = true
	}
}
