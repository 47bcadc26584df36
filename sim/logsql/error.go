package logsql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// SyntaxError reports a query that is not in the supported subset. Token
// is the offending token as written in the query (for a query that ends
// too early, the last token before the end; empty only for an empty
// query), Pos its byte offset from the start of the query, and Msg what
// was expected or why the token is refused.
type SyntaxError struct {
	Token string
	Pos   int
	Msg   string

	what string // leading phrase, such as "unexpected symbol" or "unknown function"
}

// Error renders the error with the offending token quoted, for example
// `unexpected symbol "|" at position 12: expected an expression`.
func (e *SyntaxError) Error() string {
	var b strings.Builder
	what := e.what
	if what == "" {
		what = "unexpected token"
	}
	b.WriteString(what)
	if e.Token != "" {
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(excerpt(e.Token)))
	}
	b.WriteString(" at position ")
	b.WriteString(strconv.Itoa(e.Pos))
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// excerpt shortens a long token (an unterminated string, say) for an
// error message, cutting on a rune boundary.
func excerpt(s string) string {
	const maxLen = 48
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func errAt(t token, what, msg string) *SyntaxError {
	return &SyntaxError{Token: t.text, Pos: t.pos, Msg: msg, what: what}
}
