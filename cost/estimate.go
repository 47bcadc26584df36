package cost

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ErrInput is returned (wrapped) for impossible input: negative counts,
// memory 0, a provisioned share outside 0..1.
var ErrInput = errors.New("impossible input")

// Lambda's configuration limits (MB).
const (
	MinMemoryMB    = 128
	MaxMemoryMB    = 10240
	FreeEphemeral  = 512 // MB of /tmp included in the price
	MaxEphemeralMB = 10240
)

// InitBillingStart is the first day on which AWS bills the INIT phase of
// on-demand ZIP functions on managed runtimes (AWS-FACTS.md).
var InitBillingStart = time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)

// InitBilled reports whether a cold start's Init Duration is billed on
// day: always for container images (packageType Image), custom runtimes
// (provided.*) and provisioned concurrency; for on-demand ZIP functions
// on managed runtimes from InitBillingStart on.
func InitBilled(runtime, packageType string, day time.Time, provisioned bool) bool {
	switch {
	case packageType == "Image", strings.HasPrefix(runtime, "provided"), provisioned:
		return true
	}
	return !day.Before(InitBillingStart)
}

// Usage are the billed quantities of one workload: a function's day in
// Model, or a month of the calculator.
type Usage struct {
	Architecture string `json:"architecture"`
	MemoryMB     int    `json:"memoryMB"`
	// EphemeralMB is /tmp's size; 0 means Lambda's default 512.
	EphemeralMB int `json:"ephemeralMB"`
	// Requests is the number of invocations.
	Requests float64 `json:"requests"`
	// DurationMs is the billed duration of the invocations without INIT,
	// in ms (each invocation rounded up to 1 ms); InitMs the billed INIT
	// duration, ms.
	DurationMs float64 `json:"durationMs"`
	InitMs     float64 `json:"initMs"`
	// ProvisionedShare is the share of the invocations (and of their
	// duration) served by provisioned concurrency, 0..1.
	ProvisionedShare float64 `json:"provisionedShare,omitempty"`
	// ProvisionedConcurrency is the allocated provisioned concurrency and
	// ProvisionedSeconds how long it was enabled.
	ProvisionedConcurrency int     `json:"provisionedConcurrency,omitempty"`
	ProvisionedSeconds     float64 `json:"provisionedSeconds,omitempty"`

	// Source is where Model took the duration from: "logs" (the REPORT
	// lines' Billed Duration) or "metrics" (Duration Sum plus half a
	// millisecond per invocation, the expected round-up to 1 ms).
	Source string `json:"source,omitempty"`
	// InitUnknown: INIT is billed for the function that day but the scan
	// has no init duration for it (no logs, no LambdaInsights), so InitMs
	// is 0 and the cost is a lower bound.
	InitUnknown bool `json:"initUnknown,omitempty"`
	// MemoryAssumed: the function's configuration changed on or after
	// this day (LastModified), so MemoryMB, the current setting, may not be
	// the day's.
	MemoryAssumed bool `json:"memoryAssumed,omitempty"`
}

// GBSeconds is the billed compute, duration and INIT together:
// (DurationMs + InitMs) / 1000 × MemoryMB / 1024.
func (u Usage) GBSeconds() float64 {
	return (u.DurationMs + u.InitMs) / 1000 * float64(u.MemoryMB) / 1024
}

// ephemeralGBSeconds is the configured /tmp above 512 MB times the billed
// duration.
func (u Usage) ephemeralGBSeconds() float64 {
	if u.EphemeralMB <= FreeEphemeral {
		return 0
	}
	return float64(u.EphemeralMB-FreeEphemeral) / 1024 * (u.DurationMs + u.InitMs) / 1000
}

// provisionedGBSeconds is the allocated provisioned concurrency while
// enabled.
func (u Usage) provisionedGBSeconds() float64 {
	return float64(u.ProvisionedConcurrency) * float64(u.MemoryMB) / 1024 * u.ProvisionedSeconds
}

