// Package cost prices what each Lambda function did: embedded, dated price
// tables per region and architecture (requests, duration with the monthly
// volume tiers, ephemeral storage, provisioned concurrency, free tier), a
// calculator for one workload (Estimate, behind `lambdaudit cost`), and
// Model, which turns a scan result into a cost per function per window day,
// month to date and projected month, and the same per account-region and
// per account. It reads no AWS metrics itself: its input is the scan result.
//
// # Rules
//
//   - Duration is billed in 1 ms units per invocation, at the function's
//     configured memory (GB-s = billed ms × MB / 1024 / 1000).
//   - The INIT phase of a cold start is billed as duration since
//     2025-08-01 for on-demand ZIP functions on managed runtimes, and
//     always for container images, custom runtimes (provided.*) and
//     provisioned concurrency.
//   - Duration tiers apply to the monthly on-demand duration of all of an
//     account's functions of one architecture in one region (AWS: "in the
//     same region, within the account").
//   - The free tier (1M requests and 400,000 GB-s a month per account,
//     both architectures and all regions together) is off by default; when
//     on it is applied once per account, never to provisioned concurrency.
package cost
