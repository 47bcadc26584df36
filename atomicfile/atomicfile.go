// Package atomicfile owns how lambdaudit writes its files: through a
// temporary file in the same directory, synced and renamed into place, so
// a reader never sees half a file and a failed or interrupted write leaves
// the previous file as it was. It also checks, before any long work, that
// a file could be written where it is asked for.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Perm is the mode of the files written.
const Perm fs.FileMode = 0o644

// Write writes path with write: the bytes go to a temporary file in
// path's directory, which is synced, closed and renamed over path only
// when write and every step succeed. On failure path is untouched and the
// temporary file removed.
func Write(path string, write func(io.Writer) error) error {
	return commit(path, "write", write, os.Rename)
}

// Create writes path with write as Write does, but only when path does
// not exist (a claim): the synced temporary file is hard-linked to path —
// link(2) fails when the name exists, so of concurrent Creates exactly
// one wins, across processes too, and no reader sees half a file — and
// then removed. The error wraps fs.ErrExist when path exists.
func Create(path string, write func(io.Writer) error) error {
	return commit(path, "create", write, os.Link)
}

// commit writes a synced temporary file beside path and places it with
// place (rename or link); the temporary name never survives.
func commit(path, verb string, write func(io.Writer) error, place func(tmp, path string) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, path, Cause(err))
	}
	name := tmp.Name()
	closed := false
	defer func() {
		if !closed {
			tmp.Close()
		}
		os.Remove(name) // after a rename the name is gone already
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("%s %s: %w", verb, path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%s %s: %w", verb, path, Cause(err))
	}
	closed = true
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s %s: %w", verb, path, Cause(err))
	}
	if err := os.Chmod(name, Perm); err != nil {
		return fmt.Errorf("%s %s: %w", verb, path, Cause(err))
	}
	if err := place(name, path); err != nil {
		return fmt.Errorf("%s %s: %w", verb, path, Cause(err))
	}
	syncDir(filepath.Dir(path))
	return nil
}

// WriteFile writes b to path as Write does.
func WriteFile(path string, b []byte) error { return Write(path, bytesTo(b)) }

// CreateFile writes b to path as Create does: only when path does not
// exist.
func CreateFile(path string, b []byte) error { return Create(path, bytesTo(b)) }

func bytesTo(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(b))
		return err
	}
}

// CheckFile reports whether Write could write path now: its directory
// exists and a file can be created in it, and path is not a directory.
// Nothing is left behind.
func CheckFile(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s: directory %s: %w", path, dir, Cause(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: %s is not a directory", path, dir)
	}
	return probe(dir, path)
}

// CheckDir reports whether files could be written into dir now: dir is a
// writable directory, or does not exist yet and its nearest existing
// parent is a writable directory (dir would be created there). Nothing is
// created.
func CheckDir(dir string) error {
	d := filepath.Clean(dir)
	for {
		st, err := os.Stat(d)
		switch {
		case err == nil && st.IsDir():
			return probe(d, dir)
		case err == nil:
			return fmt.Errorf("%s: %s is not a directory", dir, d)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%s: %w", dir, Cause(err))
		}
		parent := filepath.Dir(d)
		if parent == d {
			return fmt.Errorf("%s: no existing parent directory", dir)
		}
		d = parent
	}
}

// probe creates and removes a temporary file in dir.
func probe(dir, what string) error {
	f, err := os.CreateTemp(dir, ".lambdaudit-check.*.tmp")
	if err != nil {
		return fmt.Errorf("%s: cannot write in %s: %w", what, dir, Cause(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// Cause drops the path an *fs.PathError or *os.LinkError carries (often
// a temporary file's), keeping what went wrong, for callers that name the
// real path (or key) themselves.
func Cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// syncDir makes the rename durable where the platform allows it; a
// failure only loses durability, not the file, so it is ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}
