// Package sim owns the simulated AWS account that lambdaudit's demo, tests
// and benchmarks run against: one HTTP endpoint that speaks the wire
// protocols of the current aws-sdk-go-v2 clients (Lambda restJson1,
// CloudWatch Smithy RPC v2 CBOR plus awsJson1.0 and awsQuery, CloudWatch
// Logs awsJson1.1, STS awsQuery, Resource Groups Tagging awsJson1.1) for
// a deterministic fleet (package sim/fleet), under AWS's quotas, with
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
package sim
