package fanout

import (
	"fmt"
	"sort"
	"sync"
)

// Ledger accounts for every unit sent and every item they cover: pending,
// done, or failed with a reason. An item covered by several units (its
// metrics and its logs, or queries split over two calls) is done when all
// of them are done and failed as soon as one has failed. It is safe for
// concurrent use and idempotent per unit ID, as at-least-once delivery
// needs: a unit that succeeds after a duplicate failed counts done, and a
// failure after success is ignored.
type Ledger struct {
	mu      sync.Mutex
	units   map[string]*unitRecord
	items   map[string]*itemRecord
	invalid int
}

type unitState int

const (
	statePending unitState = iota
	stateDone
	stateFailed
)

type unitRecord struct {
	kind, account, region string
	items                 []string
	state                 unitState
	reason                string
	attempts              int
	// itemFailures are the items a done unit could not cover, with the
	// reasons (DoneExcept).
	itemFailures map[string]string
}

// itemState is what the unit says about one of its items.
func (r *unitRecord) itemState(item string) unitState {
	if r.state == stateDone && r.itemFailures[item] != "" {
		return stateFailed
	}
	return r.state
}

// itemRecord counts the units covering an item, by state.
type itemRecord struct{ units, done, failed int }

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{units: map[string]*unitRecord{}, items: map[string]*itemRecord{}}
}

// Sent records a unit as sent and pending. Sending an ID twice is an
// error: unit IDs must be unique within a scan.
func (l *Ledger) Sent(u Unit) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := l.key(u)
	if _, ok := l.units[key]; ok {
		return fmt.Errorf("fanout: ledger: unit %q sent twice", u.ID)
	}
	l.add(key, u, statePending)
	return nil
}

// Done records a unit's success.
func (l *Ledger) Done(u Unit) { l.DoneExcept(u, nil) }

// DoneExcept records a unit's success except for the failed items, which
// are recorded failed with their reasons (a call that succeeded with some
// of its queries denied). Keys that are not items of the unit, and empty
// reasons, are ignored.
func (l *Ledger) DoneExcept(u Unit, failed map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := l.key(u)
	r := l.units[key]
	if r == nil {
		r = l.add(key, u, statePending)
	} else if r.state == stateDone {
		return
	}
	var f map[string]string
	for _, it := range r.items {
		if reason := failed[it]; reason != "" {
			if f == nil {
				f = map[string]string{}
			}
			f[it] = reason
		}
	}
	l.move(r, stateDone, f)
	r.reason, r.attempts = "", u.Attempt+1
}

// Failed records a unit's failure after attempts attempts (0 when it was
// never attempted, e.g. invalid).
func (l *Ledger) Failed(u Unit, reason string, attempts int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := l.key(u)
	r := l.units[key]
	if r == nil {
		r = l.add(key, u, stateFailed)
	} else if r.state != statePending {
		return
	} else {
		l.move(r, stateFailed, nil)
	}
	r.reason, r.attempts = reason, attempts
}

// FailPending records every pending unit failed with reason, for a scan
// that stops before its work is done.
func (l *Ledger) FailPending(reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.units {
		if r.state == statePending {
			l.move(r, stateFailed, nil)
			r.reason = reason
		}
	}
}

// key is the unit's ID, or a fresh name for a unit without one so that
// even a malformed unit is accounted for.
func (l *Ledger) key(u Unit) string {
	if u.ID != "" {
		return u.ID
	}
	l.invalid++
	return fmt.Sprintf("(no id #%d)", l.invalid)
}

func (l *Ledger) add(key string, u Unit, s unitState) *unitRecord {
	r := &unitRecord{kind: u.Kind, account: u.Account, region: u.Region, items: append([]string(nil), u.Items...), state: s}
	l.units[key] = r
	for _, it := range r.items {
		ir := l.items[it]
		if ir == nil {
			ir = &itemRecord{}
			l.items[it] = ir
		}
		ir.units++
		ir.count(s, 1)
	}
	return r
}

// move changes a unit's state, and the counts of its items with it.
func (l *Ledger) move(r *unitRecord, to unitState, itemFailures map[string]string) {
	for _, it := range r.items {
		l.items[it].count(r.itemState(it), -1)
	}
	r.state, r.itemFailures = to, itemFailures
	for _, it := range r.items {
		l.items[it].count(r.itemState(it), 1)
	}
}

func (ir *itemRecord) count(s unitState, d int) {
	switch s {
	case stateDone:
		ir.done += d
	case stateFailed:
		ir.failed += d
	}
}

// Counts are the totals of one kind of thing in a Coverage.
type Counts struct {
	Total   int `json:"total"`
	Done    int `json:"done"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
}

// Failure is one failed item of a unit: of a failed unit, or one a done
// unit could not cover (DoneExcept). A failed unit without items has one
// Failure with an empty Item.
type Failure struct {
	Item     string `json:"item"`
	Unit     string `json:"unit"`
	Kind     string `json:"kind"`
	Account  string `json:"account"`
	Region   string `json:"region"`
	Reason   string `json:"reason"`
	Attempts int    `json:"attempts"`
}

// Coverage is a ledger's state at one moment.
type Coverage struct {
	Units Counts `json:"units"`
	// Items counts distinct items: failed if any unit covering it failed
	// (or left it out), done if all covered it, else pending.
	Items Counts `json:"items"`
	// Failures are sorted by item, then unit.
	Failures []Failure `json:"failures"`
}

// Snapshot returns the counts and the failures.
func (l *Ledger) Snapshot() Coverage {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := Coverage{Failures: []Failure{}}
	for id, r := range l.units {
		c.Units.Total++
		switch r.state {
		case stateDone:
			c.Units.Done++
			for it, reason := range r.itemFailures {
				c.Failures = append(c.Failures, Failure{Item: it, Unit: id, Kind: r.kind, Account: r.account, Region: r.region, Reason: reason, Attempts: r.attempts})
			}
		case stateFailed:
			c.Units.Failed++
			f := Failure{Unit: id, Kind: r.kind, Account: r.account, Region: r.region, Reason: r.reason, Attempts: r.attempts}
			if len(r.items) == 0 {
				c.Failures = append(c.Failures, f)
			}
			for _, it := range r.items {
				f.Item = it
				c.Failures = append(c.Failures, f)
			}
		default:
			c.Units.Pending++
		}
	}
	for _, ir := range l.items {
		c.Items.Total++
		switch {
		case ir.failed > 0:
			c.Items.Failed++
		case ir.done == ir.units:
			c.Items.Done++
		default:
			c.Items.Pending++
		}
	}
	sort.Slice(c.Failures, func(i, j int) bool {
		a, b := c.Failures[i], c.Failures[j]
		if a.Item != b.Item {
			return a.Item < b.Item
		}
		return a.Unit < b.Unit
	})
	return c
}
