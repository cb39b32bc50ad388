package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// twoLines stacks a bold title and a smaller caption close together, as
// list rows show a name and its details.
func twoLines(title, caption *widget.Label) *fyne.Container {
	title.TextStyle.Bold = true
	caption.SizeName = theme.SizeNameCaptionText
	return container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), title, caption)
}

// buttons keeps buttons at their natural height beside a taller row.
func buttons(b ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewCenter(container.NewHBox(b...))
}

// heading is a bold section title.
func heading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle.Bold = true
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// note is help text: smaller, wrapped.
func note(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameCaptionText
	l.Wrapping = fyne.TextWrapWord
	return l
}

// faint is secondary text.
func faint(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Importance = widget.LowImportance
	return l
}
