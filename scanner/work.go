package scanner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/store"
)

// Emit hands the units a unit produced to the host (the in-process pool,
// an SQS queue). An error fails the units not taken: Work records them
// failed in the store rather than dropping them.
type Emit func(ctx context.Context, units ...fanout.Unit) error

// Work runs one unit of a scan and writes its outcome to st under the
// unit's ID (overwriting the outcome of an earlier delivery of the same
// unit; a listing cut short, like a failure RecordFailure writes, never
// replaces one). An inventory unit emits the scan's metrics units as its listing
// fills them; metrics and logs units emit nothing (emit may be nil).
//
// Failures of the AWS calls are part of the outcome: a denied listing is
// an inventory outcome whose target failed, with its cause. Work returns
// an error when the unit should be tried again (a metrics or logs call
// that failed: the host's pool retries it and, after the last attempt,
// records it with RecordFailure), when the unit is not one of a scan
// (fanout.Permanent), when the outcome could not be written, or when ctx
// ended before the unit finished (no outcome is written then: the
// assembly names the unit "interrupted").
func (s *Scanner) Work(ctx context.Context, st store.Store, u fanout.Unit, emit Emit) error {
	switch u.Kind {
	case KindInventory:
		var b inventoryBody
		if err := json.Unmarshal(u.Body, &b); err != nil || b.Scan == "" {
			return fanout.Permanent(fmt.Errorf("inventory unit %s: bad body: %v", u.ID, errOr(err, "no scan")))
		}
		return s.workInventory(ctx, st, u, b, emit)
	case KindMetrics:
		var b metricsBody
		if err := json.Unmarshal(u.Body, &b); err != nil || b.Scan == "" {
			return fanout.Permanent(fmt.Errorf("metrics unit %s: bad body: %v", u.ID, errOr(err, "no scan")))
		}
		return s.workMetrics(ctx, st, u, b)
	case KindLogs:
		var b logsBody
		if err := json.Unmarshal(u.Body, &b); err != nil || b.Scan == "" {
			return fanout.Permanent(fmt.Errorf("logs unit %s: bad body: %v", u.ID, errOr(err, "no scan")))
		}
		return s.workLogs(ctx, st, u, b)
	}
	return fanout.Permanent(fmt.Errorf("unit %s: %w %q (want %s, %s or %s)", u.ID, fanout.ErrUnknownKind, u.Kind, KindInventory, KindMetrics, KindLogs))
}

func errOr(err error, s string) error {
	if err != nil {
		return err
	}
	return errors.New(s)
}

// RecordFailure writes the outcome of a metrics or logs unit that failed
// for good (its last attempt, or an error no retry can fix): every item
// of the unit fails with err normalised. A host calls it from its pool's
// fanout.Config.OnFailure, so that a failed unit is an outcome, not a
// gap. Units of other kinds, or whose body names no scan, have nothing
// to record.
//
// The failure never replaces an outcome already in the store: queues
// deliver at least once, and a unit whose earlier delivery wrote its
// outcome (its acknowledgement lost, its visibility timed out) may come
// again and fail this time; what the first delivery fetched is kept.
func (s *Scanner) RecordFailure(ctx context.Context, st store.Store, u fanout.Unit, err error) error {
	s.progress.failedUnits.Add(1)
	var head struct {
		Scan string `json:"scan"`
	}
	if json.Unmarshal(u.Body, &head) != nil || head.Scan == "" {
		return nil
	}
	var o any
	switch u.Kind {
	case KindMetrics:
		fl := failureOf(StageMetrics, err)
		o = metricsOutcome{Unit: u.ID, Items: u.Items, Failure: &fl}
	case KindLogs:
		fl := failureOf(StageLogs, err)
		o = logsOutcome{Unit: u.ID, Items: u.Items, Failure: &fl}
	default:
		return nil
	}
	if err := createJSON(ctx, st, outcomeKey(head.Scan, u.ID), o); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	return nil
}

// clients are a pair's SDK clients, made once per pair and process.
type clients struct {
	cw   *cloudwatch.Client
	logs *cloudwatchlogs.Client
}

func (s *Scanner) clients(ctx context.Context, p Pair) (*clients, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.pairClients[p]; c != nil {
		return c, nil
	}
	cfg, err := s.sessions.Config(ctx, p)
	if err != nil {
		return nil, err
	}
	c := &clients{cw: cloudwatch.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}
	s.pairClients[p] = c
	return c, nil
}

func (s *Scanner) workMetrics(ctx context.Context, st store.Store, u fanout.Unit, b metricsBody) error {
	c, err := s.clients(ctx, Pair{Account: u.Account, Region: u.Region})
	if err != nil {
		return err
	}
	s.meter.AddMetrics(len(b.Batch.Queries))
	r, err := metrics.Fetch(ctx, c.cw, b.Batch)
	if err != nil {
		return err
	}
	if err := putJSON(ctx, st, outcomeKey(b.Scan, u.ID), metricsOutcome{Unit: u.ID, Items: u.Items, Result: r}); err != nil {
		return fanout.Permanent(fmt.Errorf("metrics unit %s: %w", u.ID, err))
	}
	s.progress.units.Add(1)
	return nil
}

func (s *Scanner) workLogs(ctx context.Context, st store.Store, u fanout.Unit, b logsBody) error {
	c, err := s.clients(ctx, Pair{Account: u.Account, Region: u.Region})
	if err != nil {
		return err
	}
	r, err := s.logsRunner.Run(ctx, c.logs, b.Batch)
	if err != nil {
		return err
	}
	if err := putJSON(ctx, st, outcomeKey(b.Scan, u.ID), logsOutcome{Unit: u.ID, Items: u.Items, Result: r}); err != nil {
		return fanout.Permanent(fmt.Errorf("logs unit %s: %w", u.ID, err))
	}
	s.progress.units.Add(1)
	return nil
}

// failTarget marks the outcome's target failed with err, in full (Error)
// and normalised (Cause).
func (o *inventoryOutcome) failTarget(ctx context.Context, err error, prefix string) {
	code, api := normalise(err)
	if ctx.Err() != nil {
		code = CodeInterrupted
	}
	o.Target.Status = StatusFailed
	o.Target.Error = prefix + detail(err)
	o.Target.Cause = &Cause{Code: code, API: api, Account: o.Target.Account, Region: o.Target.Region}
}
