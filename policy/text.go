package policy

import "strconv"

// Small text helpers: reasons are built with string concatenation rather than fmt
// because evaluation runs on every webhook and fmt allocates per argument.

func itoa(n int) string { return strconv.Itoa(n) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// short shortens a SHA to 7 characters, as GitHub shows them.
func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// clock turns an RFC 3339 timestamp into HH:MM for reasons; other text passes through.
func clock(ts string) string {
	if len(ts) >= 16 && ts[10] == 'T' && ts[13] == ':' {
		return ts[11:16]
	}
	return ts
}

// joinList renders "a", "a and b", "a, b and c".
func joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	n := 0
	for _, s := range items {
		n += len(s) + 2
	}
	b := make([]byte, 0, n+3)
	for i, s := range items {
		switch {
		case i == 0:
		case i == len(items)-1:
			b = append(b, " and "...)
		default:
			b = append(b, ", "...)
		}
		b = append(b, s...)
	}
	return string(b)
}

// orList renders "a", "a or b", "a, b or c".
func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	s := ""
	for i, it := range items {
		switch {
		case i == 0:
		case i == len(items)-1:
			s += " or "
		default:
			s += ", "
		}
		s += it
	}
	return s
}

// compareTime orders two RFC 3339 timestamps as GitHub writes them (UTC, "Z"), with
// optional fractional seconds compared digit by digit, without parsing (no allocation).
func compareTime(a, b string) int {
	if len(a) < 19 || len(b) < 19 {
		return compareStr(a, b)
	}
	if c := compareStr(a[:19], b[:19]); c != 0 {
		return c
	}
	fa, fb := fraction(a[19:]), fraction(b[19:])
	for i := 0; i < len(fa) || i < len(fb); i++ {
		ca, cb := byte('0'), byte('0')
		if i < len(fa) {
			ca = fa[i]
		}
		if i < len(fb) {
			cb = fb[i]
		}
		if ca != cb {
			return int(ca) - int(cb)
		}
	}
	return 0
}

func fraction(rest string) string {
	if len(rest) == 0 || rest[0] != '.' {
		return ""
	}
	i := 1
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	return rest[1:i]
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
