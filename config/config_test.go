package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad_MissingFileGivesDefaults(t *testing.T) {
	s, err := Load(t.TempDir())
	if err != nil || s.Version != SchemaVersion || s.Port != 0 {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestSaveLoad_RoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := Settings{Port: 2400, AllowedOrigins: []string{"https://app.example.com"}}
	if err := Save(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil || got.Port != 2400 || got.AllowedOrigins[0] != "https://app.example.com" {
		t.Fatalf("got %+v, %v", got, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

func TestLoad_BrokenFilesAreNamedAndLeftAlone(t *testing.T) {
	cases := map[string]string{
		"torn":         `{"version": 1, "port": 23`,
		"unknown":      `{"version": 1, "prot": 2323}`,
		"wildcard":     `{"version": 1, "allowedOrigins": ["*"]}`,
		"future":       `{"version": 99}`,
		"bad port":     `{"version": 1, "port": 70000}`,
		"port as text": `{"version": 1, "port": "2425"}`,
		"negative":     `{"version": 1, "maxAttendedJobs": -1}`,
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want an error naming %s", err, path)
			}
			after, _ := os.ReadFile(path)
			if string(after) != content {
				t.Fatal("loading a broken file changed it")
			}
		})
	}
}

func TestLoad_WrongKindOfValueIsSaidInWords(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"version":1,"port":"2425"}`), 0o600)
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), `"port" must be a whole number, not a JSON string`) {
		t.Fatalf("got %v", err)
	}
}
