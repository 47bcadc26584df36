package lambdahost

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// The host's own unit kinds, beside the scanner's: the second plan step
// and the report, sent on the queue when a worker sees their time come,
// so each runs in an invocation of its own with its whole time budget.
const (
	KindLogsPlan = "logs-plan"
	KindReport   = "report"
)

// hostBody is the body of a host unit.
type hostBody struct {
	Scan string `json:"scan"`
}

// scanOf is the scan a unit belongs to ("" when its body names none).
func scanOf(u fanout.Unit) string {
	var b hostBody
	_ = json.Unmarshal(u.Body, &b)
	return b.Scan
}

// hostUnit is a host unit of scan: group "lambdaudit/<scan>" on a FIFO
// queue, away from every account-region's group.
func hostUnit(kind, scan string) (fanout.Unit, error) {
	return fanout.NewUnit("lambdaudit", scan, kind, nil, hostBody{Scan: scan})
}

// Work is the work handler: it runs the event's units — inventory units
// listing their account-region and enqueueing its metrics units, metrics
// and logs units writing their outcomes, the logs plan and the report —
// with a pool whose retries go back on the queue (delayed) and whose
// units failed for good are recorded as outcomes. It stops taking units
// SafetyMargin before its deadline: every record not finished is in the
// response's BatchItemFailures, so SQS delivers it again (and to the
// dead-letter queue after maxReceiveCount). On a FIFO queue only the
// records not finished are listed, not every record after the first of
// them as AWS advises for ordered work: a scan's units are independent
// and their outcomes idempotent, so their order does not matter and the
// finished ones need not run again. Then, for each scan it
// served, it reads the scan's progress and, the one worker that claims
// it, enqueues the logs plan or the report when their time has come.
func (h *Host) Work(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	inv := h.begin(ctx, HandlerWork)
	wctx, cancel := h.withMargin(ctx)
	defer cancel()
	batch, err := fanout.NewSQSBatch(ev, h.queue, h.logger)
	if err != nil {
		// Records of another queue: none is taken, all come back.
		h.logger.ErrorContext(ctx, "batch refused", "err", err)
		resp := events.SQSEventResponse{}
		for _, r := range ev.Records {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
		return resp, nil
	}
	var mu sync.Mutex
	scans := map[string]bool{}
	handle := func(ctx context.Context, u fanout.Unit) error {
		scan := scanOf(u)
		if scan == "" {
			return fanout.Permanent(fmt.Errorf("unit %s names no scan", u.ID))
		}
		mu.Lock()
		scans[scan] = true
		mu.Unlock()
		switch u.Kind {
		case KindLogsPlan:
			return h.planLogs(ctx, scan)
		case KindReport:
			return h.report(ctx, scan, false)
		}
		s, err := h.scanner(ctx, scan)
		if err != nil {
			return err
		}
		return s.Work(ctx, h.st, u, func(ctx context.Context, units ...fanout.Unit) error {
			return h.queue.Send(ctx, 0, units...)
		})
	}
	onFailure := func(ctx context.Context, u fanout.Unit, err error) error {
		h.logger.WarnContext(ctx, "unit failed for good", "unit", u.ID, "attempt", u.Attempt+1, "err", err)
		scan := scanOf(u)
		if scan == "" {
			return nil
		}
		s, serr := h.scanner(ctx, scan)
		if serr == nil {
			serr = s.RecordFailure(ctx, h.st, u, err)
		}
		if serr != nil {
			// Not acked: SQS delivers it again, and to the dead-letter
			// queue after maxReceiveCount, rather than the unit vanishing.
			h.logger.ErrorContext(ctx, "unit failure not recorded; handed back", "unit", u.ID, "err", serr)
			return serr
		}
		return nil
	}
	// The batch's units run Settings.Workers at a time (the scanner's
	// default, 4, when unset), paced by the pair's limiters.
	set := h.c.Scan.Scanner
	workers := set.Workers
	if workers <= 0 {
		workers = 4
	}
	pool, err := fanout.NewPool(batch, handle, fanout.NewLedger(), fanout.Config{Workers: workers, MaxAttempts: set.MaxAttempts, OnFailure: onFailure})
	if err != nil {
		return events.SQSEventResponse{}, err
	}
	if err := pool.Run(wctx); err != nil && wctx.Err() == nil {
		h.logger.ErrorContext(ctx, "work pool", "err", err)
	}
	if wctx.Err() != nil && ctx.Err() == nil {
		h.logger.WarnContext(ctx, "stopped before the deadline; unfinished units handed back", "margin", h.c.SafetyMargin.String())
	}
	served := make([]string, 0, len(scans))
	for s := range scans {
		served = append(served, s)
	}
	sort.Strings(served)
	for _, scan := range served {
		if err := h.advance(wctx, scan); err != nil {
			// Another worker's advance, or the deadline handler, will do
			// it: the step is claimed only once it is taken.
			h.logger.WarnContext(ctx, "scan progress not advanced", "scan", scan, "err", err)
		}
	}
	if len(served) > 0 {
		h.end(ctx, inv, served[0])
	}
	return batch.Response(), nil
}

// advance reads a scan's progress and enqueues its next step when due:
// the logs plan once every metrics outcome is in, the report once every
// outcome is. A claim in the store makes each happen once however many
// workers see it due.
func (h *Host) advance(ctx context.Context, scan string) error {
	m, err := h.manifest(ctx, scan)
	if err != nil {
		return err
	}
	st, err := scanner.ReadStatus(ctx, h.st, m)
	if err != nil {
		return err
	}
	next := ""
	switch {
	case st.Complete():
		next = KindReport
	case st.MetricsComplete() && m.Settings.Logs && !st.LogsPlanned:
		next = KindLogsPlan
	default:
		return nil
	}
	won, err := h.claim(ctx, scan, "enqueued-"+next, map[string]any{"at": h.now().UTC()})
	if err != nil || !won {
		return err
	}
	u, err := hostUnit(next, scan)
	if err != nil {
		return err
	}
	h.logger.InfoContext(ctx, "scan step enqueued", "scan", scan, "step", next,
		"metrics", st.MetricsDone, "logs", st.LogsDone)
	return h.queue.Send(ctx, 0, u)
}

// planLogs runs the scan's second plan step and enqueues the logs units.
func (h *Host) planLogs(ctx context.Context, scan string) error {
	s, err := h.scanner(ctx, scan)
	if err != nil {
		return err
	}
	m, err := h.manifest(ctx, scan)
	if err != nil {
		return err
	}
	units, err := s.PlanLogs(ctx, h.st, m)
	if err != nil {
		return err
	}
	if len(units) == 0 {
		return nil
	}
	return h.queue.Send(ctx, 0, units...)
}
