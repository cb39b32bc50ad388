// Package config loads and saves robotbridge's settings file
// (config.json in the config directory). Writes are atomic: a crash at any
// point leaves the old file or the new one, never a torn one. The file
// holds no secrets.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"robotbridge/consent"
)

// SchemaVersion is the version of the settings file this build writes.
const SchemaVersion = 1

// Settings is the content of config.json. A zero field means its default.
type Settings struct {
	Version int `json:"version"`
	// Port is the discovery port pages find the robot on (0: 2323).
	Port int `json:"port,omitempty"`
	// APIPort is the port of the RobotJS API (0: a free port, announced by
	// discovery).
	APIPort int `json:"apiPort,omitempty"`
	// AllowedOrigins are sites an administrator pre-approved.
	AllowedOrigins []string `json:"allowedOrigins,omitempty"`
	// PackagesDir is a folder of process packages (one folder each).
	PackagesDir string `json:"packagesDir,omitempty"`
	// MaxMessageMiB caps one message from a process, output arguments
	// included (0: 10).
	MaxMessageMiB int `json:"maxMessageMiB,omitempty"`
	// MaxAttendedJobs is how many attended jobs run at once (0: 1).
	MaxAttendedJobs int `json:"maxAttendedJobs,omitempty"`
	// RefuseWhenBusy refuses attended jobs beyond the limit instead of
	// queueing them.
	RefuseWhenBusy bool `json:"refuseWhenBusy,omitempty"`
	// JobTimeoutSeconds ends jobs that run longer (0: no limit).
	JobTimeoutSeconds int `json:"jobTimeoutSeconds,omitempty"`
	// JobLogs keeps each job's output in logs/<job id>.log (off by
	// default: process output may hold private data).
	JobLogs bool `json:"jobLogs,omitempty"`
}

// DefaultDir is the config directory: os.UserConfigDir()/robotbridge.
func DefaultDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config: no user config directory: %w", err)
	}
	return filepath.Join(base, "robotbridge"), nil
}

// Load reads dir/config.json. A missing file gives the defaults; a broken
// one is an error that names the file and the problem, and is left as is.
func Load(dir string) (Settings, error) {
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Settings{Version: SchemaVersion}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("config: read %s: %w", path, err)
	}

	var s Settings
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Settings{}, fmt.Errorf("config: %s is not valid: %s; fix or remove it",
			path, readableJSONError(err))
	}
	if s.Version > SchemaVersion {
		return Settings{}, fmt.Errorf("config: %s has version %d, newer than this "+
			"robotbridge understands (%d); upgrade robotbridge", path, s.Version, SchemaVersion)
	}
	s.Version = SchemaVersion
	return s, s.validate(path)
}

func (s Settings) validate(path string) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	return nil
}

// Validate checks the values a settings file may hold; the error names
// the field and what it accepts, never a secret.
func (s Settings) Validate() error {
	for _, o := range s.AllowedOrigins {
		if _, err := consent.NormalizeOrigin(o); err != nil {
			return fmt.Errorf("allowedOrigins: %w", err)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"port", s.Port}, {"apiPort", s.APIPort}} {
		if f.v < 0 || f.v > 65535 {
			return fmt.Errorf("%s %d is not a TCP port (1-65535)", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"maxMessageMiB", s.MaxMessageMiB}, {"maxAttendedJobs", s.MaxAttendedJobs},
		{"jobTimeoutSeconds", s.JobTimeoutSeconds}} {
		if f.v < 0 {
			return fmt.Errorf("%s %d is negative (0 means the default)", f.name, f.v)
		}
	}
	return nil
}

// Save writes dir/config.json atomically.
func Save(dir string, s Settings) error {
	s.Version = SchemaVersion
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("config: encode: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, "config.json"), append(data, '\n'))
}

// WriteFileAtomic replaces path with data: write a temporary file in the
// same directory, flush it to disk, then rename it over the old one.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename

	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename itself durable
		d.Close()
	}
	return nil
}

// readableJSONError says which setting has the wrong kind of value in
// words, instead of Go's type names.
func readableJSONError(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) && typ.Field != "" {
		want := map[string]string{"int": "a whole number", "bool": "true or false",
			"string": "text in quotes", "[]string": "a list of texts"}[typ.Type.String()]
		if want == "" {
			want = "a " + typ.Type.String()
		}
		return fmt.Sprintf("%q must be %s, not a JSON %s", typ.Field, want, typ.Value)
	}
	return err.Error()
}
