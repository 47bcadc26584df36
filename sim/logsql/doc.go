// Package logsql owns the subset of the CloudWatch Logs Insights query
// language that the simulated account evaluates: parser, evaluator over
// weighted records, and the error that names the offending token.
//
// [Parse] compiles a query once into closures; [Query.Run] evaluates it
// over a sequence of [Record] values. Each record stands for Weight()
// identical log events, so the simulated account need not materialise
// every event. A query outside the subset is refused by Parse with a
// [*SyntaxError] that quotes the offending token and gives its byte offset.
//
// # Lexical structure
//
//   - A query has at most [MaxQueryLen] (10,000) characters, as in
//     StartQuery.
//   - Commands are separated by "|". Keywords (command names, and, or,
//     not, like, in, as, by, asc, desc) and function names are
//     case-insensitive; field names are case-sensitive.
//   - A field name starts with a letter, "_", "$" or "@" and goes on with
//     letters, digits, "_", "$", "@", dots and non-ASCII characters
//     (record.metrics.durationMs),
//     or is quoted with backticks (`record.metrics.durationMs`, `and`).
//     The keywords above are field names only when quoted.
//   - String literals use double or single quotes, with the escapes \n,
//     \t, \r, \\, \" and \'. Numbers are decimal integers or floats, with
//     an optional exponent.
//   - A regex literal /.../ is read only right after like, not like or
//     =~ (anywhere else "/" is division); it is a Go regexp, so (?i) makes
//     it case-insensitive.
//   - A number with a unit (5m) is a bin() period: ms, s, m, h, d, w.
//   - "#" starts a comment that runs to the end of the line.
//
// # Commands
//
//   - fields item, ... where an item is a field or "expr as alias". It
//     selects the output fields of a query without stats and defines
//     computed fields that later commands can use. Several fields commands
//     select the union of their fields, in order.
//   - display field, ... selects the output fields without defining any;
//     the last display wins over fields.
//   - filter expr keeps the events for which expr is true: a non-zero
//     number or a non-empty string.
//   - stats item, ... [by group, ...] aggregates. An item is an
//     expression over aggregates, by groups and earlier items, with an
//     optional "as alias"; a group is an expression over the record, such
//     as a field or bin(period), with an optional alias. Only one stats
//     command is allowed. Commands after stats (filter, sort, limit,
//     fields, display) apply to its result rows, and name its columns by
//     alias or by expression text (sort count(*) desc).
//   - sort expr [asc|desc], ... orders rows; asc is the default, absent
//     values sort last either way.
//   - limit N caps the rows, 1 ≤ N ≤ 10000.
//
// Without stats, a filter, fields or sort after a limit is refused, and
// every sort command but the last is ignored. With stats, a limit before
// stats is refused, and a sort before it is ignored.
//
// # Expressions
//
// From lowest to highest precedence: or; and; not; comparisons (= != < <=
// > >=, like "substring", like /regex/, not like, =~ /regex/,
// in [literal, ...], not in [...]); + and -; *, / and %; unary minus;
// literals, fields, function calls and parentheses.
//
// Numbers compare numerically and strings lexically; a comparison between
// a number and a string, or with an absent value, is false (also for !=).
// like and =~ match string values only. Arithmetic needs two numbers and
// gives the absent value otherwise, and on division or modulo by zero.
// Comparisons, and, or, not and the predicates below give 1 or 0.
//
// Functions: strcontains(s, sub) (1 or 0, absent when s or sub is absent;
// numbers are matched in their rendering), ispresent(x), isempty(x) (absent
// or ""), abs, ceil, floor, sqrt (absent for a negative number), strlen
// (in characters), tolower and toupper (which leave numbers as they are),
// and bin(period), the event time rounded down to a multiple of the period.
//
// Aggregates, valid only in stats items and not nested: count(*) and
// count() (the weight of the events), count(expr) (the weight of the
// events where expr is present and not ""), sum(expr) (Σ value × weight),
// avg(expr) (weighted mean), min(expr) and max(expr) (weight ignored; of
// @timestamp they render as timestamps), and
// pct(expr, p) or percentile(expr, p), the weighted nearest-rank
// percentile: with the values in ascending order and W their total
// weight, the value at which the cumulative weight first reaches
// ceil(p/100 × W), at least 1. sum, avg, min, max and pct ignore values
// that are not numbers. Aggregates combine with arithmetic:
// sum(strcontains(@message, "Init Duration"))/count(*) as coldShare.
//
// # Results
//
// A query without stats returns one row per event, so a record expands
// into up to Weight() identical rows: the selected fields in order (by
// default @timestamp and @message), a field absent from the event left
// out of the row, and then "@ptr", an opaque string that is deterministic
// for a given record sequence. Rows are ordered by @timestamp descending
// unless the query sorts them.
//
// A stats query returns one row per group: the by groups in order, then
// the stats items, groups in ascending order of their values unless a
// sort follows. With no by clause it always returns one row; when no
// event matched, counts are "0" and every other aggregate is absent from
// the row, since no data is not zero. With a by clause and no match it
// returns no rows.
//
// Numbers render in the shortest decimal form without exponent, integers
// without ".0"; @timestamp and bin() values render as
// "2006-01-02 15:04:05.000" in UTC.
//
// RecordsScanned is the total weight of the records seen and
// RecordsMatched the total weight that passed the filters before stats
// (or all filters, without stats).
//
// # Not supported
//
// parse, dedup, unmask, pattern, diff, SOURCE, filterIndex, anomaly,
// lookup and unnest; functions other than those above (earliest, latest,
// count_distinct, stddev, concat, replace, datefloor, …); bin units other
// than ms, s, m, h, d and w (no mo, q or y); the == operator; string
// concatenation and implicit string-to-number conversion. Each is refused
// with a *SyntaxError naming the offending token, or (for conversions)
// yields the absent value.
package logsql
