package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultAttemptTimeout is the most one HTTP attempt to Slack or
// Opsgenie may take (both answer within a second when they are well).
const DefaultAttemptTimeout = 10 * time.Second

// DeliveryDeadline is the cause of a channel's context when its
// delivery ran out of time.
type DeliveryDeadline struct {
	// Channel is the channel that ran out of time ("slack", "opsgenie").
	Channel string
	// Timeout is the deadline it was given.
	Timeout time.Duration
}

func (e *DeliveryDeadline) Error() string {
	return fmt.Sprintf("%s: the delivery deadline of %s passed", e.Channel, e.Timeout)
}

// WithDeliveryDeadline is ctx ending after d, with a *DeliveryDeadline
// as its cause.
func WithDeliveryDeadline(ctx context.Context, channel string, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &DeliveryDeadline{Channel: channel, Timeout: d})
}

// DeadlinePassed is the deadline that ended ctx, or nil when ctx has not
// ended or ended for another reason (an interruption).
func DeadlinePassed(ctx context.Context) *DeliveryDeadline {
	var dl *DeliveryDeadline
	if ctx.Err() != nil && errors.As(context.Cause(ctx), &dl) {
		return dl
	}
	return nil
}
