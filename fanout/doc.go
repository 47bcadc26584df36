// Package fanout owns throttle-safe execution of a scan's work: units of
// work sized to the AWS API limits (Unit, Pack, Packer), the queue they
// travel on (Queue: the in-memory Memory, SQS, and SQSBatch over a
// Lambda SQS event), the bounded worker pool that runs them with retries (Pool),
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
// # SQS
//
// SQS is the Queue on Amazon SQS for the Lambda deployment: Send packs
// units into SendMessageBatch calls of at most 10 messages and 1 MiB
// (SQS's limits since 2025; 256 KiB before), retries the entries SQS
// failed on its side and names in a *SendError every unit it could not
// send; Receive long-polls ReceiveMessage; Ack is DeleteMessage. Delays
// are DelaySeconds, rounded up to seconds and clamped to 15 minutes. On
// a FIFO queue the message group is the unit's account/region/kind, so SQS
// gives a pair's units of one kind to one worker at a time and, the
// kinds calling disjoint APIs, that worker may use the pair's whole quota
// fraction of its APIs; FIFO queues refuse per-message
// delays, so a retry's delay travels in a message attribute and the
// receiver hides an early message with ChangeMessageVisibility. A body
// that is not a valid unit is never returned nor acked: it is logged
// with its message ID (a *BadMessageError) and left to the queue's
// redrive policy, which moves it to the dead-letter queue after
// maxReceiveCount receives; a unit delivered again because a worker died
// is logged by ID on each redelivery and ends there too. SQSBatch is the
// same contract over one Lambda SQS event (no polling): its Response
// lists the records not acked as batch item failures.
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
