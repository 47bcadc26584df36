// Package fanout owns throttle-safe execution of a scan's work: units of
// work sized to the AWS API limits (Unit, Pack, Packer), the queue they
// travel on (Queue, with the in-memory Memory; an SQS queue fits the same
// interface), the bounded worker pool that runs them with retries (Pool),
// the coverage ledger that accounts for every item sent — done, or failed
// with a reason (Ledger) — and the adaptive rate limiters per (account,
// region, API bucket) that keep the calls under AWS's quotas (Limiter,
// Limiters and their SDK middleware).
//
// fanout must not know what a metric, a log query or a Lambda function is:
// a Unit's Kind and Body are opaque to it, its Items are plain strings the
// caller chose (function IDs), and a Handler supplied by the caller does
// the work. Deciding which calls a unit makes, and what their answers
// mean, belongs to the metrics package.
//
// # Delivery and coverage
//
// Submit records a unit in the Ledger and sends it on the Queue; workers
// receive it, validate it and run the Handler. A handler error retries the
// unit as a whole (Attempt+1, exponential back-off with jitter, sent back
// on the queue with a delay) up to Config.MaxAttempts; Permanent(err), an
// AWS error no retry can fix (awserr.Class.Retryable: access denied, bad
// credentials, not found, a bad request), an invalid unit, an unknown Kind (Mux) or a handler panic fail it at once;
// ItemErrors is a partial success (the unit done, some of its items
// failed). Either way every item of the unit ends done or failed with the
// reason: nothing is dropped. Delivery is at least once (like SQS), so the Ledger
// is idempotent per unit ID.
//
// # Rate limits
//
// Limiters holds one Limiter per (account, region, bucket), the bucket
// chosen from a Quotas table by the SDK's service ID and operation name.
// A Limiter runs at Fraction × quota and adapts by AIMD: a throttle
// halves it (at most once per CutInterval), and after CutInterval each
// success raises it by a step until the ceiling. Limiters.Middleware puts
// the limiter into an aws-sdk-go-v2 client after the retry middleware, so
// every attempt, retries included, waits for a token and every throttled
// attempt is seen.
package fanout
