//go:build linux

package urlscheme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

func TestInstallUninstall_DesktopEntryAndDefaultHandler(t *testing.T) {
	root := t.TempDir()
	d := Dirs{DataHome: filepath.Join(root, "data"), ConfigHome: filepath.Join(root, "config")}
	other := "[Default Applications]\ntext/html=firefox.desktop\n" +
		"x-scheme-handler/uipath-web=vendor.desktop\n[Added Associations]\nimage/png=eog.desktop\n"
	if err := writeFile(filepath.Join(d.ConfigHome, "mimeapps.list"), []byte(other)); err != nil {
		t.Fatal(err)
	}

	if err := Install(d, "/opt/robot bridge/robotbridge", writeFile); err != nil {
		t.Fatal(err)
	}
	entry, _ := os.ReadFile(filepath.Join(d.DataHome, "applications", desktopFileName))
	for _, want := range []string{`Exec="/opt/robot bridge/robotbridge" consent %u`,
		"MimeType=x-scheme-handler/uipath-web;"} {
		if !strings.Contains(string(entry), want) {
			t.Fatalf("desktop entry lacks %q:\n%s", want, entry)
		}
	}
	list, _ := os.ReadFile(filepath.Join(d.ConfigHome, "mimeapps.list"))
	if !strings.Contains(string(list), "x-scheme-handler/uipath-web=robotbridge-consent.desktop") ||
		strings.Contains(string(list), "vendor.desktop") ||
		!strings.Contains(string(list), "text/html=firefox.desktop") ||
		!strings.Contains(string(list), "image/png=eog.desktop") {
		t.Fatalf("mimeapps.list after install:\n%s", list)
	}

	if err := Uninstall(d, writeFile); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d.DataHome, "applications", desktopFileName)); err == nil {
		t.Fatal("desktop entry left behind")
	}
	list, _ = os.ReadFile(filepath.Join(d.ConfigHome, "mimeapps.list"))
	if strings.Contains(string(list), "uipath-web") || !strings.Contains(string(list), "firefox") {
		t.Fatalf("mimeapps.list after uninstall:\n%s", list)
	}
}
