package policy

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// factsValue is the facts as an OPA value: exactly the Facts JSON that RegoInput prints
// (same names, same omitempty rules), so what `--show-input` shows is what the module
// reads. It walks the Go value by reflection instead of encoding and decoding JSON, which
// would be most of a rego requirement's cost on a large pull request; fields that other
// parts of foureyes add to Facts are converted without code here.
// TestFactsValueIsTheJSON checks it against the JSON round trip.
func factsValue(f *Facts) (ast.Value, error) {
	return encoderFor(reflect.TypeOf(*f))(reflect.ValueOf(*f), &termArena{}).Value, nil
}

// termArena hands out terms from blocks, so a large input costs one allocation per
// block of terms instead of one per term (the strings' own boxes remain).
type termArena struct{ buf []ast.Term }

func (a *termArena) term(v ast.Value) *ast.Term {
	if len(a.buf) == 0 {
		a.buf = make([]ast.Term, 256)
	}
	t := &a.buf[0]
	a.buf = a.buf[1:]
	t.Value = v
	return t
}

// factsFields lists the top-level fields of the Facts JSON, in order, for building an
// input of only the fields a module reads (regoInputKeys).
var factsFields = func() []fieldEncoder {
	t := reflect.TypeOf(Facts{})
	encoderFor(t)
	return structFields(t)
}()

// partialFactsValue is factsValue restricted to the top-level fields keys names: a
// module that never mentions input.changed_files does not pay for converting 3000
// paths. It is the same document for every expression the module can evaluate.
// cache holds the fields converted so far in this evaluation.
func partialFactsValue(f *Facts, keys []string, cache map[string]*ast.Term) ast.Value {
	v := reflect.ValueOf(f).Elem()
	a := &termArena{}
	pairs := make([][2]*ast.Term, 0, len(keys))
	for _, fe := range factsFields {
		name := string(fe.key.Value.(ast.String))
		if !containsString(keys, name) {
			continue
		}
		term, ok := cache[name]
		if !ok {
			fv := v.FieldByIndex(fe.index)
			if !(fe.omitEmpty && isEmptyValue(fv)) {
				term = fe.enc(fv, a)
			}
			cache[name] = term
		}
		if term != nil {
			pairs = append(pairs, [2]*ast.Term{fe.key, term})
		}
	}
	return ast.NewObject(pairs...)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type encoder func(reflect.Value, *termArena) *ast.Term

var encoders sync.Map // reflect.Type -> encoder

func encoderFor(t reflect.Type) encoder {
	if e, ok := encoders.Load(t); ok {
		return e.(encoder)
	}
	// A placeholder breaks cycles in recursive types while the real encoder is built.
	var real encoder
	encoders.Store(t, encoder(func(v reflect.Value, a *termArena) *ast.Term { return real(v, a) }))
	real = buildEncoder(t)
	encoders.Store(t, real)
	return real
}

func buildEncoder(t reflect.Type) encoder {
	switch t.Kind() {
	case reflect.String:
		return func(v reflect.Value, a *termArena) *ast.Term { return a.term(ast.String(v.String())) }
	case reflect.Bool:
		return func(v reflect.Value, a *termArena) *ast.Term { return a.term(ast.Boolean(v.Bool())) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(v reflect.Value, a *termArena) *ast.Term { return a.term(ast.IntNumberTerm(int(v.Int())).Value) }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(v reflect.Value, a *termArena) *ast.Term {
			return a.term(ast.Number(json.Number(strconv.FormatUint(v.Uint(), 10))))
		}
	case reflect.Float32, reflect.Float64:
		return func(v reflect.Value, a *termArena) *ast.Term { return a.term(ast.FloatNumberTerm(v.Float()).Value) }
	case reflect.Pointer:
		elem := encoderFor(t.Elem())
		return func(v reflect.Value, a *termArena) *ast.Term {
			if v.IsNil() {
				return a.term(ast.Null{})
			}
			return elem(v.Elem(), a)
		}
	case reflect.Slice, reflect.Array:
		elem := encoderFor(t.Elem())
		return func(v reflect.Value, a *termArena) *ast.Term {
			if v.Kind() == reflect.Slice && v.IsNil() {
				return a.term(ast.Null{})
			}
			terms := make([]*ast.Term, v.Len())
			for i := range terms {
				terms[i] = elem(v.Index(i), a)
			}
			return a.term(ast.NewArray(terms...))
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return jsonEncoder
		}
		elem := encoderFor(t.Elem())
		return func(v reflect.Value, a *termArena) *ast.Term {
			if v.IsNil() {
				return a.term(ast.Null{})
			}
			pairs := make([][2]*ast.Term, 0, v.Len())
			it := v.MapRange()
			for it.Next() {
				pairs = append(pairs, [2]*ast.Term{a.term(ast.String(it.Key().String())), elem(it.Value(), a)})
			}
			return a.term(ast.NewObject(pairs...))
		}
	case reflect.Struct:
		return structEncoder(t)
	}
	return jsonEncoder
}

// jsonEncoder is the fallback for kinds Facts does not use: the JSON round trip.
func jsonEncoder(v reflect.Value, _ *termArena) *ast.Term {
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return ast.NullTerm()
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return ast.NullTerm()
	}
	val, err := ast.InterfaceToValue(x)
	if err != nil {
		return ast.NullTerm()
	}
	return ast.NewTerm(val)
}

type fieldEncoder struct {
	index     []int
	key       *ast.Term
	omitEmpty bool
	enc       encoder
}

// structEncoder follows encoding/json: the json tag's name, omitempty, "-", unexported
// fields skipped, embedded structs' fields promoted.
func structEncoder(t reflect.Type) encoder {
	fields := structFields(t)
	return func(v reflect.Value, a *termArena) *ast.Term {
		pairs := make([][2]*ast.Term, 0, len(fields))
		for _, f := range fields {
			fv := v.FieldByIndex(f.index)
			if f.omitEmpty && isEmptyValue(fv) {
				continue
			}
			pairs = append(pairs, [2]*ast.Term{f.key, f.enc(fv, a)})
		}
		return a.term(ast.NewObject(pairs...))
	}
}

func structFields(t reflect.Type) []fieldEncoder {
	var fields []fieldEncoder
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fields = append(fields, fieldEncoder{index: f.Index, key: ast.StringTerm(name),
			omitEmpty: strings.Contains(","+opts+",", ",omitempty,"), enc: encoderFor(f.Type)})
	}
	return fields
}

// isEmptyValue is encoding/json's notion of empty for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
