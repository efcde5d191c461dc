package report

import "github.com/foureyes/foureyes/policy"

// Annotation is a check-run annotation on one line of a broken policy file, so the
// repo admin sees each error at its place in the diff.
type Annotation struct {
	Path      string `json:"path"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
	Level     string `json:"annotation_level"`
	Message   string `json:"message"`
}

// MaxAnnotations is how many annotations GitHub accepts in one check-run request.
const MaxAnnotations = 50

// Annotations turns policy errors into failure annotations, one per error, in order.
func Annotations(errs policy.Errors) []Annotation {
	n := min(len(errs), MaxAnnotations)
	out := make([]Annotation, 0, n)
	for _, e := range errs[:n] {
		line := max(e.Line, 1)
		out = append(out, Annotation{Path: e.File, StartLine: line, EndLine: line, Level: "failure", Message: e.Msg})
	}
	return out
}