// Validate refuses impossible usage, naming the field.
func (u Usage) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInput}, a...)...)
	}
	nonneg := map[string]float64{"requests": u.Requests, "duration": u.DurationMs, "init duration": u.InitMs,
		"provisioned seconds": u.ProvisionedSeconds}
	for _, n := range []string{"requests", "duration", "init duration", "provisioned seconds"} {
		if v := nonneg[n]; v < 0 || !finite(v) {
			return bad("%s %v is negative or not a number", n, v)
		}
	}
	switch {
	case u.MemoryMB <= 0:
		return bad("memory %d MB: a function has at least %d MB", u.MemoryMB, MinMemoryMB)
	case u.MemoryMB > MaxMemoryMB:
		return bad("memory %d MB is above Lambda's %d MB", u.MemoryMB, MaxMemoryMB)
	case u.EphemeralMB < 0 || u.EphemeralMB > MaxEphemeralMB:
		return bad("ephemeral storage %d MB is outside 512..%d MB", u.EphemeralMB, MaxEphemeralMB)
	case u.ProvisionedShare < 0 || u.ProvisionedShare > 1 || !finite(u.ProvisionedShare):
		return bad("provisioned share %v is outside 0..1", u.ProvisionedShare)
	case u.ProvisionedConcurrency < 0:
		return bad("provisioned concurrency %d is negative", u.ProvisionedConcurrency)
	}
	return nil
}

// tierCost prices the GB-s between from and to of a month's running total
// across the tiers.
func tierCost(tiers []Tier, from, to float64) float64 {
	var cost, lo float64
	for _, t := range tiers {
		hi := math.Inf(1)
		if t.UpToGBSeconds > 0 {
			hi = float64(t.UpToGBSeconds)
		}
		if a, b := math.Max(from, lo), math.Min(to, hi); b > a {
			cost += (b - a) * float64(t.PerGBSecond)
		}
		lo = hi
	}
	return cost
}

// RateAt is the marginal on-demand duration price per GB-s once a month
// has used monthGBs of the account's region-architecture volume.
func (p Prices) RateAt(monthGBs float64) float64 {
	for _, t := range p.Duration {
		if t.UpToGBSeconds == 0 || monthGBs < float64(t.UpToGBSeconds) {
			return float64(t.PerGBSecond)
		}
	}
	return float64(p.Duration[len(p.Duration)-1].PerGBSecond)
}

// Estimate prices a month of one workload on its own (the account's month
// holds nothing else, so the duration tiers start at 0), with the free
// tier when free is not nil. The free tier does not apply to a workload
// with provisioned concurrency (AWS: not to functions that have it
// enabled).
//
// Free GB-s are credited at the blended tier rate of the GB-s they cover,
// as in Model: AWS's own examples subtract 400,000 GB-s from the month
// and price the rest at the first tier.
func (p Prices) Estimate(u Usage, free *FreeTier) (Breakdown, error) {
	if err := u.Validate(); err != nil {
		return Breakdown{}, err
	}
	if free != nil && u.ProvisionedConcurrency > 0 {
		free = nil
	}
	var b Breakdown
	req := u.Requests
	if free != nil {
		req = math.Max(0, req-free.Requests)
	}
	b.Requests = req * float64(p.PerRequest)

	gbs := u.GBSeconds()
	onDemand := gbs * (1 - u.ProvisionedShare)
	if onDemand > 0 {
		cost := tierCost(p.Duration, 0, onDemand)
		if free != nil {
			cost *= math.Max(0, onDemand-free.GBSeconds) / onDemand
		}
		b.Duration, b.Init = splitInit(cost, u)
	}
	b.Ephemeral = u.ephemeralGBSeconds() * float64(p.EphemeralPerGBSecond)
	b.ProvisionedIdle = u.provisionedGBSeconds() * float64(p.ProvisionedPerGBSecond)
	b.ProvisionedDuration = gbs * u.ProvisionedShare * float64(p.ProvisionedDurationPerGBSecond)
	b.sum()
	return b, nil
}

// splitInit divides a duration cost between the invocations' duration and
// their INIT in proportion to the billed milliseconds.
func splitInit(cost float64, u Usage) (duration, init float64) {
	ms := u.DurationMs + u.InitMs
	if ms == 0 {
		return 0, 0
	}
	init = cost * u.InitMs / ms
	return cost - init, init
}
