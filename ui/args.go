package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Argument types as Studio names them in project.json.
const (
	typeString   = "System.String"
	typeBool     = "System.Boolean"
	typeInt32    = "System.Int32"
	typeInt64    = "System.Int64"
	typeDouble   = "System.Double"
	typeSingle   = "System.Single"
	typeDecimal  = "System.Decimal"
	typeDateTime = "System.DateTime"
	typeJObject  = "Newtonsoft.Json.Linq.JObject"
)

// errNotSet marks an empty optional field: the argument is left out.
var errNotSet = errors.New("not set")

// dateLayouts are the ISO 8601 forms the robot accepts for System.DateTime.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"}

// typeHint is the short text shown under a field: what to type.
func typeHint(typ string) string {
	switch typ {
	case typeString:
		return "text"
	case typeBool:
		return "true or false"
	case typeInt32, typeInt64:
		return "whole number"
	case typeDouble, typeSingle, typeDecimal:
		return "number, e.g. 3.14"
	case typeDateTime:
		return "date and time, e.g. 2026-12-04T16:30:00Z"
	case typeJObject:
		return `JSON object, e.g. {"key": "value"}`
	}
	if elem, ok := strings.CutSuffix(typ, "[]"); ok {
		return "JSON array, e.g. " + arrayExample(elem)
	}
	return "JSON value (" + typ + ")"
}

// arrayExample is a short example array of an element type.
func arrayExample(elem string) string {
	switch elem {
	case typeString:
		return `["a", "b"]`
	case typeBool:
		return "[true, false]"
	case typeInt32, typeInt64:
		return "[1, 2]"
	case typeDouble, typeSingle, typeDecimal:
		return "[1.5, 2]"
	case typeDateTime:
		return `["2026-12-04T16:30:00Z"]`
	case typeJObject:
		return `[{"key": "value"}]`
	}
	return "[ ]"
}

// isMultiLine reports whether a type is typed as JSON in a larger box.
func isMultiLine(typ string) bool {
	switch typ {
	case typeString, typeBool, typeInt32, typeInt64, typeDouble, typeSingle,
		typeDecimal, typeDateTime:
		return false
	}
	return true
}

// parseArg turns what the user typed into the JSON value for an argument
// of type typ. Empty text gives errNotSet. Numbers stay json.Number so
// that large integers reach the process exactly. Errors say what to type
// and never repeat the value (it may be private).
func parseArg(typ, text string) (any, error) {
	if strings.TrimSpace(text) == "" {
		return nil, errNotSet
	}
	switch typ {
	case typeString:
		return text, nil
	case typeBool:
		return parseBool(text)
	case typeInt32:
		return parseInt(text, 32)
	case typeInt64:
		return parseInt(text, 64)
	case typeDouble, typeSingle, typeDecimal:
		return parseNumber(text)
	case typeDateTime:
		return parseDateTime(text)
	}
	v, err := decodeJSON(text)
	if err != nil {
		return nil, fmt.Errorf("enter %s", typeHint(typ))
	}
	if err := checkJSON(typ, v); err != nil {
		return nil, err
	}
	return v, nil
}

func parseBool(text string) (any, error) {
	switch strings.TrimSpace(strings.ToLower(text)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return nil, errors.New("enter true or false")
}

func parseInt(text string, bits int) (any, error) {
	s := strings.TrimSpace(text)
	if _, err := strconv.ParseInt(s, 10, bits); err != nil {
		var numErr *strconv.NumError
		if errors.As(err, &numErr) && errors.Is(numErr.Err, strconv.ErrRange) {
			return nil, fmt.Errorf("too large for a %d-bit whole number", bits)
		}
		return nil, errors.New("enter a whole number, e.g. 42")
	}
	return json.Number(strings.TrimPrefix(s, "+")), nil
}

func parseNumber(text string) (any, error) {
	v, err := decodeJSON(text)
	if n, ok := v.(json.Number); err == nil && ok {
		return n, nil
	}
	return nil, errors.New("enter a number, e.g. 3.14 or -2e3")
}

func parseDateTime(text string) (any, error) {
	s := strings.TrimSpace(text)
	for _, layout := range dateLayouts {
		if _, err := time.Parse(layout, s); err == nil {
			return s, nil
		}
	}
	return nil, errors.New("enter an ISO 8601 date and time, e.g. 2026-12-04T16:30:00Z")
}

// decodeJSON decodes exactly one JSON value, keeping numbers exact.
func decodeJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

// checkJSON checks a decoded value against typ the way the robot will, so
// that the form catches mistakes before the job is started.
func checkJSON(typ string, v any) error {
	if v == nil {
		return nil // null means "not set" in .NET
	}
	if typ == typeJObject {
		if _, ok := v.(map[string]any); !ok {
			return errors.New(`enter a JSON object, e.g. {"key": "value"}`)
		}
		return nil
	}
	elem, isArray := strings.CutSuffix(typ, "[]")
	if !isArray {
		return nil // a type robotbridge does not know: any JSON value
	}
	items, ok := v.([]any)
	if !ok {
		return fmt.Errorf("enter %s", typeHint(typ))
	}
	for i, item := range items {
		if err := checkItem(elem, item); err != nil {
			return fmt.Errorf("item %d: %w", i+1, err)
		}
	}
	return nil
}

// checkItem checks one array element.
func checkItem(typ string, v any) error {
	switch typ {
	case typeString, typeDateTime:
		if s, ok := v.(string); ok {
			if typ == typeDateTime {
				_, err := parseDateTime(s)
				return err
			}
			return nil
		}
		return fmt.Errorf("enter a JSON string (%s)", typeHint(typ))
	case typeBool:
		if _, ok := v.(bool); !ok {
			return errors.New("enter true or false")
		}
		return nil
	case typeInt32, typeInt64, typeDouble, typeSingle, typeDecimal:
		n, ok := v.(json.Number)
		if !ok {
			return errors.New("enter a number")
		}
		if typ == typeInt32 || typ == typeInt64 {
			_, err := parseInt(n.String(), map[string]int{typeInt32: 32, typeInt64: 64}[typ])
			return err
		}
		return nil
	}
	return checkJSON(typ, v)
}
