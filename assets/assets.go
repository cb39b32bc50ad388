// Package assets holds the files robotbridge embeds: the demo page and its
// JavaScript client (the sample processes live in assets/samples).
package assets

import (
	"embed"
	"io/fs"
)

//go:embed demo
var demo embed.FS

// Demo is the demo page's folder: index.html, its script and styles.
func Demo() fs.FS {
	sub, err := fs.Sub(demo, "demo")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}
