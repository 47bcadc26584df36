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

// deliveryDeadline is the cause of a channel's context when its
// delivery ran out of time.
type deliveryDeadline struct {
	channel string
	d       time.Duration
}

func (e *deliveryDeadline) Error() string {
	return fmt.Sprintf("%s: the delivery deadline of %s passed", e.channel, e.d)
}

// withDeliveryDeadline is ctx ending after d, with a *deliveryDeadline
// as its cause.
func withDeliveryDeadline(ctx context.Context, channel string, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &deliveryDeadline{channel: channel, d: d})
}

// deadlinePassed is the deadline that ended ctx, or nil when ctx has not
// ended or ended for another reason (an interruption).
func deadlinePassed(ctx context.Context) *deliveryDeadline {
	var dl *deliveryDeadline
	if ctx.Err() != nil && errors.As(context.Cause(ctx), &dl) {
		return dl
	}
	return nil
}
