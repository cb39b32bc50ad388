package assets

import _ "embed"

//go:embed icon.png
var icon []byte

// Icon is robotbridge's application icon, a 64×64 PNG. The desktop app
// uses it for its windows and tray; callers must not modify the slice.
func Icon() []byte { return icon }
