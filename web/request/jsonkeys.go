package request

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// encoding/json matches object keys to fields without regard to case, even
// with DisallowUnknownFields, so "EMAIL" would fill email. Request keys are
// exact (API.md: unknown fields are refused), so bind first walks the body's
// keys against the exact names of the destination type, which also finds
// the field of a time that does not parse (the decoder does not name it).

// shapeKind is what a JSON value decoded into a Go type may hold.
type shapeKind uint8

const (
	// shapeAny takes any value as it is (scalars, interfaces, types that
	// unmarshal themselves): its keys are not checked.
	shapeAny shapeKind = iota
	shapeStruct
	shapeMap
	shapeList
	shapeTime
)

// field is a struct field as JSON sees it.
type field struct {
	name  string
	shape *shape
}

// shape is the exact JSON names a Go type accepts, down through its fields.
type shape struct {
	kind shapeKind
	// fields are a struct's JSON names, promoted fields included.
	fields map[string]field
	// elem is the shape of a map's values or a list's elements.
	elem *shape
}

var (
	// shapes caches a shape per destination type: bind runs on every bid.
	shapes sync.Map // reflect.Type -> *shape

	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// shapeOf returns the shape of t, built once per type (two first calls at
// once may both build it; they build the same).
func shapeOf(t reflect.Type) *shape {
	if sh, ok := shapes.Load(t); ok {
		return sh.(*shape)
	}
	sh, _ := shapes.LoadOrStore(t, buildShape(t, map[reflect.Type]*shape{}))
	return sh.(*shape)
}

// buildShape follows encoding/json's view of t; building records each
// struct before its fields so that recursive types end.
func buildShape(t reflect.Type, building map[reflect.Type]*shape) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if sh, ok := building[t]; ok {
		return sh
	}
	switch {
	case t == timeType:
		return &shape{kind: shapeTime}
	case reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textType):
		return &shape{kind: shapeAny}
	}
	switch t.Kind() {
	case reflect.Struct:
		sh := &shape{kind: shapeStruct, fields: map[string]field{}}
		building[t] = sh
		addFields(sh.fields, t, building)
		return sh
	case reflect.Map:
		return &shape{kind: shapeMap, elem: buildShape(t.Elem(), building)}
	case reflect.Slice, reflect.Array:
		return &shape{kind: shapeList, elem: buildShape(t.Elem(), building)}
	}
	return &shape{kind: shapeAny}
}

// addFields adds the JSON names of t's fields to into: its own fields first,
// then those promoted from embedded structs unless a shallower one has the
// name (as encoding/json decides).
func addFields(into map[string]field, t reflect.Type, building map[reflect.Type]*shape) {
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			embedded = append(embedded, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = field{name: name, shape: buildShape(f.Type, building)}
	}
	for _, et := range embedded {
		promoted := map[string]field{}
		addFields(promoted, et, building)
		for name, f := range promoted {
			if _, ok := into[name]; !ok {
				into[name] = f
			}
		}
	}
}

// keyProblem is what walking a body's keys found.
type keyProblem struct {
	// unknown tells that key, the first key that no field has exactly, was
	// found at path (the object's place in the body; "" for the body itself).
	unknown   bool
	key, path string
	// hint is the field's exact name when key differs from it only in case.
	hint string
	// badTime is the first time field whose value is not an RFC 3339 string.
	badTime string
}

// maxKeyDepth bounds the walk as encoding/json bounds nesting; a deeper body
// fails to decode anyway.
const maxKeyDepth = 10000

var anyShape = &shape{kind: shapeAny}

// checkKeys walks the JSON value in data against sh. It stops at the first
// unknown key, and quietly at bad syntax, which decoding the body reports.
func checkKeys(data []byte, sh *shape) keyProblem {
	s := keyScan{data: data}
	s.walk(sh, "", 0)
	return s.p
}

