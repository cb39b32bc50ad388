package robot

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ArchiveLimits bound what unpacking one .zip or .nupkg may write.
type ArchiveLimits struct {
	MaxFiles      int   // entries; zero means 10,000
	MaxTotalBytes int64 // all files; zero means 512 MiB
}

func (l ArchiveLimits) withDefaults() ArchiveLimits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = 10_000
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 512 << 20
	}
	return l
}

// UnpackArchive unpacks a .zip or .nupkg package into a folder of the
// cache named by the archive's SHA-256, so an unchanged archive is
// unpacked once. It refuses entries that would land outside the folder,
// symbolic links and special files, and stops at the size limits, which
// are counted on the bytes actually written (a zip bomb's headers lie).
// It returns the folder that holds project.json.
func UnpackArchive(archive, cacheDir string, limits ArchiveLimits) (string, error) {
	sum, err := fileSHA256(archive)
	if err != nil {
		return "", err
	}
	dest := filepath.Join(cacheDir, sum)
	if _, err := os.Stat(dest); err != nil {
		if err := unpackNew(archive, dest, limits.withDefaults()); err != nil {
			return "", fmt.Errorf("package %s: %w", filepath.Base(archive), err)
		}
	}
	return findProject(dest)
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// unpackNew unpacks into a temporary folder and renames it into place, so
// the cache never holds a half-unpacked package.
func unpackNew(archive, dest string, limits ArchiveLimits) error {
	zr, err := zip.OpenReader(archive)
	// ErrInsecurePath still returns a usable reader; unpackEntry then
	// names the offending entry.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return fmt.Errorf("not a readable zip archive: %w", err)
	}
	defer zr.Close()
	if len(zr.File) > limits.MaxFiles {
		return fmt.Errorf("has %d entries, more than the limit of %d", len(zr.File), limits.MaxFiles)
	}

	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), ".unpack-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // gone after a successful rename too

	budget := limits.MaxTotalBytes
	for _, f := range zr.File {
		if err := unpackEntry(f, tmp, &budget); err != nil {
			return err
		}
	}
	return os.Rename(tmp, dest)
}

func unpackEntry(f *zip.File, root string, budget *int64) error {
	name, err := safeEntryName(f.Name)
	if err != nil {
		return err
	}
	target := filepath.Join(root, filepath.FromSlash(name))
	mode := f.Mode()

	switch {
	case mode.IsDir():
		return os.MkdirAll(target, 0o755)
	case mode&fs.ModeSymlink != 0:
		return fmt.Errorf("entry %q is a symbolic link; packages may not contain links", f.Name)
	case !mode.IsRegular():
		return fmt.Errorf("entry %q is not a regular file", f.Name)
	}

	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755 // keep scripts runnable
	}
	out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return fmt.Errorf("entry %q: %w", f.Name, err)
	}
	defer out.Close()

	in, err := f.Open()
	if err != nil {
		return fmt.Errorf("entry %q: %w", f.Name, err)
	}
	defer in.Close()
	n, err := io.Copy(out, io.LimitReader(in, *budget+1))
	*budget -= n
	if *budget < 0 {
		return errors.New("unpacks to more than the size limit (a zip bomb, or a " +
			"package too large for this robot)")
	}
	if err != nil {
		return fmt.Errorf("entry %q: %w", f.Name, err)
	}
	return nil
}

// safeEntryName refuses absolute names and names that climb out with "..".
func safeEntryName(name string) (string, error) {
	clean := path.Clean(strings.ReplaceAll(name, `\`, "/"))
	if name == "" || strings.HasPrefix(clean, "/") || clean == ".." ||
		strings.HasPrefix(clean, "../") || filepath.VolumeName(clean) != "" ||
		strings.Contains(clean, ":") {
		return "", fmt.Errorf("entry %q would be written outside the package folder", name)
	}
	return clean, nil
}

// findProject finds project.json at the top or, as in a .nupkg built by
// Studio, under lib/<framework>/ or content/.
func findProject(dir string) (string, error) {
	candidates := []string{dir}
	for _, pattern := range []string{"lib/*", "content", "*"} {
		more, _ := filepath.Glob(filepath.Join(dir, pattern))
		candidates = append(candidates, more...)
	}
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(c, "project.json")); err == nil {
			return c, nil
		}
	}
	return "", errors.New("no project.json at the top of the archive, under lib/<framework>/ " +
		"or content/")
}
