package urlscheme

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Dirs are the XDG folders the registration writes to.
type Dirs struct {
	DataHome   string // applications/ lives here
	ConfigHome string // mimeapps.list lives here
}

// DefaultDirs follows the XDG base directory rules.
func DefaultDirs() (Dirs, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Dirs{}, err
	}
	d := Dirs{DataHome: os.Getenv("XDG_DATA_HOME"), ConfigHome: os.Getenv("XDG_CONFIG_HOME")}
	if d.DataHome == "" {
		d.DataHome = filepath.Join(home, ".local", "share")
	}
	if d.ConfigHome == "" {
		d.ConfigHome = filepath.Join(home, ".config")
	}
	return d, nil
}

// Install writes a desktop entry that runs `exe consent %u` and makes it
// the default handler of x-scheme-handler/uipath-web. write must replace
// files atomically.
func Install(d Dirs, exe string, write func(string, []byte) error) error {
	entry := fmt.Sprintf(`[Desktop Entry]
Type=Application
Name=robotbridge consent
Comment=Approve a web site that asks to use the robot on this computer
Exec=%s consent %%u
Terminal=true
NoDisplay=true
MimeType=x-scheme-handler/%s;
`, quoteExec(exe), Scheme)
	path := filepath.Join(d.DataHome, "applications", desktopFileName)
	if err := write(path, []byte(entry)); err != nil {
		return fmt.Errorf("write desktop entry: %w", err)
	}
	return setDefault(d, write, true)
}

// Uninstall removes the desktop entry and the default-handler line.
func Uninstall(d Dirs, write func(string, []byte) error) error {
	err := os.Remove(filepath.Join(d.DataHome, "applications", desktopFileName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return setDefault(d, write, false)
}

// setDefault adds or removes our line in mimeapps.list, keeping every
// other line as it was.
func setDefault(d Dirs, write func(string, []byte) error, on bool) error {
	path := filepath.Join(d.ConfigHome, "mimeapps.list")
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	key := "x-scheme-handler/" + Scheme + "="

	var out []string
	placed := false
	for _, line := range strings.Split(strings.TrimRight(string(old), "\n"), "\n") {
		if strings.HasPrefix(line, key) {
			continue // ours, or another handler's: replaced below
		}
		out = append(out, line)
		if on && strings.TrimSpace(line) == "[Default Applications]" {
			out = append(out, key+desktopFileName)
			placed = true
		}
	}
	if on && !placed {
		out = append(out, "[Default Applications]", key+desktopFileName)
	}
	text := strings.TrimLeft(strings.Join(out, "\n"), "\n") + "\n"
	return write(path, []byte(text))
}

// quoteExec quotes a path for a desktop entry's Exec key.
func quoteExec(exe string) string {
	if !strings.ContainsAny(exe, " \t\"'\\$`") {
		return exe
	}
	r := strings.NewReplacer(`\`, `\\\\`, `"`, `\\"`, "`", "\\\\`", "$", `\\$`)
	return `"` + r.Replace(exe) + `"`
}
