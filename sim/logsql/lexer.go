package logsql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokIdent          // bare identifier or keyword: letters, digits, _, $, @, dots
	tokQuoted         // `backtick-quoted` field name
	tokNum            // number literal
	tokDur            // number with a unit suffix, such as 5m (bin periods)
	tokStr            // "string" or 'string'
	tokRegex          // /regex/, only after like or =~
	tokOp             // punctuation and operators
)

type token struct {
	kind tokKind
	text string  // the token as written
	val  string  // identifier name, decoded string, regex source, or duration unit
	num  float64 // number value (for tokDur, of the numeric prefix)
	pos  int     // byte offset of the first byte
	end  int     // byte offset just past the last byte
}

// lex splits a query into tokens, ending with one tokEOF.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		i = skipSpace(src, i)
		if i >= len(src) {
			return append(toks, token{kind: tokEOF, pos: len(src), end: len(src)}), nil
		}
		t, err := lexOne(src, i, toks)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		i = t.end
	}
}

// skipSpace skips white space and # comments.
func skipSpace(src string, i int) int {
	for i < len(src) {
		switch src[i] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			i++
		case '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '@' || c == '$' || c >= utf8.RuneSelf
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '.' }

func lexOne(src string, i int, prev []token) (token, error) {
	c := src[i]
	switch {
	case isIdentStart(c):
		j := i + 1
		for j < len(src) && isIdentPart(src[j]) {
			j++
		}
		return token{kind: tokIdent, text: src[i:j], val: src[i:j], pos: i, end: j}, nil
	case c == '`':
		k := strings.IndexByte(src[i+1:], '`')
		if k < 0 {
			return token{}, &SyntaxError{Token: src[i:], Pos: i, what: "unterminated quoted name", Msg: "missing closing `"}
		}
		j := i + 1 + k + 1
		if k == 0 {
			return token{}, &SyntaxError{Token: src[i:j], Pos: i, what: "empty quoted name"}
		}
		return token{kind: tokQuoted, text: src[i:j], val: src[i+1 : j-1], pos: i, end: j}, nil
	case isDigit(c):
		return lexNumber(src, i)
	case c == '"' || c == '\'':
		return lexString(src, i)
	case c == '/' && regexAllowed(prev):
		return lexRegex(src, i)
	}
	return lexOp(src, i)
}

// regexAllowed reports whether a '/' starts a regex literal: only right
// after like (also not like) or =~; anywhere else it is division.
func regexAllowed(prev []token) bool {
	if len(prev) == 0 {
		return false
	}
	last := prev[len(prev)-1]
	return last.kind == tokIdent && strings.EqualFold(last.text, "like") ||
		last.kind == tokOp && last.text == "=~"
}

func lexNumber(src string, i int) (token, error) {
	j := i
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j+1 < len(src) && src[j] == '.' && isDigit(src[j+1]) {
		j++
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && isDigit(src[k]) {
			j = k
			for j < len(src) && isDigit(src[j]) {
				j++
			}
		}
	}
	f, err := strconv.ParseFloat(src[i:j], 64)
	if err != nil {
		return token{}, &SyntaxError{Token: src[i:j], Pos: i, what: "invalid number", Msg: "out of range"}
	}
	if j < len(src) && isIdentPart(src[j]) {
		// A unit suffix (5m, 1d): a duration, valid only as a bin() period.
		// val holds the suffix.
		numEnd := j
		for j < len(src) && isIdentPart(src[j]) {
			j++
		}
		return token{kind: tokDur, text: src[i:j], val: src[numEnd:j], num: f, pos: i, end: j}, nil
	}
	return token{kind: tokNum, text: src[i:j], val: src[i:j], num: f, pos: i, end: j}, nil
}

func lexString(src string, i int) (token, error) {
	q := src[i]
	var b strings.Builder
	for j := i + 1; j < len(src); {
		c := src[j]
		switch {
		case c == q:
			return token{kind: tokStr, text: src[i : j+1], val: b.String(), pos: i, end: j + 1}, nil
		case c == '\\' && j+1 < len(src):
			switch d := src[j+1]; d {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '"', '\'':
				b.WriteByte(d)
			default:
				b.WriteByte('\\')
				b.WriteByte(d)
			}
			j += 2
		default:
			b.WriteByte(c)
			j++
		}
	}
	return token{}, &SyntaxError{Token: src[i:], Pos: i, what: "unterminated string", Msg: "missing closing " + string(q)}
}

func lexRegex(src string, i int) (token, error) {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++ // skip the escaped byte, so \/ does not end the regex
		case '/':
			return token{kind: tokRegex, text: src[i : j+1], val: src[i+1 : j], pos: i, end: j + 1}, nil
		}
	}
	return token{}, &SyntaxError{Token: src[i:], Pos: i, what: "unterminated regex", Msg: "missing closing /"}
}

func lexOp(src string, i int) (token, error) {
	if i+1 < len(src) {
		switch two := src[i : i+2]; two {
		case "=~", "!=", "<=", ">=":
			return token{kind: tokOp, text: two, pos: i, end: i + 2}, nil
		}
	}
	switch c := src[i]; c {
	case '|', ',', '(', ')', '[', ']', '=', '<', '>', '+', '-', '*', '/', '%':
		return token{kind: tokOp, text: src[i : i+1], pos: i, end: i + 1}, nil
	}
	_, size := utf8.DecodeRuneInString(src[i:])
	return token{}, &SyntaxError{Token: src[i : i+size], Pos: i, what: "unexpected character"}
}