// keyScan reads a JSON body for its keys alone: values are stepped over, not
// decoded, so the check costs next to nothing beside the decoding itself
// (bind runs on every bid).
type keyScan struct {
	data []byte
	i    int
	p    keyProblem
}

func (s *keyScan) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte, 0 at the end.
func (s *keyScan) next() byte {
	s.space()
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

// str reads the string at s.i (an opening quote) and returns what is between
// its quotes, escapes as they are.
func (s *keyScan) str() ([]byte, bool) {
	start := s.i + 1
	for i := start; i < len(s.data); i++ {
		switch s.data[i] {
		case '\\':
			i++ // the escaped byte; \uXXXX goes on with hex digits
		case '"':
			s.i = i + 1
			return s.data[start:i], true
		}
	}
	return nil, false
}

// skip steps over one value; nesting is counted, never recursed into.
func (s *keyScan) skip() bool {
	depth := 0
	for {
		switch s.next() {
		case 0:
			return false
		case '"':
			if _, ok := s.str(); !ok {
				return false
			}
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			depth--
			s.i++
		case ',', ':':
			if depth == 0 {
				return false
			}
			s.i++
		default: // a number or a literal: up to the next delimiter
			for s.i < len(s.data) && !isDelimiter(s.data[s.i]) {
				s.i++
			}
		}
		if depth <= 0 {
			return depth == 0
		}
	}
}

func isDelimiter(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\r', ',', ':', '{', '}', '[', ']', '"':
		return true
	}
	return false
}

// walk reads one value against sh. It returns false when the walk must
// end: bad syntax, or an unknown key (recorded in s.p).
func (s *keyScan) walk(sh *shape, path string, depth int) bool {
	switch {
	case s.next() == 0:
		return false
	case sh.kind == shapeAny:
		return s.skip()
	case sh.kind == shapeTime:
		start := s.i
		if !s.skip() {
			return false
		}
		var t time.Time
		if s.p.badTime == "" && t.UnmarshalJSON(s.data[start:s.i]) != nil {
			s.p.badTime = path
		}
		return true
	case depth > maxKeyDepth:
		return false
	}
	switch s.data[s.i] {
	case '{':
		s.i++
		if s.next() == '}' {
			s.i++
			return true
		}
		for {
			if s.next() != '"' {
				return false
			}
			start := s.i
			raw, ok := s.str()
			if !ok || s.next() != ':' {
				return false
			}
			s.i++
			next, name := anyShape, ""
			switch sh.kind {
			case shapeStruct:
				f, ok := sh.fields[string(raw)]
				if !ok {
					key := unquoteKey(s.data[start:s.i-1], raw)
					if f, ok = sh.fields[key]; !ok {
						s.p.unknown, s.p.key, s.p.path = true, key, path
						for name := range sh.fields {
							if strings.EqualFold(name, key) {
								s.p.hint = name
							}
						}
						return false
					}
				}
				next, name = f.shape, f.name
			case shapeMap:
				next, name = sh.elem, unquoteKey(s.data[start:s.i-1], raw)
			}
			if !s.walk(next, joinField(path, name), depth+1) {
				return false
			}
			switch s.next() {
			case ',':
				s.i++
			case '}':
				s.i++
				return true
			default:
				return false
			}
		}
	case '[':
		s.i++
		if s.next() == ']' {
			s.i++
			return true
		}
		next := anyShape
		if sh.kind == shapeList {
			next = sh.elem
		}
		for n := 0; ; n++ {
			if !s.walk(next, path+"["+strconv.Itoa(n)+"]", depth+1) {
				return false
			}
			switch s.next() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	}
	// A scalar where an object or a list belongs: decoding reports the type.
	return s.skip()
}

// unquoteKey is the key a quoted JSON string stands for (quoted includes
// its quotes, raw is what is between them): escapes such as \u0065 name the
// same key as the letter itself.
func unquoteKey(quoted, raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var key string
	if json.Unmarshal(quoted, &key) != nil {
		return string(raw)
	}
	return key
}
