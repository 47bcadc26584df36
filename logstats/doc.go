// Package logstats owns the per-function, per-day statistics read from
// Lambda's REPORT records with CloudWatch Logs Insights: invocations,
// cold starts and init duration, timeouts (REPORT status), out-of-memory
// ends, memory used and configured, billed duration.
//
// It plans the queries of a scan (NewPlan: log groups grouped by
// account-region and log format, 50 a query, admitted busiest first
// within a bytes-scanned budget priced at PricePerGB), runs one batch
// with the CloudWatch Logs API (Runner: StartQuery, GetQueryResults
// polled with back-off on an injectable clock and sleep, result pages
// followed, StopQuery when the caller gives up, a log group that fails
// StartQuery on its own split off), and maps the result rows back to
// functions and window days (Stats). The window, the daily series and
// the function description are package metrics' (metrics.Window,
// metrics.Series, metrics.Function); the IncomingBytes estimates the
// budget reads come from metrics' GetMetricData half.
//
// It reports values and says which functions got none and why (the
// Reason constants; CoverageReason tells coverage from loss). It must
// not decide what is bad (package insights does), price Lambda (package
// cost), call CloudWatch metrics APIs (package metrics), or retry a
// failed batch as a unit (the scanner's fan-out does).
package logstats
