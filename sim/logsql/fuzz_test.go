package logsql

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		qFleetDaily, qJSONMemory, qTimeouts, qOverMemory,
		`fields a + b as s | filter s > 4 and not m like /x\/y/ | sort s desc | limit 3`,
		"filter `a b` in [1, -2, \"x\"] or c =~ /(?i)z/ # c\n| display `a b`",
		`stats count(*) as n by bin(5m) | filter n > 1 | sort bin(5m) desc | fields n * 2 as m`,
		`stats pct(@x, 99.9), percentile(@x, 0), count(), count(@y) by tolower(@log)`,
		`filter @a == 1`, `stats count(*`, `limit 0`, `"unterminated`, "`", `parse @message`,
	} {
		f.Add(s)
	}
	recs := append(textFleet(), jsonFleet()...)
	f.Fuzz(func(t *testing.T, query string) {
		q, err := Parse(query)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is %T, want *SyntaxError", err, err)
			}
			if se.Pos < 0 || se.Pos > len(query) || !strings.HasPrefix(query[se.Pos:], se.Token) {
				t.Fatalf("error %v: token %q not at position %d of %q", err, se.Token, se.Pos, query)
			}
			if se.Token == "" && strings.TrimSpace(query) != "" && !strings.HasPrefix(strings.TrimSpace(query), "#") {
				t.Fatalf("error %v names no token for %q", err, query)
			}
			_ = err.Error()
			return
		}
		// A query that parses must also run, over any records.
		if _, err := q.Run(context.Background(), seqOf(recs), 50); err != nil {
			t.Fatalf("Run(%q): %v", query, err)
		}
		_ = q.MinBin()
		_ = q.Fields()
	})
}
