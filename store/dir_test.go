package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/store"
)

// The directory store's own behaviour beyond the conformance table.
func TestDirLayout(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "state", "nested")
	s, err := store.NewDir(root) // creates the missing directories
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "scans/day/manifest.json", "m")
	if err := s.Create(ctx, "scans/day/claim", []byte("c")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "scans/day/claim", []byte("c2")); !errors.Is(err, store.ErrExists) {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "scans", "day", "manifest.json"))
	if err != nil || string(b) != "m" {
		t.Fatalf("file: %q %v", b, err)
	}

	t.Run("no temporary file is left behind", func(t *testing.T) {
		entries, err := os.ReadDir(filepath.Join(root, "scans", "day"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if want := []string{"claim", "manifest.json"}; !slices.Equal(names, want) {
			t.Errorf("files %q, want %q", names, want)
		}
	})

	t.Run("hidden and foreign files are not keys", func(t *testing.T) {
		for _, name := range []string{".x.tmp", "bad\x01name", ".hidden/inside"} {
			p := filepath.Join(root, "scans", filepath.FromSlash(name))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(filepath.Join(root, "scans", "day", "claim"), filepath.Join(root, "scans", "link")); err != nil {
			t.Fatal(err)
		}
		got, err := collect(s.List(ctx, ""))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"scans/day/claim", "scans/day/manifest.json"}; !slices.Equal(got, want) {
			t.Errorf("List = %q, want %q", got, want)
		}
	})

	t.Run("a document cannot also hold keys", func(t *testing.T) {
		for _, tc := range []struct{ name, key, says string }{
			{"put below a document", "scans/day/manifest.json/x", `"scans/day/manifest.json" is a document`},
			{"create below a document", "scans/day/claim/x", `"scans/day/claim" is a document`},
			{"put over a directory of keys", "scans/day", `"scans/day" holds other keys`},
		} {
			var err error
			if strings.HasPrefix(tc.name, "create") {
				err = s.Create(ctx, tc.key, []byte("x"))
			} else {
				err = s.Put(ctx, tc.key, []byte("x"))
			}
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%s: %v, want an error saying %s", tc.name, err, tc.says)
			}
		}
		if err := s.Create(ctx, "scans/day", []byte("x")); err == nil || errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), "holds other keys") {
			t.Errorf("create over a directory of keys: %v, want a conflict other than ErrExists", err)
		}
	})
}

// A store whose directory has gone is an error, not an empty store.
func TestDirRootRemoved(t *testing.T) {
	root := filepath.Join(t.TempDir(), "state")
	s, err := store.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(root); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"", "units/"} {
		if _, err := collect(s.List(context.Background(), prefix)); err == nil || !strings.Contains(err.Error(), root) {
			t.Errorf("List(%q): %v, want an error naming %s", prefix, err, root)
		}
	}
}

func TestNewDirRefuses(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, root, says string }{
		{"empty", "", "not set"},
		{"a file", file, file},
		{"below a file", filepath.Join(file, "sub"), file},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := store.NewDir(tc.root); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("NewDir(%q): %v, want an error saying %s", tc.root, err, tc.says)
			}
		})
	}
}
