package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"reflect"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
)

// optionalString is a request field that tells an absent key (Set false) from an
// explicit null (Null true) and from a string, as PATCH needs.
type optionalString struct {
	Set   bool
	Null  bool
	Value string
}

// clearable turns the field into a patch value: nil leaves the field alone; null
// and "" both clear it.
func (o optionalString) clearable() *string {
	if !o.Set {
		return nil
	}
	v := o.Value // "" when Null
	return &v
}

// bind decodes the request body into a T under the contract's rules: an empty body
// is {}; any other body must be application/json and a single JSON object whose
// keys match T's json tags exactly (case included). Unknown keys and values of the
// wrong type are a validation_failed naming each field.
//
// Field types: string (null leaves it ""), *string (null leaves it nil),
// optionalString; any other type is decoded by encoding/json.
func bind[T any](c *fiber.Ctx) (T, error) {
	var dst T
	body := c.Request().Body() // raw: never decompressed, so its size is what was limited
	if len(body) == 0 {
		return dst, nil
	}
	if enc := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); enc != "" && !strings.EqualFold(enc, "identity") {
		return dst, errUnsupportedEncoding
	}
	if !isJSONMediaType(c.Get(fiber.HeaderContentType)) {
		return dst, errUnsupportedMediaType
	}
	return dst, decodeStrict(body, &dst)
}

// isJSONMediaType accepts application/json with no parameter but charset=utf-8.
func isJSONMediaType(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// decodeStrict fills the struct dst points to from body; see bind.
func decodeStrict(body []byte, dst any) error {
	v := reflect.ValueOf(dst).Elem()
	fields := jsonFields(v.Type())

	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return errMalformedJSON
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errNotAnObject
	}
	var bad []domain.FieldError
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errMalformedJSON
		}
		key, _ := tok.(string) // inside an object the decoder yields only string keys
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return errMalformedJSON
		}
		if seen[key] {
			bad = append(bad, domain.FieldError{Field: key, Message: "must not be repeated"})
			continue
		}
		seen[key] = true
		i, ok := fields[key]
		if !ok {
			bad = append(bad, domain.FieldError{Field: key, Message: "is not allowed"})
			continue
		}
		if msg := assign(v.Field(i), raw); msg != "" {
			bad = append(bad, domain.FieldError{Field: key, Message: msg})
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return errMalformedJSON
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailingData
	}
	return domain.Validation(bad...)
}

// assign stores one JSON value in field and returns a field message when the
// value has the wrong type.
func assign(field reflect.Value, raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	isNull := string(raw) == "null"
	isString := len(raw) > 0 && raw[0] == '"'
	switch p := field.Addr().Interface().(type) {
	case *string:
		if isNull {
			return ""
		}
		if !isString || json.Unmarshal(raw, p) != nil {
			return "must be a string"
		}
	case **string:
		if isNull {
			*p = nil
			return ""
		}
		var s string
		if !isString || json.Unmarshal(raw, &s) != nil {
			return "must be a string"
		}
		*p = &s
	case *domain.Secret: // as *string: secrets are strings that redact themselves
		if isNull {
			return ""
		}
		if !isString || json.Unmarshal(raw, p) != nil {
			return "must be a string"
		}
	case **domain.Secret:
		if isNull {
			*p = nil
			return ""
		}
		var s domain.Secret
		if !isString || json.Unmarshal(raw, &s) != nil {
			return "must be a string"
		}
		*p = &s
	case *optionalString:
		p.Set = true
		if isNull {
			p.Null = true
			return ""
		}
		if !isString || json.Unmarshal(raw, &p.Value) != nil {
			return "must be a string"
		}
	default:
		if json.Unmarshal(raw, p) != nil {
			return "has a value of the wrong type"
		}
	}
	return ""
}

var fieldCache sync.Map // reflect.Type → map[string]int

// jsonFields maps each exported field's json name to its index.
func jsonFields(t reflect.Type) map[string]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := make(map[string]int)
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		m[name] = i
	}
	fieldCache.Store(t, m)
	return m
}
