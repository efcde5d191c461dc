package policy

import (
	"strconv"
	"strings"
)

// Error is one problem in a policy file. Every error carries a position so that an
// editor, a CLI user and a check-run annotation can all point at the offending line.
type Error struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"message"`
}

// Error renders the conventional FILE:LINE:COL: message form that editors understand.
func (e Error) Error() string {
	var b strings.Builder
	b.Grow(len(e.File) + len(e.Msg) + 16)
	b.WriteString(e.File)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Col))
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one parse or merge: reporting them all at once saves
// the policy author a fix-and-retry round per mistake.
type Errors []Error

// Error joins the errors one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
