package lambdahost

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdaudit/lambdaudit/scanner"
)

// Event is what a schedule sends the plan and report functions (the
// schedule's Input): {"kind":"plan","scheduledTime":"<aws.scheduler.scheduled-time>"},
// {"kind":"deadline"}, or {"kind":"report","scan":"<scan ID>"} to report
// one scan by hand. Every field may be absent.
type Event struct {
	Kind string `json:"kind,omitempty"`
	// ScheduledTime is the schedule's time (RFC 3339): the scan's
	// start, so a retried invocation plans the same scan (same ID, same
	// units) instead of a second one.
	ScheduledTime string `json:"scheduledTime,omitempty"`
	Scan          string `json:"scan,omitempty"`
}

// PlanResult is the plan handler's answer.
type PlanResult struct {
	Scan    string `json:"scan"`
	Targets int    `json:"targets"`
	Units   int    `json:"units"`
}

// indexKey lists the scans planned, for the deadline handler.
func indexKey(scan string) string { return "index/" + scan }

// Plan is the plan handler: it resolves the scope once (accounts ×
// regions, Organizations included), writes the manifest to the store
// and enqueues one inventory unit per account-region. A retried
// invocation for the same scheduled time plans the same scan: the
// manifest is rewritten identically and the units, content-addressed,
// are deduplicated by the FIFO queue or overwrite their own outcomes.
func (h *Host) Plan(ctx context.Context, ev Event) (PlanResult, error) {
	inv := h.begin(ctx, HandlerPlan)
	started := h.now()
	if ev.ScheduledTime != "" {
		t, err := time.Parse(time.RFC3339, ev.ScheduledTime)
		if err != nil {
			return PlanResult{}, fmt.Errorf("plan: scheduledTime %q: want RFC 3339, e.g. 2026-12-07T06:00:00Z", ev.ScheduledTime)
		}
		started = t
	}
	s, err := scanner.NewFromConfig(h.base, h.c.Scan.Scanner, scanner.WithClock(func() time.Time { return started }),
		scanner.WithLogger(h.logger), scanner.WithMeter(h.calls))
	if err != nil {
		return PlanResult{}, fmt.Errorf("plan: %w", err)
	}
	m, units, err := s.Plan(ctx, h.st)
	if err != nil {
		return PlanResult{}, fmt.Errorf("plan: %w", err)
	}
	defer h.end(ctx, inv, m.ID)
	if err := h.st.Put(ctx, indexKey(m.ID), nil); err != nil {
		return PlanResult{}, fmt.Errorf("plan %s: %w", m.ID, err)
	}
	if err := h.queue.Send(ctx, 0, units...); err != nil {
		return PlanResult{}, fmt.Errorf("plan %s: enqueue %d inventory units: %w", m.ID, len(units), err)
	}
	h.logger.InfoContext(ctx, "scan planned", "scan", m.ID, "targets", len(m.Targets), "units", len(units),
		"accounts", len(m.Scope.Accounts), "regions", len(m.Scope.Regions))
	return PlanResult{Scan: m.ID, Targets: len(m.Targets), Units: len(units)}, nil
}
