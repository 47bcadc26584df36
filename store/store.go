package store

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"unicode/utf8"
)

// Store keeps documents by key. Implementations are safe for concurrent
// use by several goroutines (and, for Dir and S3, several processes).
type Store interface {
	// Get returns the document stored under key, or an error for which
	// errors.Is(err, ErrNotFound) when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores b under key, replacing any previous document atomically:
	// a reader sees the old document or the new one, never a mix or a
	// part.
	Put(ctx context.Context, key string, b []byte) error
	// Create stores b under key only if the key holds nothing yet: the
	// claim. When it already exists, Create changes nothing and returns an
	// error for which errors.Is(err, ErrExists). Of several concurrent
	// Creates of one key exactly one succeeds, and no reader ever sees a
	// half-written claim.
	Create(ctx context.Context, key string, b []byte) error
	// List yields the keys that begin with prefix (a string prefix, not
	// only whole segments: "units/a" matches "units/ab"; "" lists all) in
	// lexical byte order. An error ends the sequence: it is yielded once,
	// with an empty key, and nothing follows it. Keys stored while a List
	// runs may or may not be yielded.
	List(ctx context.Context, prefix string) iter.Seq2[string, error]
}

// ErrNotFound is wrapped by Get when a key holds nothing.
var ErrNotFound = errors.New("not found")

// ErrExists is wrapped by Create when the key already holds a document.
var ErrExists = errors.New("already exists")

// ErrInvalidKey is wrapped by every operation given a key (or a List
// prefix) that CheckKey refuses.
var ErrInvalidKey = errors.New("invalid key")

// MaxKeyLen is the longest key in bytes: S3's 1,024-byte object keys less
// room for a store prefix.
const MaxKeyLen = 900

// CheckKey reports whether key is a valid store key: a slash-separated
// relative path of at most MaxKeyLen bytes of UTF-8, with no empty
// segment (no leading, trailing or doubled slash), no segment beginning
// with "." (so no "." or "..", and the directory store's temporary files
// are never keys), no backslash and no control character. The error names
// the key and wraps ErrInvalidKey.
func CheckKey(key string) error {
	if reason := keyProblem(key); reason != "" {
		return fmt.Errorf("store: key %q: %s: %w", key, reason, ErrInvalidKey)
	}
	return nil
}

func keyProblem(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("%d bytes, at most %d allowed", len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return "not valid UTF-8"
	case strings.HasPrefix(key, "/"):
		return "absolute; want a relative path such as \"scans/2026-11-21/manifest.json\""
	case strings.HasSuffix(key, "/"):
		return "ends with \"/\"; want a document name after the last slash"
	case strings.Contains(key, "//"):
		return "empty segment (\"//\")"
	case strings.ContainsRune(key, '\\'):
		return "backslash; segments are separated by \"/\""
	case strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }):
		return "control character"
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "..":
			return "\"..\" segment"
		case seg == ".":
			return "\".\" segment"
		case strings.HasPrefix(seg, "."):
			return fmt.Sprintf("segment %q begins with \".\"", seg)
		}
	}
	return ""
}

// checkPrefix validates a List prefix: empty, or a valid key with an
// optional trailing slash.
func checkPrefix(prefix string) error {
	p := strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return nil
	}
	if reason := keyProblem(p); reason != "" {
		return fmt.Errorf("store: list prefix %q: %s: %w", prefix, reason, ErrInvalidKey)
	}
	return nil
}

// failed is a sequence yielding err alone.
func failed(err error) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) { yield("", err) }
}
