package ui

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"robotbridge/engine"
)

// boolNotSet is the first choice of an optional true/false field.
const boolNotSet = "(not set)"

// argField is one input argument's widget and how to read its value.
type argField struct {
	arg    engine.ArgumentEntry
	widget fyne.CanvasObject
	// read returns the JSON value, errNotSet, or what is wrong.
	read func() (any, error)
}

// argForm is the run form of a process, built from its input schema.
type argForm struct {
	fields []*argField
	form   *widget.Form
}

// newArgForm builds a field per input argument with a widget that suits
// its type and a validator that says what to type.
func newArgForm(inputs []engine.ArgumentEntry) *argForm {
	f := &argForm{form: widget.NewForm()}
	for _, a := range inputs {
		field := newArgField(a)
		f.fields = append(f.fields, field)
		item := widget.NewFormItem(fieldLabel(a), field.widget)
		item.HintText = typeHint(a.Type)
		f.form.AppendItem(item)
	}
	return f
}

// fieldLabel is the argument's name, marked when it must be given.
func fieldLabel(a engine.ArgumentEntry) string {
	if a.Required {
		return a.Name + " *"
	}
	return a.Name
}

func newArgField(a engine.ArgumentEntry) *argField {
	if a.Type == typeBool {
		return newBoolField(a)
	}
	entry := widget.NewEntry()
	if isMultiLine(a.Type) {
		entry = widget.NewMultiLineEntry()
		entry.SetMinRowsVisible(3)
	}
	entry.SetPlaceHolder(placeholder(a))
	read := func() (any, error) { return checkPresence(a, entry.Text) }
	entry.Validator = func(string) error {
		_, err := read()
		if errors.Is(err, errNotSet) {
			return nil
		}
		return err
	}
	return &argField{arg: a, widget: entry, read: read}
}

// placeholder is the grey text of an empty field.
func placeholder(a engine.ArgumentEntry) string {
	switch {
	case a.Required:
		return "required"
	case a.HasDefault:
		return "empty: the process's default"
	}
	return "optional"
}

// checkPresence parses text and turns a missing required value into an
// error that names the argument.
func checkPresence(a engine.ArgumentEntry, text string) (any, error) {
	v, err := parseArg(a.Type, text)
	if errors.Is(err, errNotSet) && a.Required {
		return nil, errors.New("required: enter a value")
	}
	return v, err
}

// newBoolField is a check box when the argument must be given (it always
// has a value), else a choice that can also leave it out.
func newBoolField(a engine.ArgumentEntry) *argField {
	if a.Required {
		check := widget.NewCheck("true", nil)
		return &argField{arg: a, widget: check,
			read: func() (any, error) { return check.Checked, nil }}
	}
	sel := widget.NewSelect([]string{boolNotSet, "true", "false"}, nil)
	sel.SetSelected(boolNotSet)
	read := func() (any, error) {
		if sel.Selected == boolNotSet || sel.Selected == "" {
			return nil, errNotSet
		}
		return parseBool(sel.Selected)
	}
	return &argField{arg: a, widget: sel, read: read}
}

// Values returns the arguments to send: every field that has a value.
// The first problem found is returned as an error naming the argument.
func (f *argForm) Values() (map[string]any, error) {
	args := map[string]any{}
	for _, field := range f.fields {
		v, err := field.read()
		if errors.Is(err, errNotSet) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field.arg.Name, err)
		}
		args[field.arg.Name] = v
	}
	return args, nil
}
