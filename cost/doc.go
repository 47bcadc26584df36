// Package cost prices what each Lambda function did: embedded, dated price
// tables per region and architecture (requests, duration with the monthly
// volume tiers, ephemeral storage, provisioned concurrency, free tier), a
// calculator for one workload (Prices.Estimate, behind `lambdaudit
// cost`), the AWS Price List reader behind `lambdaudit cost refresh`
// (Fetch, FromPriceList), and Model, which turns a scan result into a cost
// per function per window day, month to date and projected month, and the
// same per account-region and per account. It reads no AWS metrics
// itself: its input is the scan result.
//
// # Prices
//
// Embedded is the table compiled in (prices/lambda.json): an entry per
// region where Lambda is offered (LambdaRegions: the partitions aws,
// aws-us-gov and aws-cn) and architecture, with every component. Each
// entry has its currency (USD; CNY for aws-cn), its date (AsOf), its
// Source, and under Unconfirmed the rates its source did not give from
// the AWS Price List; Source says what stands in for them (us-east-1's
// rate, or a regional multiplier of it). Open prefers a file given by
// path, then the table `lambdaudit cost refresh` wrote at DefaultPath,
// then the embedded one. A refresh (Fetch, FromPriceList) reads the
// regions from the products' regionCode (usage types carry region
// prefixes such as USE2- or EUW2-; us-east-1's none) and keeps, through
// Merge, the regions its Price List read did not return.
//
// Currencies are never mixed: the table's currency (USD) is the one Model
// adds up, and a function in a region priced in another currency is not
// priced (FunctionCost.Unpriced says so).
//
// # Rules
//
//   - Duration is billed in 1 ms units per invocation, at the function's
//     configured memory (GB-s = billed ms × MB / 1024 / 1000).
//   - The INIT phase of a cold start is billed as duration since
//     2025-08-01 for on-demand ZIP functions on managed runtimes, and
//     always for container images, custom runtimes (provided.*) and
//     provisioned concurrency (InitBilled).
//   - Duration tiers apply to the monthly on-demand duration of all of an
//     account's functions of one architecture in one region (AWS: "in the
//     same region, within the account"); provisioned concurrency's duration
//     has its own flat rate and is not counted in them.
//   - The free tier (1M requests and 400,000 GB-s a month per account,
//     both architectures and all regions together) is off by default; when
//     on it is applied once per account, never to functions with
//     provisioned concurrency.
//
// # Model
//
// Model states its methods in its result (DurationMethod,
// ApportionmentMethod, ProjectionMethod). In short: a day's billed
// duration is the REPORT lines' Billed Duration where the scan has logs
// of the function alone, else CloudWatch Duration Sum plus 0.5 ms per
// invocation, with INIT from LambdaInsights (or flagged unknown); each
// account-region-architecture's day is priced across the tiers from the
// month-to-date total before it, and each function gets the day's blended
// rate; the month is projected as month to date plus the mean daily cost
// of the last 7 days with data for every day the window does not cover.
// A day without data is nil, never $0. A function the model cannot price
// (Lambda Managed Instances, billed on EC2 capacity; a region or
// architecture without a USD price; a value outside Lambda's limits) has
// FunctionCost.Unpriced with the reason and no figures; the rest of the
// fleet is priced without it.
//
// Known limit: the scan result carries only a function's current memory
// setting, so days before a configuration change (LastModified) are priced
// at the current memory and flagged Usage.MemoryAssumed, unless the
// REPORT lines (LogStats.MemorySizeMB) give the day's own memory.
package cost
