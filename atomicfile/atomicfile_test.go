package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name    string
		write   func(io.Writer) error
		want    string // the file's content afterwards
		wantErr bool
	}{
		{"success replaces the file", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, "new", false},
		{"a failing write leaves the old file", func(w io.Writer) error {
			io.WriteString(w, "half")
			return errors.New("encoder failed")
		}, "old", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "scan.json")
			if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			err := Write(path, tt.write)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the path: %v", err)
			}
			b, _ := os.ReadFile(path)
			if string(b) != tt.want {
				t.Errorf("content %q, want %q", b, tt.want)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 {
				t.Errorf("%d entries in the directory, want only the file (no temporary left)", len(ents))
			}
			if !tt.wantErr {
				st, _ := os.Stat(path)
				if st.Mode().Perm() != Perm {
					t.Errorf("mode %v, want %v", st.Mode().Perm(), Perm)
				}
			}
		})
	}
}

func TestWriteFileMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "x.json")
	err := WriteFile(path, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want one naming %s", err, path)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		check func(string) error
		path  string
		ok    bool
	}{
		{"file in an existing directory", CheckFile, filepath.Join(dir, "x.json"), true},
		{"file over an existing file", CheckFile, file, true},
		{"file in a missing directory", CheckFile, "/nonexistent/x.json", false},
		{"file that is a directory", CheckFile, dir, false},
		{"file under a file", CheckFile, filepath.Join(file, "x.json"), false},
		{"existing directory", CheckDir, dir, true},
		{"directory to create", CheckDir, filepath.Join(dir, "a", "b"), true},
		{"directory under a file", CheckDir, filepath.Join(file, "a"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check(tt.path)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error does not name %s: %v", tt.path, err)
			}
		})
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the checks left %d entries, want 1 (nothing created)", len(ents))
	}
}

func TestCheckUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes anywhere")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if err := CheckFile(filepath.Join(dir, "x.json")); err == nil {
		t.Error("CheckFile: no error for a read-only directory")
	}
	if err := CheckDir(filepath.Join(dir, "out")); err == nil {
		t.Error("CheckDir: no error under a read-only directory")
	}
}

// TestCreate: a claim is made once; a second Create of the same path,
// however many race for it, finds it taken (fs.ErrExist) and changes
// nothing; no temporary file is left.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "claim")
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- CreateFile(path, []byte{byte('a' + i)}) }()
	}
	won := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			won++
		case !errors.Is(err, fs.ErrExist):
			t.Errorf("a losing Create: %v, want fs.ErrExist", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d Creates won, want exactly 1", won)
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) != 1 {
		t.Fatalf("claim %q, %v", b, err)
	}
	if err := CreateFile(path, []byte("later")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create over an existing file: %v, want fs.ErrExist", err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(b) {
		t.Errorf("the claim changed to %q", again)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("left in the directory: %v", ents)
	}
}
