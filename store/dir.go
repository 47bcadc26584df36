package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/lambdaudit/lambdaudit/atomicfile"
)

// Dir is a Store in a local directory: the document under "a/b.json" is
// the file <root>/a/b.json. Put writes through atomicfile (temporary file,
// fsync, rename); Create writes a synced temporary file and hard-links it
// into place, which fails if the name exists, so a claim is whole when it
// appears and exactly one of several concurrent Creates wins, across
// processes too. Temporary files begin with "." and are never keys; List
// yields regular files only (no symbolic links).
//
// A directory cannot hold both "a/b" and "a/b/c" (a file and a directory
// of one name); S3 and Memory can. Such a Put or Create fails with an
// error naming both.
type Dir struct {
	root string
}

var _ Store = (*Dir)(nil)

// NewDir returns a store rooted at root, creating the directory (and its
// parents) if needed.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("store: directory: not set")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("store: directory %s: %w", root, atomicfile.Cause(err))
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("store: directory %s: %w", root, atomicfile.Cause(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("store: directory %s: not a directory", root)
	}
	return &Dir{root: root}, nil
}

// Root is the directory the store keeps its files in.
func (d *Dir) Root() string { return d.root }

func (d *Dir) path(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

// Get reads the file for key.
func (d *Dir) Get(ctx context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store %s: get %q: %w", d.root, key, err)
	}
	b, err := os.ReadFile(d.path(key))
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR):
		// No such file, a parent that is a document, or a directory of
		// keys: in each case nothing is stored under key itself.
		return nil, fmt.Errorf("store %s: get %q: %w", d.root, key, ErrNotFound)
	default:
		return nil, fmt.Errorf("store %s: get %q: %w", d.root, key, atomicfile.Cause(err))
	}
}

// Put writes the file for key atomically.
func (d *Dir) Put(ctx context.Context, key string, b []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store %s: put %q: %w", d.root, key, err)
	}
	name := d.path(key)
	if err := d.mkParent(key); err != nil {
		return fmt.Errorf("store %s: put %q: %w", d.root, key, err)
	}
	if st, err := os.Lstat(name); err == nil && st.IsDir() {
		return fmt.Errorf("store %s: put %q: %w", d.root, key, d.prefixConflict(key))
	}
	if err := atomicfile.WriteFile(name, b); err != nil {
		return fmt.Errorf("store %s: put %q: %w", d.root, key, err)
	}
	return nil
}

// Create writes the file for key unless it exists (atomicfile.Create: a
// synced temporary file hard-linked to the key's name, so exactly one of
// concurrent Creates wins and no reader sees half a claim).
func (d *Dir) Create(ctx context.Context, key string, b []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store %s: create %q: %w", d.root, key, err)
	}
	if err := d.mkParent(key); err != nil {
		return fmt.Errorf("store %s: create %q: %w", d.root, key, err)
	}
	name := d.path(key)
	if err := atomicfile.CreateFile(name, b); err != nil {
		if errors.Is(err, fs.ErrExist) {
			if st, serr := os.Lstat(name); serr == nil && st.IsDir() {
				return fmt.Errorf("store %s: create %q: %w", d.root, key, d.prefixConflict(key))
			}
			return fmt.Errorf("store %s: create %q: %w", d.root, key, ErrExists)
		}
		return fmt.Errorf("store %s: create %q: %w", d.root, key, err)
	}
	return nil
}

// mkParent creates the directories above key's file, explaining the
// failure when one of them is a document.
func (d *Dir) mkParent(key string) error {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return nil
	}
	err := os.MkdirAll(d.path(key[:i]), 0o755)
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
		// Find the ancestor that is a file.
		for j := range len(key) {
			if key[j] != '/' {
				continue
			}
			if st, serr := os.Lstat(d.path(key[:j])); serr == nil && !st.IsDir() {
				return fmt.Errorf("%q is a document, so it cannot also hold keys (a directory store cannot keep both %q and %q)", key[:j], key[:j], key)
			}
		}
	}
	return atomicfile.Cause(err)
}

func (d *Dir) prefixConflict(key string) error {
	return fmt.Errorf("%q holds other keys (%q/…), so a directory store cannot keep a document under it too", key, key)
}

// List walks the tree under root in lexical byte order of the keys.
// Reading each directory's entries and ordering a directory "n" as "n/"
// among its siblings gives the order of the whole keys ("a.json" before
// "a/b.json", as '.' < '/'), the order S3 lists.
func (d *Dir) List(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := checkPrefix(prefix); err != nil {
		return failed(err)
	}
	// Start at the deepest directory the prefix names in full; the rest
	// of the prefix filters that directory's entries by name.
	base, namePrefix := "", prefix
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		base, namePrefix = prefix[:i+1], prefix[i+1:]
	}
	return func(yield func(string, error) bool) {
		fail := func(err error) { yield("", fmt.Errorf("store %s: list %q: %w", d.root, prefix, err)) }
		var walk func(rel, filter string) bool
		walk = func(rel, filter string) bool {
			if err := ctx.Err(); err != nil {
				fail(err)
				return false
			}
			f, err := os.Open(filepath.Join(d.root, filepath.FromSlash(rel)))
			if err != nil {
				if rel == base && rel != "" && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
					// Nothing under the prefix, if the store itself is there.
					if _, rerr := os.Stat(d.root); rerr != nil {
						fail(atomicfile.Cause(rerr))
						return false
					}
					return true
				}
				fail(atomicfile.Cause(err))
				return false
			}
			entries, err := f.ReadDir(-1)
			f.Close()
			if err != nil {
				if rel == base && errors.Is(err, syscall.ENOTDIR) {
					return true
				}
				fail(atomicfile.Cause(err))
				return false
			}
			type entry struct {
				sortKey string
				dir     bool
			}
			var list []entry
			for _, e := range entries {
				n := e.Name()
				if strings.HasPrefix(n, ".") || !strings.HasPrefix(n, filter) {
					continue // temporary files; names outside the prefix
				}
				if keyProblem(n) != "" {
					continue // not a name a key can have
				}
				if e.IsDir() {
					list = append(list, entry{n + "/", true})
				} else if e.Type().IsRegular() {
					list = append(list, entry{n, false})
				}
			}
			slices.SortFunc(list, func(a, b entry) int { return strings.Compare(a.sortKey, b.sortKey) })
			for _, e := range list {
				if e.dir {
					if !walk(rel+e.sortKey, "") {
						return false
					}
				} else if !yield(rel+e.sortKey, nil) {
					return false
				}
			}
			return true
		}
		walk(base, namePrefix)
	}
}
