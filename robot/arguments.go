package robot

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
)

// ArgumentError says which input argument was wrong and why. Callers show
// it to the person who started the job.
type ArgumentError struct {
	Argument string
	Problem  string
}

func (e *ArgumentError) Error() string {
	if e.Argument == "" {
		return "input arguments: " + e.Problem
	}
	return fmt.Sprintf("input argument %q: %s", e.Argument, e.Problem)
}

// CheckInputs validates input arguments against the package's schema:
// required arguments present, undeclared ones refused (unless the package
// accepts extras), and each value of a shape its declared type can hold.
// Values pass through unchanged; only their shape is checked.
func (p *Package) CheckInputs(args map[string]any) error {
	declared := map[string]Argument{}
	for _, a := range p.Inputs {
		declared[a.Name] = a
	}

	for _, a := range p.Inputs {
		v, ok := args[a.Name]
		if a.Required && !ok {
			return &ArgumentError{a.Name, fmt.Sprintf(
				"is required (%s) but was not given", a.Type)}
		}
		if a.Required && v == nil {
			return &ArgumentError{a.Name, fmt.Sprintf(
				"is required (%s) but was null; give it a value", a.Type)}
		}
	}

	for _, name := range sortedKeys(args) {
		a, ok := declared[name]
		if !ok {
			if p.AcceptsExtraArguments {
				continue
			}
			return &ArgumentError{name, fmt.Sprintf(
				"is not an argument of %q (it takes: %s)", p.Name, p.inputNames())}
		}
		if err := checkValue(a.Type, args[name]); err != nil {
			return &ArgumentError{name, err.Error()}
		}
	}
	return nil
}

// CheckOutputs checks the output arguments a process returned against the
// declared output types. Undeclared outputs pass: Studio processes often
// return more than they declare.
func (p *Package) CheckOutputs(out map[string]any) error {
	for _, a := range p.Outputs {
		v, ok := out[a.Name]
		if !ok {
			continue
		}
		if err := checkValue(a.Type, v); err != nil {
			return fmt.Errorf("output argument %q: %w", a.Name, err)
		}
	}
	return nil
}

func (p *Package) inputNames() string {
	if len(p.Inputs) == 0 {
		return "no arguments"
	}
	names := make([]string, len(p.Inputs))
	for i, a := range p.Inputs {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkValue reports whether a JSON value fits a .NET type as Studio names
// it. A null fits every type, as in .NET where it means "not set". Types
// robotbridge does not know are passed through unchecked.
func checkValue(typeName string, v any) error {
	if v == nil {
		return nil
	}

	switch typeName {
	case "System.String":
		return want[string](v, "a string")
	case "System.Boolean":
		return want[bool](v, "true or false")
	case "System.Int32":
		return wantInteger(v, math.MinInt32, math.MaxInt32)
	case "System.Int64":
		return wantInteger(v, math.MinInt64, math.MaxInt64)
	case "System.Double", "System.Single", "System.Decimal":
		return wantNumber(v)
	case "System.Int16":
		return wantInteger(v, math.MinInt16, math.MaxInt16)
	case "System.DateTime", "System.DateTimeOffset":
		return wantTime(v)
	case "System.TimeSpan":
		return wantTimeSpan(v)
	case "Newtonsoft.Json.Linq.JObject":
		return want[map[string]any](v, "a JSON object")
	case "Newtonsoft.Json.Linq.JArray":
		return want[[]any](v, "a JSON array")
	case "System.Data.DataTable":
		return wantRows(v)
	}
	if strings.HasPrefix(typeName, "System.Collections.Generic.Dictionary`2") {
		return want[map[string]any](v, "a JSON object (a dictionary)")
	}

	if strings.HasSuffix(typeName, "[]") {
		items, ok := v.([]any)
		if !ok {
			return fmt.Errorf("must be an array (%s), got %s", typeName, describe(v))
		}
		elem := strings.TrimSuffix(typeName, "[]")
		for i, item := range items {
			if err := checkValue(elem, item); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
	}
	return nil
}

func want[T any](v any, what string) error {
	if _, ok := v.(T); !ok {
		return fmt.Errorf("must be %s, got %s", what, describe(v))
	}
	return nil
}

func wantNumber(v any) error {
	switch v.(type) {
	case float64, json.Number:
		return nil
	}
	return fmt.Errorf("must be a number, got %s", describe(v))
}

func wantInteger(v any, lo, hi float64) error {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case json.Number:
		parsed, err := n.Float64()
		if err != nil {
			return errors.New("must be a whole number")
		}
		f = parsed
	default:
		return fmt.Errorf("must be a whole number, got %s", describe(v))
	}

	if f != math.Trunc(f) {
		return errors.New("must be a whole number, got a fraction")
	}
	if f < lo || f > hi {
		return fmt.Errorf("is out of range (%.0f to %.0f)", lo, hi)
	}
	return nil
}

// timeSpanPattern is .NET's TimeSpan text: [-][d.]hh:mm[:ss[.fffffff]].
var timeSpanPattern = regexp.MustCompile(`^-?(\d+\.)?\d{1,2}:\d{2}(:\d{2}(\.\d{1,7})?)?$`)

func wantTimeSpan(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("must be a duration as text such as \"01:30:00\", got %s", describe(v))
	}
	if !timeSpanPattern.MatchString(s) {
		return errors.New(`is not a duration such as "01:30:00" or "2.04:00:00" ` +
			`(days.hours:minutes:seconds)`)
	}
	return nil
}

// wantRows accepts a DataTable as JSON rows: an array of objects.
func wantRows(v any) error {
	rows, ok := v.([]any)
	if !ok {
		return fmt.Errorf("must be a table as an array of row objects, got %s", describe(v))
	}
	for i, row := range rows {
		if _, ok := row.(map[string]any); !ok {
			return fmt.Errorf("row %d must be an object of column values, got %s", i, describe(row))
		}
	}
	return nil
}

func wantTime(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("must be a date and time as an ISO 8601 string, got %s", describe(v))
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil {
			return nil
		}
	}
	return errors.New("is not an ISO 8601 date and time (e.g. 2026-12-04T16:30:00Z)")
}

// describe names a JSON value's kind for error messages without echoing
// the value itself (argument values may be private).
func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
