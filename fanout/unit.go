package fanout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidUnit is wrapped by Validate's errors.
var ErrInvalidUnit = errors.New("invalid unit")

// MaxUnitBytes is the largest a unit may be once encoded as JSON: a
// quarter of SQS's 1 MiB message limit, leaving room for message
// attributes, envelopes and growth of the payload formats.
const MaxUnitBytes = 256 << 10

// Unit is one piece of work: one handler call covering Items in one
// account and region. It travels as JSON (an SQS message body).
type Unit struct {
	// ID identifies the unit deterministically (NewUnit derives it from
	// the rest); retries keep it.
	ID      string `json:"id"`
	Account string `json:"account"`
	Region  string `json:"region"`
	// Kind tells the handler what to do, e.g. "metrics" or "logs";
	// fanout does not interpret it.
	Kind string `json:"kind"`
	// Items are what the unit covers (function IDs) for the coverage
	// ledger. An item may appear in several units.
	Items []string `json:"items"`
	// Body is the handler's payload.
	Body json.RawMessage `json:"body,omitempty"`
	// Attempt counts the earlier attempts: 0 on the first delivery.
	Attempt int `json:"attempt"`
}

// NewUnit builds a valid unit whose ID is derived from its kind, account,
// region, items and body, so the same work always gets the same ID. body
// is encoded as JSON; nil means no body.
func NewUnit(account, region, kind string, items []string, body any) (Unit, error) {
	u := Unit{Account: account, Region: region, Kind: kind, Items: items}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Unit{}, fmt.Errorf("fanout: unit %s/%s/%s: encode body: %w", kind, account, region, err)
		}
		u.Body = b
	}
	h := sha256.New()
	for _, s := range items {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(u.Body)
	u.ID = kind + "/" + account + "/" + region + "/" + hex.EncodeToString(h.Sum(nil)[:8])
	if err := u.Validate(); err != nil {
		return Unit{}, err
	}
	return u, nil
}

// Validate reports what is wrong with a unit: an empty ID, Kind, Account
// or Region, a negative Attempt, a Body that is not JSON, or an encoding
// larger than MaxUnitBytes.
func (u Unit) Validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{{"id", u.ID}, {"kind", u.Kind}, {"account", u.Account}, {"region", u.Region}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("empty %s", strings.Join(missing, ", ")))
	}
	if u.Attempt < 0 {
		errs = append(errs, fmt.Errorf("negative attempt %d", u.Attempt))
	}
	if len(u.Body) > 0 && !json.Valid(u.Body) {
		errs = append(errs, errors.New("body is not valid JSON"))
	} else if b, err := json.Marshal(u); err != nil {
		errs = append(errs, fmt.Errorf("encode: %v", err))
	} else if len(b) > MaxUnitBytes {
		errs = append(errs, fmt.Errorf("encoded size %d bytes exceeds the %d-byte limit (%d items, body %d bytes)", len(b), MaxUnitBytes, len(u.Items), len(u.Body)))
	}
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("fanout: unit %q: %w: %s", u.ID, ErrInvalidUnit, strings.Join(msgs, "; "))
}
