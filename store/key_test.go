package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/store"
)

func TestCheckKey(t *testing.T) {
	cases := []struct {
		name, key string
		says      string // "" for a valid key
	}{
		{"plain", "manifest.json", ""},
		{"nested", "scans/2026-11-21/units/lambda-111111111111-eu-west-2-0001.json", ""},
		{"unicode", "tags/é/ü", ""},
		{"dots inside", "a.b/c..d", ""},
		{"longest", strings.Repeat("k", store.MaxKeyLen), ""},
		{"empty", "", "empty"},
		{"too long", strings.Repeat("k", store.MaxKeyLen+1), "at most 900"},
		{"absolute", "/etc/passwd", "absolute"},
		{"trailing slash", "units/", `ends with "/"`},
		{"doubled slash", "units//a", "empty segment"},
		{"dot-dot", "../x", `".." segment`},
		{"dot-dot inside", "a/../../x", `".." segment`},
		{"dot", "a/./b", `"." segment`},
		{"hidden", "a/.b.json.123.tmp", `begins with "."`},
		{"backslash", `a\..\b`, "backslash"},
		{"NUL", "a\x00b", "control character"},
		{"newline", "a\nb", "control character"},
		{"ESC", "a\x1b[31mb", "control character"},
		{"DEL", "a\x7fb", "control character"},
		{"C1", "a\u0085b", "control character"},
		{"invalid UTF-8", "a\xffb", "UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := store.CheckKey(tc.key)
			if tc.says == "" {
				if err != nil {
					t.Fatalf("CheckKey(%q): %v", tc.key, err)
				}
				return
			}
			if !errors.Is(err, store.ErrInvalidKey) {
				t.Fatalf("CheckKey(%q): %v, want ErrInvalidKey", tc.key, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.says) {
				t.Errorf("error %q does not say %q", msg, tc.says)
			}
			if strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("error %q carries a raw control character", msg)
			}
			if len(tc.key) < 100 && !strings.Contains(msg, fmt.Sprintf("key %q", tc.key)) {
				t.Errorf("error %q does not name the key", msg)
			}
		})
	}
}
