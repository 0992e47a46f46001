package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
	"authd/internal/testkit"
)

type bindProbe struct {
	Email    string         `json:"email"`
	Confirm  *string        `json:"confirm"`
	Nickname optionalString `json:"nickname"`
	Count    int            `json:"count"`
}

func ptr(s string) *string { return &s }

func TestDecodeStrictAcceptsExactKeys(t *testing.T) {
	t.Parallel()
	var got bindProbe
	err := decodeStrict([]byte(` {"email":"a@b.c","confirm":"x","nickname":"n","count":3} `+"\n"), &got)
	if err != nil {
		t.Fatal(err)
	}
	want := bindProbe{Email: "a@b.c", Confirm: ptr("x"), Nickname: optionalString{Set: true, Value: "n"}, Count: 3}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestDecodeStrictTellsAbsentFromNullFromEmpty(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		confirm  *string
		nickname optionalString
		email    string
	}{
		{"absent keys stay unset", `{}`, nil, optionalString{}, ""},
		{"null leaves a pointer nil and marks an optional null", `{"confirm":null,"nickname":null,"email":null}`, nil, optionalString{Set: true, Null: true}, ""},
		{"empty strings are set and empty", `{"confirm":"","nickname":""}`, ptr(""), optionalString{Set: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bindProbe
			if err := decodeStrict([]byte(tt.body), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Confirm, tt.confirm) || got.Nickname != tt.nickname || got.Email != tt.email {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestOptionalStringClearsOnNullAndEmpty(t *testing.T) {
	t.Parallel()
	if (optionalString{}).clearable() != nil {
		t.Error("absent must leave the field alone")
	}
	if v := (optionalString{Set: true, Null: true}).clearable(); v == nil || *v != "" {
		t.Error("null must clear")
	}
	if v := (optionalString{Set: true}).clearable(); v == nil || *v != "" {
		t.Error(`"" must clear`)
	}
	if v := (optionalString{Set: true, Value: "x"}).clearable(); v == nil || *v != "x" {
		t.Error("a value must be set")
	}
}

func TestDecodeStrictRejectsFieldsByName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []domain.FieldError
	}{
		{"a case variant of a known key is not allowed", `{"Email":"a@b.c"}`, []domain.FieldError{{Field: "Email", Message: "is not allowed"}}},
		{"an unknown key is not allowed", `{"email":"a@b.c","role":"admin"}`, []domain.FieldError{{Field: "role", Message: "is not allowed"}}},
		{"a number for a string must be a string", `{"email":42}`, []domain.FieldError{{Field: "email", Message: "must be a string"}}},
		{"an object for a nullable string must be a string", `{"confirm":{}}`, []domain.FieldError{{Field: "confirm", Message: "must be a string"}}},
		{"a bool for an optional string must be a string", `{"nickname":true}`, []domain.FieldError{{Field: "nickname", Message: "must be a string"}}},
		{"a string for a number has the wrong type", `{"count":"3"}`, []domain.FieldError{{Field: "count", Message: "has a value of the wrong type"}}},
		{"a repeated key is refused", `{"email":"a@b.c","email":"x@y.z"}`, []domain.FieldError{{Field: "email", Message: "must not be repeated"}}},
		{"every offender is named, in body order", `{"EMAIL":1,"email":[],"x":null}`, []domain.FieldError{
			{Field: "EMAIL", Message: "is not allowed"}, {Field: "email", Message: "must be a string"}, {Field: "x", Message: "is not allowed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bindProbe
			err := decodeStrict([]byte(tt.body), &got)
			de, ok := errors.AsType[*domain.Error](err)
			if !ok || de.Code != "validation_failed" {
				t.Fatalf("err = %v, want validation_failed", err)
			}
			if !reflect.DeepEqual(de.Fields, tt.want) {
				t.Fatalf("fields = %+v, want %+v", de.Fields, tt.want)
			}
		})
	}
}

func TestDecodeStrictRejectsMalformedBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want error
	}{
		{"invalid JSON", `{"email":`, errMalformedJSON},
		{"unterminated object", `{"email":"a"`, errMalformedJSON},
		{"bad value inside the object", `{"email":"a", "confirm": nope}`, errMalformedJSON},
		{"whitespace only", "  \n", errMalformedJSON},
		{"trailing garbage", `{"email":"a"} x`, errTrailingData},
		{"a second object", `{}{}`, errTrailingData},
		{"an array", `[{"email":"a"}]`, errNotAnObject},
		{"a string", `"email"`, errNotAnObject},
		{"null", `null`, errNotAnObject},
		{"a number", `1`, errNotAnObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bindProbe
			err := decodeStrict([]byte(tt.body), &got)
			if err != tt.want { //nolint:errorlint // sentinels are returned as is
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestIsJSONMediaType(t *testing.T) {
	t.Parallel()
	for ct, want := range map[string]bool{
		"application/json":                  true,
		"application/json; charset=utf-8":   true,
		"Application/JSON; Charset=UTF-8":   true,
		"":                                  false,
		"text/plain":                        false,
		"application/json; charset=latin1":  false,
		"application/json; boundary=x":      false,
		"application/x-www-form-urlencoded": false,
		"application/json;;":                false,
	} {
		if got := isJSONMediaType(ct); got != want {
			t.Errorf("isJSONMediaType(%q) = %v, want %v", ct, got, want)
		}
	}
}

// TestBindOverHTTP checks what only a request can show: empty bodies, media types,
// encodings and the error shape that comes out.
func TestBindOverHTTP(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{BodyLimit: 256}, testServices())
	router{s.App()}.post("/bind", func(c *fiber.Ctx) error {
		req, err := bind[bindProbe](c)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"email": req.Email, "nickname": req.Nickname.Set})
	})

	tests := []struct {
		name        string
		body        string
		contentType string
		encoding    string
		status      int
		code        string
	}{
		{"an empty body without Content-Type counts as {}", "", "", "", 200, ""},
		{"an empty body with a JSON Content-Type counts as {}", "", "application/json", "", 200, ""},
		{"a JSON body", `{"email":"a@b.c"}`, "application/json", "", 200, ""},
		{"a JSON body with charset utf-8", `{"email":"a@b.c"}`, "application/json; charset=utf-8", "", 200, ""},
		{"a body without Content-Type is 415", `{"email":"a@b.c"}`, "", "", 415, "unsupported_media_type"},
		{"a form body is 415", `email=a@b.c`, "application/x-www-form-urlencoded", "", 415, "unsupported_media_type"},
		{"a JSON body in another charset is 415", `{}`, "application/json; charset=iso-8859-1", "", 415, "unsupported_media_type"},
		{"a content-encoded body is 415", "\x1f\x8b", "application/json", "gzip", 415, "unsupported_media_type"},
		{"invalid JSON is malformed_json", `{"email"`, "application/json", "", 400, "malformed_json"},
		{"a JSON array is malformed_json", `[]`, "application/json", "", 400, "malformed_json"},
		{"a case variant is validation_failed", `{"Email":"a@b.c"}`, "application/json", "", 400, "validation_failed"},
		{"a body over the limit is 413", `{"email":"` + strings.Repeat("a", 300) + `"}`, "application/json", "", 413, "payload_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/bind", strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			resp, body := send(t, s, req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.code != "" {
				if p := decodeProblem(t, resp, body); p.Code != tt.code {
					t.Fatalf("code = %q, want %q", p.Code, tt.code)
				}
			}
		})
	}
}

func TestBindValidationBodyNamesEachField(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{}, testServices())
	router{s.App()}.post("/bind", func(c *fiber.Ctx) error {
		_, err := bind[bindProbe](c)
		return err
	})
	resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/bind", `{"Email":"a@b.c","email":5}`))
	p := decodeProblem(t, resp, body)
	want := []fieldError{{Field: "Email", Message: "is not allowed"}, {Field: "email", Message: "must be a string"}}
	if resp.StatusCode != 400 || p.Code != "validation_failed" || !reflect.DeepEqual(p.Errors, want) {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}
