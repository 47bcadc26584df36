// Package insights turns a scan result into the report an on-call
// engineer acts on: every rule of the insight catalogue (INSIGHTS.md) —
// near-timeout, timeouts, memory-near-limit, memory-overprovisioned,
// cold-starts, cost-spike, error-rate, throttles, deprecated-runtime,
// arm64-candidate, concurrency-near-limit, iterator-age, async-failures,
// provisioned-concurrency-idle, recursive-loop — with the catalogue's
// default thresholds, overridable in a YAML config (Config), by function
// name pattern and by the functions' own lambdaudit: tags; and the
// report model (Report, JSON schema "lambdaudit/report" version 1,
// docs/report.md): coverage, the summary with changes against the
// previous 7 days, top functions by cost, the biggest cost movers, the
// insights by severity, reliability before cost, then impact (one
// finding per cause), what could not be evaluated and why,
// and what the scan itself cost.
//
// Build is the entry point: it refuses a scan result of an unknown
// version or with values no AWS answer holds (ValidateScan), prices the
// functions with package cost, runs the rules and assembles the report.
// A value AWS returns that the rules do not model (a Lambda Managed
// Instances function, an unknown architecture or runtime) degrades only
// that function: its affected rules are listed as not run, with the
// reason. Insights sends nothing.
//
// # No data is not zero
//
// A rule reads the report day (the window's last) and, where the
// catalogue says so, the days before it. It distinguishes three cases:
//
//   - The data was not fetched — the function failed to scan, its metrics
//     or logs stage failed, the logs were skipped (budget) or not queried,
//     its log group is shared with other functions, the cost model has no
//     price for its region: the rule does not run, and Report.Missing
//     lists the rule, the functions and the reason.
//   - A count metric (Invocations, Errors, Throttles, the async and
//     recursion counts) was fetched but has no datapoint for a day:
//     CloudWatch publishes these only when there is something to count,
//     so the day counts zero for sums and is no denominator for rates.
//   - A gauge or statistic (Duration Maximum, IteratorAge,
//     ProvisionedConcurrencyUtilization, REPORT memory and init figures)
//     has no value for the report day: there was nothing to measure, the
//     rule does not decide, and Missing says "no invocations on the report
//     day" or "no datapoint on the report day".
//
// Optional metrics that the scan did not find for a function (IteratorAge
// for a function without a stream, say) make their rule not applicable,
// which is not missing data.
package insights
