// Package text writes the digest for a terminal (Write, WriteWith): the
// same view of the report as the Slack digest (package digest), laid out
// in plain lines, wrapped, with ANSI colour only when asked and every
// AWS string stripped of control characters. It renders only.
package text
