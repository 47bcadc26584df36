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
package sim
