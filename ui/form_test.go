package ui

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"robotbridge/engine"
)

// fieldOf returns the form's field for an argument.
func fieldOf(t *testing.T, f *argForm, name string) *argField {
	t.Helper()
	for _, field := range f.fields {
		if field.arg.Name == name {
			return field
		}
	}
	t.Fatalf("the form has no field %q", name)
	return nil
}

// typeInto types text into a field's entry the way a person does.
func typeInto(t *testing.T, f *argForm, name, text string) *widget.Entry {
	t.Helper()
	e, ok := fieldOf(t, f, name).widget.(*widget.Entry)
	if !ok {
		t.Fatalf("field %q is a %T, want an entry", name, fieldOf(t, f, name).widget)
	}
	test.Type(e, text)
	return e
}

// Each argument type gets a widget that suits it, accepts a good value
// typed by a person, and sends it with the right JSON type.
func TestArgForm_EachTypeTakesAGoodValue(t *testing.T) {
	cases := []struct {
		typ, text string
		want      any
		multiLine bool
	}{
		{typeString, "Invoice 7", "Invoice 7", false},
		{typeInt32, "42", json.Number("42"), false},
		{typeInt64, "9007199254740993", json.Number("9007199254740993"), false},
		{typeDouble, "3.25", json.Number("3.25"), false},
		{typeSingle, "-1", json.Number("-1"), false},
		{typeDecimal, "0.1", json.Number("0.1"), false},
		{typeDateTime, "2026-12-04T16:30:00Z", "2026-12-04T16:30:00Z", false},
		{typeJObject, `{"k": "v"}`, map[string]any{"k": "v"}, true},
		{"System.String[]", `["a"]`, []any{"a"}, true},
		{"Custom.Type", `7`, json.Number("7"), true},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			test.NewTempApp(t)
			f := newArgForm([]engine.ArgumentEntry{{Name: "x", Type: c.typ}})
			test.NewTempWindow(t, f.form)
			e := typeInto(t, f, "x", c.text)
			if e.MultiLine != c.multiLine {
				t.Errorf("entry for %s multi-line = %v, want %v", c.typ, e.MultiLine, c.multiLine)
			}
			if err := e.Validate(); err != nil {
				t.Errorf("entry for %s rejects %q: %v", c.typ, c.text, err)
			}
			got, err := f.Values()
			if err != nil || !reflect.DeepEqual(got["x"], c.want) {
				t.Fatalf("Values() = %#v, %v; want x = %#v", got, err, c.want)
			}
		})
	}
}

// A wrong value shows the field's validation error and Values names the
// argument, without the value itself.
func TestArgForm_BadValuesAreRefusedWithTheirName(t *testing.T) {
	cases := map[string]string{
		typeInt32:          "12.5",
		typeDouble:         "twelve",
		typeDateTime:       "next week",
		typeJObject:        `[1, 2]`,
		"System.Int32[]":   `["a"]`,
		"System.Boolean[]": `{}`,
	}
	for typ, text := range cases {
		t.Run(typ, func(t *testing.T) {
			test.NewTempApp(t)
			f := newArgForm([]engine.ArgumentEntry{{Name: "amount", Type: typ}})
			test.NewTempWindow(t, f.form)
			e := typeInto(t, f, "amount", text)
			if e.Validate() == nil {
				t.Errorf("entry for %s accepts %q", typ, text)
			}
			_, err := f.Values()
			if err == nil || !strings.HasPrefix(err.Error(), "amount: ") ||
				strings.Contains(err.Error(), text) {
				t.Fatalf("Values() error = %v, want one naming amount, not the value", err)
			}
		})
	}
}

func TestArgForm_RequiredAndOptional(t *testing.T) {
	test.NewTempApp(t)
	f := newArgForm([]engine.ArgumentEntry{
		{Name: "name", Type: typeString, Required: true},
		{Name: "note", Type: typeString},
		{Name: "retries", Type: typeInt32, HasDefault: true},
	})
	test.NewTempWindow(t, f.form)

	if _, err := f.Values(); err == nil || !strings.Contains(err.Error(), "name: required") {
		t.Fatalf("Values() with an empty required field: %v, want name: required", err)
	}
	if got := f.form.Items[0].Text; got != "name *" {
		t.Errorf("required field label = %q, want it marked", got)
	}
	ph := fieldOf(t, f, "retries").widget.(*widget.Entry).PlaceHolder
	if !strings.Contains(ph, "default") {
		t.Errorf("placeholder of an argument with a default = %q", ph)
	}

	typeInto(t, f, "name", "Ada")
	got, err := f.Values()
	want := map[string]any{"name": "Ada"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Values() = %#v, %v; want only the filled field %#v", got, err, want)
	}
}

func TestArgForm_Booleans(t *testing.T) {
	test.NewTempApp(t)
	f := newArgForm([]engine.ArgumentEntry{
		{Name: "must", Type: typeBool, Required: true},
		{Name: "may", Type: typeBool},
	})
	test.NewTempWindow(t, f.form)

	got, err := f.Values()
	if err != nil || !reflect.DeepEqual(got, map[string]any{"must": false}) {
		t.Fatalf("Values() = %#v, %v; a required check box is false, an unset choice left out",
			got, err)
	}

	test.Tap(fieldOf(t, f, "must").widget.(*widget.Check))
	fieldOf(t, f, "may").widget.(*widget.Select).SetSelected("false")
	got, err = f.Values()
	want := map[string]any{"must": true, "may": false}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Values() = %#v, %v; want %#v", got, err, want)
	}
}
