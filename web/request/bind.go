package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// MaxBody is the request body limit of API.md; the server applies it to
// every route but uploads.
const MaxBody = 1 << 20

// Bind decodes a JSON body strictly: unknown fields (keys are matched
// exactly, case included) and trailing data are invalid_request, a wrong type
// for a field, a time among them, is invalid_field naming it, and so is text
// that breaks the one text rule (textField: UTF-8, no control characters,
// bounded length). An empty body decodes as {} when optional is true.
func Bind(c echo.Context, v any, optional ...bool) error {
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")
		}
		return auction.Errorf(auction.EInvalidRequest, "the request body could not be read")
	}
	i := bytes.IndexFunc(data, notJSONSpace)
	if i < 0 {
		if len(optional) > 0 && optional[0] {
			return nil
		}
		return auction.Errorf(auction.EInvalidRequest, "the request body is empty; send a JSON object")
	}
	if data[i] != '{' {
		return auction.Errorf(auction.EInvalidRequest, "malformed JSON: the body must be a JSON object")
	}
	// Malformed JSON is refused as such before any field is judged: a body
	// that is not exactly one JSON value (trailing data, a syntax error after
	// a wrongly typed field) is 400 invalid_request, never a field's 422.
	// Past this check the decoder meets no syntax error and no trailing data.
	if !json.Valid(data) {
		var probe any
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&probe); err != nil {
			return auction.Errorf(auction.EInvalidRequest, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return auction.Errorf(auction.EInvalidRequest, "malformed JSON: data after the object")
	}
	keys := checkKeys(data, shapeOf(reflect.TypeOf(v)))
	if keys.unknown {
		msg := fmt.Sprintf("unknown field %q", keys.key)
		if keys.path != "" {
			msg += " in " + keys.path
		}
		if keys.hint != "" {
			msg += fmt.Sprintf(" (keys are case-sensitive: %q)", keys.hint)
		}
		return auction.Errorf(auction.EInvalidRequest, "malformed JSON: %s", msg)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case keys.badTime != "":
			// The decoder stops at a time it cannot parse without naming its
			// field; the walk over the keys found it.
			return auction.FieldError(keys.badTime, "must be an RFC 3339 time such as 2026-03-01T02:00:00Z")
		case errors.As(err, &typeErr):
			return auction.FieldError(typeErr.Field, "must be a JSON %s", typeErr.Type.Kind())
		}
		return auction.Errorf(auction.EInvalidRequest, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return textField(reflect.ValueOf(v), "")
}

// UnknownKey reports whether the JSON object in data has a key that v's type
// does not name exactly (encoding/json alone would take "Amount" for
// "amount"); for frames decoded without Bind.
func UnknownKey(data []byte, v any) bool {
	return checkKeys(data, shapeOf(reflect.TypeOf(v))).unknown
}

// notJSONSpace reports whether r is not JSON white space.
func notJSONSpace(r rune) bool { return r != ' ' && r != '\t' && r != '\n' && r != '\r' }

// Text fields of a request are judged in one place, here, for every route:
// valid UTF-8, no NUL or other control characters (line breaks and tabs only
// in the multi-line fields), and at most so many characters. A refusal is
// 422 invalid_field naming the field, never a failure in the database (a
// NUL, which JSON may carry as \u0000, or a key too long for an index).
// Comparisons that need one form (identity numbers, e-mail addresses) are
// normalised (NFKC) by the domain's own rules after this.

// maxText bounds a single-line text field; every indexed text column holds it.
const maxText = 500

// maxLongText bounds the multi-line fields.
const maxLongText = 20000

// multilineFields are the request fields (by JSON name) that are prose.
var multilineFields = map[string]bool{
	"description": true, "reason": true, "appraisal_report": true, "encumbrances": true,
	"occupancy": true, "tax_terms": true, "viewing": true, "note": true,
}

// textLimits are fields (by JSON name) bounded below maxText.
var textLimits = map[string]int{
	"case_number": 100, "court_name": 200, "name": 200, "real_name": 100, "phone": 40,
	"reference": 200, "id_type": 40, "method": 40, "category": 40, "round": 40,
}

// trimmedFields are the request fields (by JSON name) whose normal form
// drops surrounding white space: identity numbers and e-mail addresses.
var trimmedFields = map[string]bool{"id_number": true, "email": true}

// textField returns invalid_field for the first string in v (a decoded
// request) that breaks the text rule.
func textField(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return textField(v.Elem(), path)
		}
	case reflect.String:
		return checkText(path, v.String())
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				if err := textField(v.Field(i), path); err != nil {
					return err
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			if err := textField(v.Field(i), joinField(path, name)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := textField(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if err := checkText(path, k); err != nil {
				return err
			}
			if err := textField(iter.Value(), joinField(path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkText applies the text rule to one field, named by its path; its
// bounds come from the field's own name (the last part of the path).
func checkText(path, s string) error {
	leaf := path
	if i := strings.LastIndexAny(leaf, ".]"); i >= 0 {
		leaf = leaf[i+1:]
	}
	max, multiline := maxText, multilineFields[leaf]
	if multiline {
		max = maxLongText
	} else if n, ok := textLimits[leaf]; ok {
		max = n
	}
	if trimmedFields[leaf] {
		// The domain removes surrounding white space from these before it
		// compares or stores them (API.md: an id_number's surrounding white
		// space is removed), so a pasted tab or line break around the value
		// is not part of it; inside it the rule holds.
		s = strings.TrimFunc(s, unicode.IsSpace)
	}
	if strings.ContainsRune(s, utf8.RuneError) {
		// The decoder turns invalid UTF-8 and lone surrogates (\ud800)
		// into U+FFFD; text never needs the replacement character itself.
		return auction.FieldError(path, "must be UTF-8 text")
	}
	return auction.CheckText(path, s, max, multiline)
}

func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// CheckParams applies the text rule to every query parameter (its name and
// values) and path parameter of a request before its handler runs, so that
// no handler meets a NUL, invalid UTF-8 or an unbounded string from the URL:
// 422 invalid_field naming a query parameter, 404 not_found for a path (no
// resource has such an id).
func CheckParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for name, values := range c.QueryParams() {
			if err := checkText(name, name); err != nil {
				return auction.FieldError("query", "a parameter name must be UTF-8 text without control characters, at most %d characters", maxText)
			}
			for _, v := range values {
				if err := checkText(name, v); err != nil {
					return err
				}
			}
		}
		for i, name := range c.ParamNames() {
			if name == "*" {
				continue // static files: the file server judges the path
			}
			// A path names a resource: one that cannot exist is not found.
			if err := checkText(name, c.ParamValues()[i]); err != nil {
				return auction.Errorf(auction.ENotFound, "no such %s: the path's %s is not an identifier", strings.TrimSuffix(c.Path(), "/:"+name), name)
			}
		}
		return next(c)
	}
}
