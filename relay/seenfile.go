package relay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The de-duplication memory on disk: one file per bucket in the state
// directory, "seen-UNIXTIME.txt", holding event ids and job changes
// (tenant, job, event type, state, times, folder), never a payload. A
// bucket's file is rewritten whole with an atomic write while the bucket
// is current, and removed when it leaves the window.

const seenPrefix, seenSuffix = "seen-", ".txt"

func seenPath(dir string, b int64) string {
	return filepath.Join(dir, seenPrefix+strconv.FormatInt(b, 10)+seenSuffix)
}

// loadSeen reads the buckets within the window from dir and removes the
// files of older ones. Lines it cannot read are skipped and counted.
func loadSeen(dir string, s *seen, now time.Time) (skipped int, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the relay state directory: %w", err)
	}
	oldest := bucketOf(now.Add(-s.window))
	for _, e := range entries {
		b, ok := bucketName(e.Name())
		if !ok {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if b < oldest {
			_ = os.Remove(path) // expired; a left-over file is only clutter
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return skipped, fmt.Errorf("read %s: %w", path, err)
		}
		skipped += s.restore(b, data)
	}
	return skipped, nil
}

func bucketName(name string) (int64, bool) {
	v, ok := strings.CutPrefix(name, seenPrefix)
	if !ok {
		return 0, false
	}
	v, ok = strings.CutSuffix(v, seenSuffix)
	if !ok {
		return 0, false
	}
	b, err := strconv.ParseInt(v, 10, 64)
	return b, err == nil
}

// restore adds a bucket file's lines to the memory.
func (s *seen) restore(b int64, data []byte) (skipped int) {
	x := s.bucket(b)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "e" && checkEventID(f[1]) == nil:
			s.ids[f[1]] = b
			x.ids = append(x.ids, f[1])
		case len(f) == 9 && f[0] == "t":
			if !s.restoreTwin(b, x, f[1:]) {
				skipped++
				continue
			}
		default:
			skipped++
			continue
		}
		x.lines = append(append(x.lines, sc.Bytes()...), '\n')
	}
	return skipped
}

// restoreTwin reads "AT TENANT JOB TYPE STATE START END FOLDER".
func (s *seen) restoreTwin(b int64, x *bucket, f []string) bool {
	var n [6]int64
	for i, j := range []int{0, 1, 2, 5, 6, 7} {
		v, err := strconv.ParseInt(f[j], 10, 64)
		if err != nil {
			return false
		}
		n[i] = v
	}
	e := JobEvent{At: time.Unix(0, n[0]).UTC(), TenantID: n[1], JobID: n[2], Type: f[3],
		State: f[4], FolderID: n[5]}
	if n[3] != 0 {
		t := time.Unix(0, n[3]).UTC()
		e.StartTime = &t
	}
	if n[4] != 0 {
		t := time.Unix(0, n[4]).UTC()
		e.EndTime = &t
	}
	if !eventWord.MatchString(e.Type) || !eventWord.MatchString(e.State) {
		return false
	}
	lines := x.lines
	s.forwarded(&e, time.Unix(b, 0))
	x.lines = lines // restore appends the line itself
	delete(s.dirty, b)
	return true
}

// fileWrite is one change of the state directory.
type fileWrite struct {
	path   string
	data   []byte // nil: remove the file
	remove bool
}

// pending returns the writes that bring dir up to date and marks the
// memory clean.
func (s *seen) pending(dir string) []fileWrite {
	var out []fileWrite
	for b := range s.dirty {
		x := s.buckets[b]
		n := len(x.lines) // the writer reads this prefix while the hub appends
		out = append(out, fileWrite{path: seenPath(dir, b), data: x.lines[:n:n]})
	}
	for _, b := range s.gone {
		out = append(out, fileWrite{path: seenPath(dir, b), remove: true})
	}
	clear(s.dirty)
	s.gone = s.gone[:0]
	return out
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
