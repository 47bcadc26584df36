// Package lambdahost runs lambdaudit as a scheduled AWS Lambda
// deployment: a thin host over the scanner's Plan, Work and Assemble
// stages, an SQS FIFO queue of units (fanout.SQS) and an S3 store
// (store.S3). One binary, cmd/lambdaudit-lambda, serves three functions,
// chosen by LAMBDAUDIT_HANDLER:
//
//   - plan, invoked by an EventBridge Scheduler schedule: resolves the
//     scope once (accounts × regions), writes the manifest and enqueues
//     one inventory unit per account-region.
//   - work, fed by the queue's event source mapping: runs the units
//     (inventory units enqueue their metrics units), writes each outcome
//     under the unit's content-derived ID, hands unfinished records back
//     as batch item failures, and enqueues the logs plan and the report
//     when a scan's progress (scanner.ReadStatus) makes them due — once,
//     by a claim in the store.
//   - report, invoked by the worker's report unit or by a second
//     schedule at a deadline: assembles the result, builds the insights
//     and delivers the Slack digest, the Opsgenie alerts and the CSV
//     reports in S3, once per scan (a create-if-absent claim), with the
//     deployment's own cost (Lambda, SQS, S3) beside the scan's.
//
// Rate safety: quotas are per account, region and API, and the FIFO
// queue's message group is the unit's account/region/kind (the kinds
// call disjoint APIs), so at most one worker calls a pair's API at a time
// and it may use the pair's whole quota fraction. On a standard queue (a URL not ending in .fifo) several
// workers may hold a pair's units at once, so each takes the fraction
// divided by LAMBDAUDIT_MAX_CONCURRENCY (the event source mapping's
// MaximumConcurrency); docs/lambda-bench.md measures both. Clients, sessions and assumed-role credentials are built once
// per container; every handler stops SafetyMargin before its deadline.
//
// It must not hold scan logic (the scanner's) nor rendering (notify's).
package lambdahost
