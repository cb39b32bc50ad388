package ui

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseArg(t *testing.T) {
	cases := []struct {
		name, typ, text string
		want            any
		wantErr         string // part of the error; "" means no error
	}{
		{"string kept as typed", typeString, "  hi there ", "  hi there ", ""},
		{"empty is not set", typeString, "", nil, "not set"},
		{"blank is not set", typeInt32, "   ", nil, "not set"},
		{"bool true", typeBool, "True", true, ""},
		{"bool junk", typeBool, "yes", nil, "true or false"},
		{"int32", typeInt32, " 42 ", json.Number("42"), ""},
		{"int32 plus sign", typeInt32, "+7", json.Number("7"), ""},
		{"int32 too large", typeInt32, "2147483648", nil, "too large for a 32-bit"},
		{"int32 fraction", typeInt32, "1.5", nil, "whole number"},
		{"int64 large stays exact", typeInt64, "9007199254740993",
			json.Number("9007199254740993"), ""},
		{"double", typeDouble, "-2e3", json.Number("-2e3"), ""},
		{"double junk", typeDouble, "abc", nil, "enter a number"},
		{"double leading dot", typeDecimal, ".5", nil, "enter a number"},
		{"datetime full", typeDateTime, "2026-12-04T16:30:00Z", "2026-12-04T16:30:00Z", ""},
		{"datetime date only", typeDateTime, "2026-12-04", "2026-12-04", ""},
		{"datetime junk", typeDateTime, "tomorrow", nil, "ISO 8601"},
		{"object", typeJObject, `{"a": 1}`, map[string]any{"a": json.Number("1")}, ""},
		{"object not object", typeJObject, `[1]`, nil, "JSON object"},
		{"object two values", typeJObject, `{} {}`, nil, "JSON object"},
		{"string array", "System.String[]", `["a", "b"]`, []any{"a", "b"}, ""},
		{"int array bad item", "System.Int32[]", `[1, 2.5]`, nil, "item 2"},
		{"array not array", "System.Int32[]", `3`, nil, "JSON array"},
		{"unknown type any json", "My.Type", `{"x": true}`, map[string]any{"x": true}, ""},
		{"unknown type not json", "My.Type", `x`, nil, "JSON value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseArg(c.typ, c.text)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("parseArg(%s, %q) error = %v, want one with %q",
						c.typ, c.text, err, c.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("parseArg(%s, %q) = %#v, %v; want %#v", c.typ, c.text, got, err, c.want)
			}
		})
	}
}

func TestParseArg_ErrorsNeverEchoTheValue(t *testing.T) {
	secret := "hunter2-secret"
	for _, typ := range []string{typeBool, typeInt32, typeDouble, typeDateTime, typeJObject,
		"System.Int32[]", "Other"} {
		_, err := parseArg(typ, secret)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("parseArg(%s, secret) error = %v: want an error without the value", typ, err)
		}
	}
}

func TestTypeHint(t *testing.T) {
	cases := map[string]string{
		typeString:        "text",
		typeInt64:         "whole number",
		"System.Double[]": "JSON array, e.g. [1.5, 2]",
		"Foo.Bar":         "JSON value (Foo.Bar)",
	}
	for typ, want := range cases {
		if got := typeHint(typ); got != want {
			t.Errorf("typeHint(%s) = %q, want %q", typ, got, want)
		}
	}
	if !errors.Is(errNotSet, errNotSet) || isMultiLine(typeString) || !isMultiLine(typeJObject) {
		t.Error("isMultiLine: strings are one line, objects several")
	}
}
