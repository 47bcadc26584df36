// Package sim owns the simulated AWS account that lambdaudit's demo, tests
// and benchmarks run against: one HTTP endpoint that speaks the wire
// protocols of the current aws-sdk-go-v2 clients (Lambda restJson1,
// CloudWatch Smithy RPC v2 CBOR plus awsJson1.0 and awsQuery, CloudWatch
// Logs awsJson1.1, STS awsQuery, Resource Groups Tagging awsJson1.1, EC2
// query, Organizations awsJson1.1) for a deterministic fleet (package sim/fleet), under AWS's quotas, with
// simulated latency, injectable faults and an accounting of every call.
//
// Requests are routed by their SigV4 scope (service and region); the
// access key decides the account. The signature is not verified.
//
// CloudWatch (GetMetricData, GetMetricStatistics, ListMetrics) answers in
// the protocol the request came in: Smithy RPC v2 CBOR (POST
// /service/GraniteServiceVersion20100801/operation/<Op>, the SDK's and the
// aws CLI's default), awsJson1.0 (X-Amz-Target
// GraniteServiceVersion20100801.<Op>) or awsQuery (form Action=<Op>, XML
// answers, what moto_server and older clients speak). All three parse into
// one request, run one implementation over the fleet model and report
// errors with the awsQuery codes (X-Amzn-Query-Error for CBOR and JSON).
// GetMetricData pages at MaxDatapoints (100,800 by default) with a
// NextToken bound to the request; metric math is refused.
//
// # Accounts and regions
//
// The access key decides the account: the simulator's own key
// (AccessKeyID) is a user in the fleet's first account; sts:AssumeRole
// into another account's role (its roleName, with its externalId when the
// spec sets one) gives session keys of that account, expiring by the
// simulated clock. The fleet is one organization whose management account
// is the first account: Organizations ListAccounts lists every account
// (all ACTIVE; 20 a page, NextToken) for callers in the first account,
// refuses others with AccessDeniedException like a member account, and a
// fleet of one account answers AWSOrganizationsNotInUseException. STS and
// Organizations are global: a region that is not enabled does not refuse
// them. EC2 DescribeRegions answers, for the caller's account, the regions
// its spec declares and does not disable plus us-east-1 (minus regions a
// DisableRegion fault without service or API scopes to the account); with
// AllRegions it adds the other commercial regions as not-opted-in, a
// simplification (on AWS the regions that need no opt-in are always
// enabled). Neither service has a quota in the simulator.
//
// The Price List's GetProducts (awsJson1.1, SigV4 service pricing, global
// like STS) answers ServiceCode AWSLambda with products in AWS's
// product/terms JSON, built from package cost's embedded price table, with
// attribute filters and NextToken pages of at most 100.
//
// # Logs Insights
//
// StartQuery takes at most 50 log groups and a limit of 1 to 100,000 rows
// (default 10,000; above 100,000 InvalidParameterException names the
// limit); GetQueryResults returns a completed query's rows in pages of at
// most 10,000 (maxItems 1–10,000) with a nextToken bound to the query. A
// log group in the DELIVERY class (fleet spec logGroupClass) fails
// StartQuery with InvalidParameterException naming the group — the
// simulator's guess, AWS's exact answer is unconfirmed — and
// DescribeLogGroups shows each group's logGroupClass and filters by it.
//
// # Faults
//
// A Fault matches by service, API, account and region, and optionally by
// function or log group: such a fault applies only to the calls naming
// that function (the Lambda per-function APIs, StartQuery over its log
// group), and AccessDenied then names the resource's ARN as a
// resource-level IAM denial does. ParseFault (lambdaudit sim --fault)
// refuses a value that is not of its key's kind, naming the key, the
// value and the valid choices, and suggests the nearest key for an
// unknown one.
//
// # Scale and speed
//
// Nothing is materialised per datapoint: a function's day is derived on
// demand from (spec, seed) and a bounded cache holds recent days. Measured
// on the project's 2-core machine with
//
//	go test -run '^$' -bench 'Serve100k|GetMetricData500' -benchmem -benchtime 20x ./sim/
//
// (2026-11-21):
//
//   - a generated 100,000-function fleet, served and exercised (ListFunctions
//     pages and a 500-query GetMetricData per op through the SDK): 103 MB
//     live heap, 195 MB peak RSS for the whole benchmark process;
//   - one 500-query GetMetricData (7 metrics × 72 functions × 15 daily
//     datapoints) answered in 7.0 ms of CPU when the days are cached (CBOR
//     in and out; 7.2 ms awsJson1.0, 10.2 ms awsQuery XML) and 10.9 ms when
//     every function's days are computed for the call; the fleet model's
//     own share is 3.6 ms.
package sim
