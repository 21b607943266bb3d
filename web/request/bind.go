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

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// MaxBody is the request body limit of API.md; the server applies it to
// every route but uploads.
const MaxBody = 1 << 20

// Bind decodes a JSON body strictly: unknown fields (keys are matched
// exactly, case included) and trailing data are invalid_request, a wrong type
// for a field, a time among them, is invalid_field naming it. An empty body
// decodes as {} when optional is true.
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
	if field := nulField(reflect.ValueOf(v), ""); field != "" {
		return auction.FieldError(field, "must not contain a NUL character")
	}
	return nil
}

// UnknownKey reports whether the JSON object in data has a key that v's type
// does not name exactly (encoding/json alone would take "Amount" for
// "amount"); for frames decoded without Bind.
func UnknownKey(data []byte, v any) bool {
	return checkKeys(data, shapeOf(reflect.TypeOf(v))).unknown
}

// notJSONSpace reports whether r is not JSON white space.
func notJSONSpace(r rune) bool { return r != ' ' && r != '\t' && r != '\n' && r != '\r' }

// nulField names the first string in v (a decoded request) that holds a NUL
// character, which JSON may carry (\u0000) but PostgreSQL text cannot: such a
// request is refused as invalid_field instead of failing in the database.
func nulField(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nulField(v.Elem(), path)
		}
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			return path
		}
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
				if p := nulField(v.Field(i), path); p != "" {
					return p
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			if p := nulField(v.Field(i), joinField(path, name)); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p := nulField(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if strings.ContainsRune(k, 0) {
				return path
			}
			if p := nulField(iter.Value(), joinField(path, k)); p != "" {
				return p
			}
		}
	}
	return ""
}

func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
