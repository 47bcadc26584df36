package logsql

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The queries lambdaudit sends.
const (
	qFleetDaily = `filter @type = "REPORT" | stats count(*) as invocations, max(@maxMemoryUsed) as maxMem, pct(@maxMemoryUsed, 99) as p99Mem, sum(strcontains(@message, "Init Duration")) as coldStarts, pct(@initDuration, 95) as p95Init, sum(@initDuration) as initTotal, sum(strcontains(@message, "Status: timeout")) as timeouts, sum(@billedDuration) as billed by @log, bin(1d)`
	qJSONMemory = `filter type = "platform.report" | stats count(*), max(record.metrics.maxMemoryUsedMB) by @log`
	qTimeouts   = `fields @timestamp, @message | filter @message like /Task timed out/ | sort @timestamp desc | limit 20`
	qOverMemory = `filter @type = "REPORT" | stats max(@memorySize / 1000 / 1000) as provisonedMemoryMB, min(@maxMemoryUsed / 1000 / 1000) as smallestMemoryRequestMB, avg(@maxMemoryUsed / 1000 / 1000) as avgMemoryUsedMB, max(@maxMemoryUsed / 1000 / 1000) as maxMemoryUsedMB, provisonedMemoryMB - maxMemoryUsedMB as overProvisionedMB`
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		minBin time.Duration
		fields []string // nil: not checked
	}{
		{"fleet daily", qFleetDaily, 24 * time.Hour,
			[]string{"@billedDuration", "@initDuration", "@log", "@maxMemoryUsed", "@message", "@type"}},
		{"json memory", qJSONMemory, 0, []string{"@log", "record.metrics.maxMemoryUsedMB", "type"}},
		{"timeouts", qTimeouts, 0, []string{"@message", "@timestamp"}},
		{"over memory", qOverMemory, 0, []string{"@maxMemoryUsed", "@memorySize", "@type"}},
		{"default output reads timestamp and message", `filter @duration > 100`, 0, []string{"@duration", "@message", "@timestamp"}},
		{"keywords and functions in any case", `FILTER @type = "REPORT" AND NOT @duration < 1 | STATS COUNT(*) AS n, Pct(@duration, 50) BY BIN(5M)`, 5 * time.Minute, nil},
		{"smallest of several bins", `fields bin(1h) as h | stats count(*) by bin(30s), h`, 30 * time.Second, nil},
		{"bin units", `stats count(*) by bin(250ms), bin(2s), bin(3m), bin(4h), bin(5d), bin(1w)`, 250 * time.Millisecond, nil},
		{"fractional bin period", `stats count(*) by bin(1.5h)`, 90 * time.Minute, nil},
		{"comments", "# leading comment\nfilter @duration > 1 # trailing\n| limit 5 # done", 0, nil},
		{"backtick names", "fields `record.metrics.durationMs` as `d`, `and` | filter `d` > 3", 0,
			[]string{"and", "record.metrics.durationMs"}},
		{"single quotes and escapes", `filter @message like 'it\'s' or @message = "say \"hi\"\n"`, 0, nil},
		{"regex with escaped slash", `filter @message like /a\/b/ and @log =~ /(?i)^123.*alpha$/`, 0, nil},
		{"not like and not in", `filter @message not like "x" and @type not in ["START", "END"] and @duration in [1, -2, 3.5]`, 0, nil},
		{"empty in list", `filter @type in []`, 0, nil},
		{"count forms", `stats count(), count(*), count(@initDuration), percentile(@duration, 99.9)`, 0, nil},
		{"aggregate arithmetic", `stats sum(strcontains(@message, "Init Duration"))/count(*) as coldShare`, 0, nil},
		{"nested parentheses and unary minus", `filter -(-(@duration)) * ((2 + 3) % 4) >= -1.5e2`, 0, nil},
		{"display", `fields @duration * 2 as d | display d, @message`, 0, nil},
		{"post-stats commands", `stats count(*) as n by @log | filter n > 1 | sort n desc, @log | limit 3 | display @log`, 0, nil},
		{"sort by expression text", `stats count(*) by @log | sort count( * ) desc`, 0, nil},
		{"all scalar functions", `filter ispresent(@a) and isempty(@b) or abs(@c) + ceil(@c) + floor(@c) + sqrt(@c) + strlen(@m) > 0 and tolower(@m) = toupper(@m)`, 0, nil},
		{"limit bounds", `limit 1 | limit 10000`, 0, nil},
		{"longest query", "filter " + strings.Repeat("1+", (MaxQueryLen-8)/2) + "1", 0, nil},
		{"no space around operators", `filter @duration>1 and(@type="REPORT")`, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Parse(tc.query)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := q.MinBin(); got != tc.minBin {
				t.Errorf("MinBin = %v, want %v", got, tc.minBin)
			}
			if tc.fields != nil && strings.Join(q.Fields(), ",") != strings.Join(tc.fields, ",") {
				t.Errorf("Fields = %q, want %q", q.Fields(), tc.fields)
			}
			if q.String() != tc.query {
				t.Errorf("String = %q", q.String())
			}
			if want := strings.Contains(strings.ToLower(tc.query), "stats"); q.HasStats() != want || q.IsStats() != want {
				t.Errorf("HasStats = %v, want %v", q.HasStats(), want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	deep := "filter " + strings.Repeat("(", maxDepth+5) + "1" + strings.Repeat(")", maxDepth+5)
	tests := []struct {
		name  string
		query string
		token string // the token the error must name
		msg   string // a substring of the error
	}{
		// Commands outside the subset.
		{"parse", `parse @message "* *" as a, b`, "parse", "unsupported command"},
		{"dedup", `filter @type = "REPORT" | dedup @log`, "dedup", "unsupported command"},
		{"unmask", `unmask @message`, "unmask", "unsupported command"},
		{"pattern", `pattern @message`, "pattern", "unsupported command"},
		{"diff", `fields @message | diff`, "diff", "unsupported command"},
		{"SOURCE", `SOURCE logGroups() | fields @message`, "SOURCE", "unsupported command"},
		{"unknown command", `fields @message | frobnicate @log`, "frobnicate", "unknown command"},
		{"command is not a name", `"fields"`, `"fields"`, "expected a command"},
		// Functions.
		{"unknown aggregate", `stats median(@duration)`, "median", "unknown function"},
		{"unknown scalar", `filter earliest(@timestamp) > 0`, "earliest", "unknown function"},
		{"aggregate in filter", `filter count(*) > 1`, "count", "aggregate"},
		{"nested aggregate", `stats sum(count(*))`, "count", "aggregate"},
		{"bare field in stats", `stats @duration`, "@duration", "inside an aggregate"},
		{"later alias in stats", `stats a + 1 as b, count(*) as a`, "a", "inside an aggregate"},
		{"bin in stats item", `stats bin(5m)`, "bin", "by clause"},
		{"missing argument", `stats sum()`, "sum", "one argument"},
		{"too many arguments", `filter abs(1, 2)`, "abs", "one argument"},
		{"no argument", `filter tolower()`, "tolower", "one argument"},
		{"pct without percentile", `stats pct(@duration)`, "pct", "percentile"},
		{"pct with three arguments", `stats percentile(@duration, 1, 2)`, "percentile", "percentile"},
		{"strcontains with one argument", `filter strcontains(@message)`, "strcontains", "2 arguments"},
		{"count with two arguments", `stats count(@a, @b)`, "count", "count takes"},
		{"pct above 100", `stats pct(@duration, 101)`, "101", "from 0 to 100"},
		{"pct below 0", `stats pct(@duration, -1)`, "-", "from 0 to 100"},
		{"pct not literal", `stats pct(@duration, p)`, "p", "from 0 to 100"},
		{"star outside count", `stats sum(*)`, "*", "expected an expression"},
		{"count star and more", `stats count(*, @a)`, ",", `expected ")"`},
		// bin periods.
		{"bin unknown unit", `stats count(*) by bin(5x)`, "5x", "units"},
		{"bin months", `stats count(*) by bin(1mo)`, "1mo", "units"},
		{"bin without unit", `stats count(*) by bin(5)`, "5", "period"},
		{"bin of a field", `stats count(*) by bin(@log)`, "@log", "period"},
		{"bin zero", `stats count(*) by bin(0m)`, "0m", "period"},
		{"bin malformed number", `stats count(*) by bin(1.5.5m)`, "1.5.5m", "units"},
		{"duration outside bin", `filter 5m > 1`, "5m", "bin"},
		// Stray tokens and structure.
		{"missing pipe", `filter @type = "REPORT" stats count(*)`, "stats", `expected "|"`},
		{"missing comma", `fields @message @log`, "@log", `expected "|"`},
		{"stray closing paren", `filter @duration > 1)`, ")", `expected "|"`},
		{"unclosed paren", `filter (@duration > 1`, "(", `missing ")"`},
		{"unclosed call", `stats count(*`, "(", `missing ")"`},
		{"wrong closer", `filter (@duration > 1]`, "]", `expected ")"`},
		{"missing operand", `filter @duration >`, ">", "end of query"},
		{"empty filter", `filter`, "filter", "expected an expression"},
		{"trailing pipe", `fields @message |`, "|", "expected a command"},
		{"leading pipe", `| fields @message`, "|", "expected a command"},
		{"double pipe", `fields @message || limit 1`, "|", "expected a command"},
		{"empty query", "  # only a comment\n", "", "empty query"},
		{"second stats", `stats count(*) as n by @log | stats sum(n)`, "stats", "one stats"},
		{"unknown character", `filter @a = 1 ^ 2`, "^", "unexpected character"},
		{"double equals", `filter @a == 1`, "=", "expected an expression"},
		{"bang alone", `filter !@a`, "!", "unexpected character"},
		{"keyword as operand", `filter and`, "and", "expected an expression"},
		{"keyword as alias", `fields @a as by`, "by", "expected a name"},
		{"stats by nothing", `stats count(*) by`, "by", "end of query"},
		{"sort order twice", `sort @a asc desc`, "desc", `expected "|"`},
		{"regex outside like", `filter /abc/`, "/", "expected an expression"},
		{"chained comparison", `filter 1 < 2 < 3`, "<", `expected "|"`},
		{"too deep", deep, "(", "nested too deeply"},
		{"too deep negation", "filter " + strings.Repeat("not ", maxDepth+1) + "1", "not", "nested too deeply"},
		{"too long", "filter " + strings.Repeat("1 + ", 2600) + "1", "+", "at most 10000 characters"},
		// Literals.
		{"invalid regex", `filter @message like /(/`, "/(/", "invalid regex"},
		{"unterminated regex", `filter @message like /abc`, "/abc", "unterminated regex"},
		{"like needs a literal", `filter @message like @log`, "@log", "after like"},
		{"regex op needs a regex", `filter @message =~ "x"`, `"x"`, "regex"},
		{"unterminated string", `filter @message like "abc`, `"abc`, "unterminated string"},
		{"unterminated backtick", "fields `abc", "`abc", "unterminated quoted name"},
		{"empty backtick", "fields ``", "``", "empty quoted name"},
		{"number out of range", `filter @a > 1e999`, "1e999", "invalid number"},
		{"in needs brackets", `filter @a in (1, 2)`, "(", `expected "["`},
		{"in needs literals", `filter @a in [1, @b]`, "@b", "literal"},
		{"unclosed in list", `filter @a in [1, 2`, "[", `missing "]"`},
		// limit.
		{"limit zero", `limit 0`, "0", "whole number"},
		{"limit fraction", `limit 1.5`, "1.5", "whole number"},
		{"limit too large", `limit 20000`, "20000", "whole number"},
		{"limit not a number", `limit x`, "x", "row count"},
		// Pipeline shape.
		{"filter after limit", `limit 5 | filter @a = 1`, "filter", "after limit"},
		{"sort after limit", `limit 5 | sort @a`, "sort", "after limit"},
		{"fields after limit", `limit 5 | fields @a`, "fields", "after limit"},
		{"limit before stats", `limit 5 | stats count(*)`, "limit", "before stats"},
		{"unknown column after stats", `stats count(*) as n | sort m desc`, "m", "unknown field"},
		{"record field after stats", `stats count(*) by @log | fields @message`, "@message", "unknown field"},
		{"display of an expression", `display strlen(@message)`, "strlen", "field names"},
		{"display of a literal", `display 1`, "1", "expected a field name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Parse(tc.query)
			if err == nil {
				t.Fatalf("Parse accepted %q: %+v", tc.query, q)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is %T, want *SyntaxError", err, err)
			}
			if se.Token != tc.token {
				t.Errorf("Token = %q, want %q (%v)", se.Token, tc.token, err)
			}
			if se.Pos < 0 || se.Pos > len(tc.query) || !strings.HasPrefix(tc.query[se.Pos:], se.Token) {
				t.Errorf("Pos %d does not point at %q in %q", se.Pos, se.Token, tc.query)
			}
			msg := err.Error()
			if tc.token != "" && !strings.Contains(msg, strconv.Quote(tc.token)) {
				t.Errorf("error %q does not quote the token %q", msg, tc.token)
			}
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("error %q does not contain %q", msg, tc.msg)
			}
			if !strings.Contains(msg, "at position "+strconv.Itoa(se.Pos)) {
				t.Errorf("error %q does not give the position %d", msg, se.Pos)
			}
		})
	}
}

func TestSyntaxErrorFormat(t *testing.T) {
	_, err := Parse(`filter @a = | limit 1`)
	want := `unexpected symbol "|" at position 12: expected an expression`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
	long := `filter @message like "` + strings.Repeat("é", 100)
	_, err = Parse(long)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Token != long[len("filter @message like "):] {
		t.Fatalf("unterminated long string: %v", err)
	}
	if !strings.Contains(err.Error(), "…") || len(err.Error()) > 200 {
		t.Errorf("long token not shortened: %q", err.Error())
	}
}
