package notify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Store is the results store: small documents by key (a slash-separated
// relative path such as "opsgenie/open-alerts.json") in a local directory
// (DirStore) or an S3 bucket (S3Store, in Lambda mode). What lambdaudit
// must remember from one run to the next lives there.
type Store interface {
	// Get returns the document, or an error wrapping ErrNotStored when
	// there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores the document, replacing any previous one.
	Put(ctx context.Context, key string, b []byte) error
}

// ErrNotStored is wrapped by Store.Get when the key holds nothing.
var ErrNotStored = errors.New("not in the results store")

// storeKeyErr checks a key: relative, slash-separated, clean, without
// "." or ".." elements.
func storeKeyErr(key string) error {
	switch {
	case key == "":
		return errors.New("results store: empty key")
	case strings.HasPrefix(key, "/") || strings.Contains(key, `\`) || strings.ContainsRune(key, 0) || path.Clean(key) != key:
		return fmt.Errorf("results store: key %q: must be a clean relative path with / separators", key)
	}
	for _, el := range strings.Split(key, "/") {
		if el == "." || el == ".." {
			return fmt.Errorf("results store: key %q: must not hold %q or %q elements", key, ".", "..")
		}
	}
	return nil
}

// DirStore keeps documents as files under a directory.
type DirStore struct {
	dir string
}

// NewDirStore returns a store under dir, creating it.
func NewDirStore(dir string) (*DirStore, error) {
	if dir == "" {
		return nil, errors.New("results store: empty directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results store: %w", err)
	}
	return &DirStore{dir: dir}, nil
}

// Get reads the file for key.
func (s *DirStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := storeKeyErr(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(key)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("results store %s: %s: %w", s.dir, key, ErrNotStored)
	}
	if err != nil {
		return nil, fmt.Errorf("results store: %w", err)
	}
	return b, nil
}

// Put writes the file for key atomically (a temporary file renamed over
// it), so a crash leaves the old document or the new one, never half.
func (s *DirStore) Put(ctx context.Context, key string, b []byte) error {
	if err := storeKeyErr(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	name := filepath.Join(s.dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("results store: %w", err)
	}
	if err := writeFileAtomic(name, b); err != nil {
		return fmt.Errorf("results store: %w", err)
	}
	return nil
}
