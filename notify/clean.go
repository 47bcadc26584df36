package notify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes text from AWS safe to print anywhere: control characters
// (C0 — ESC included —, DEL, C1) and bidirectional overrides are
// removed, tabs and line breaks become spaces and invalid UTF-8 becomes
// U+FFFD, so a function name or an error text cannot move the cursor,
// recolour a terminal, reorder what is shown or break a line of the
// digest.
func Clean(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || UnsafeRune(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case UnsafeRune(r):
		default:
			b.WriteRune(r) // an invalid byte is written as U+FFFD
		}
	}
	return b.String()
}

// UnsafeRune reports whether Clean removes r: a control character or a
// bidirectional formatting mark.
func UnsafeRune(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidirectional formatting
	}
	return unicode.Is(unicode.Cc, r)
}

// Truncate cuts s to at most n runes, ending with "…" when cut.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}
