package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"

	"robotbridge/config"
	"robotbridge/control"
	"robotbridge/robot"
)

// maxLogAnswer caps a job log answer: the robot keeps at most 10 MiB of a
// job's output, plus a one-line note of what the cap dropped.
const maxLogAnswer = 10<<20 + 1<<10

// maxSettingsBody caps a PUT /v1/settings body.
const maxSettingsBody = 1 << 20

// SettingsAnswer is the answer of PUT /v1/settings: what was saved, which
// fields changed, and when the changes apply.
type SettingsAnswer struct {
	Settings config.Settings `json:"settings"`
	// Changed lists the config.json names of the fields that changed.
	Changed []string `json:"changed"`
	// TakesEffect says when the saved settings apply: the engine reads
	// config.json only when it starts.
	TakesEffect string `json:"takesEffect"`
}

// AtNextStart is SettingsAnswer.TakesEffect for every setting.
const AtNextStart = "when the engine restarts"

func (e *Engine) settingsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/settings", e.getSettings)
	mux.HandleFunc("PUT /v1/settings", e.putSettings)
	mux.HandleFunc("GET /v1/jobs/{id}/log", e.jobLog)
}

// getSettings answers config.json as it is on disk (flags of a running
// engine may override parts of it).
func (e *Engine) getSettings(w http.ResponseWriter, r *http.Request) {
	s, err := config.Load(e.configDir)
	if err != nil {
		control.WriteError(w, http.StatusInternalServerError, err)
		return
	}
	control.WriteJSON(w, http.StatusOK, s)
}

// putSettings checks and saves new settings; they apply at the next start.
func (e *Engine) putSettings(w http.ResponseWriter, r *http.Request) {
	next, err := decodeSettings(http.MaxBytesReader(w, r.Body, maxSettingsBody))
	if err != nil {
		control.WriteError(w, http.StatusBadRequest, err)
		return
	}
	e.settingMu.Lock()
	defer e.settingMu.Unlock()
	old, err := config.Load(e.configDir)
	if err != nil {
		control.WriteError(w, http.StatusConflict, err)
		return
	}
	if err := config.Save(e.configDir, next); err != nil {
		control.WriteError(w, http.StatusInternalServerError, err)
		return
	}
	next.Version = config.SchemaVersion
	control.WriteJSON(w, http.StatusOK, SettingsAnswer{Settings: next,
		Changed: changedFields(old, next), TakesEffect: AtNextStart})
}

// decodeSettings reads a whole config.Settings, refusing unknown fields,
// a newer version and values config.json may not hold.
func decodeSettings(body io.Reader) (config.Settings, error) {
	var s config.Settings
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("settings: %w; send the fields GET /v1/settings answers", err)
	}
	if dec.More() {
		return s, errors.New("settings: send one JSON object")
	}
	if s.Version > config.SchemaVersion {
		return s, fmt.Errorf("settings: version %d is newer than this engine understands (%d)",
			s.Version, config.SchemaVersion)
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("settings: %w", err)
	}
	if s.PackagesDir != "" && !filepath.IsAbs(s.PackagesDir) {
		return s, errors.New("settings: packagesDir must be an absolute path")
	}
	return s, nil
}

// changedFields names the fields whose JSON values differ.
func changedFields(old, next config.Settings) []string {
	a, b := asMap(old), asMap(next)
	changed := []string{}
	for _, name := range fieldNames() {
		if name != "version" && !reflect.DeepEqual(a[name], b[name]) {
			changed = append(changed, name)
		}
	}
	return changed
}

// fieldNames lists config.Settings' JSON names in declaration order.
func fieldNames() []string {
	t := reflect.TypeFor[config.Settings]()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := bytes.Cut([]byte(t.Field(i).Tag.Get("json")), []byte(","))
		names = append(names, string(name))
	}
	return names
}

func asMap(s config.Settings) map[string]any {
	data, _ := json.Marshal(s) // Settings always encodes
	m := map[string]any{}
	_ = json.Unmarshal(data, &m)
	return m
}

// jobLog answers a job's log text, when job logs are on and it exists.
func (e *Engine) jobLog(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validJobID(id) {
		control.WriteError(w, http.StatusBadRequest, errors.New("not a job id"))
		return
	}
	f, err := os.Open(robot.JobLogPath(filepath.Join(e.configDir, "logs"), id))
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, os.ErrNotExist) {
			status, err = http.StatusNotFound,
				errors.New("job logs are off; turn them on in Settings")
		}
		control.WriteError(w, status, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.Copy(w, io.LimitReader(f, maxLogAnswer))
}

// validJobID keeps a job id from naming another file than its log.
func validJobID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		ok := c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' ||
			c >= 'A' && c <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}
