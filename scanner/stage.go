package scanner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/store"
)

// A scan runs in three stages, each with explicit inputs and outputs, so
// that one process (the CLI, the demo) or many (a scheduled Lambda
// fanning workers out over SQS) can host it:
//
//   - Plan (Scanner.Plan): the targets → a Manifest (scope, window,
//     settings, one inventory unit per account-region), written to the
//     store, and the inventory units to run.
//   - Work (Scanner.Work): one unit → its outcome, written to the store
//     under the unit's ID. An inventory unit lists its account-region and
//     emits the GetMetricData units as listing pages fill them; a metrics
//     unit fetches its batch; a logs unit runs its Logs Insights query.
//     Unit IDs derive from the unit's content (fanout.NewUnit), so a
//     redelivered unit overwrites its own outcome and never doubles it;
//     a redelivery that fails (a denied or interrupted listing, a unit
//     failed for good) keeps the outcome an earlier delivery wrote.
//   - Assemble (Assemble): the manifest and the outcomes → the scan
//     result, streamed function by function; a unit with no outcome fails
//     its functions with "no outcome for unit …" (or "interrupted").
//
// The Logs Insights stage depends on the metrics: its budget is spent on
// the busiest log groups first, by the IncomingBytes estimates the
// metrics units fetch, over the whole scan. That dependency is a second
// plan step, Scanner.PlanLogs, run once every metrics unit has its
// outcome: it reads the estimates from the outcomes, admits log groups
// within the scan's one budget, writes the logs plan to the store and
// returns the logs units. The budget holds per scan however many
// processes run the units, because one step decides all of them.

// ManifestSchema and ManifestVersion identify the manifest format.
const (
	ManifestSchema  = "lambdaudit/manifest"
	ManifestVersion = 1
)

// Unit kinds of a scan.
const (
	KindInventory = "inventory"
	KindMetrics   = "metrics"
	KindLogs      = "logs"
)

// CodeNoOutcome is the failure code of a unit the scan planned whose
// outcome never reached the store (a worker that died, a message in the
// dead-letter queue) while the scan was not interrupted.
const CodeNoOutcome = "NoOutcome"

// Manifest is a planned scan: what it covers and the units that make it
// up. It is the input of every later stage.
type Manifest struct {
	Schema    string         `json:"schema"`
	Version   int            `json:"version"`
	ID        string         `json:"id"`
	StartedAt time.Time      `json:"startedAt"`
	Window    metrics.Window `json:"window"`
	Settings  PlanSettings   `json:"settings"`
	// Scope is the targets as the plan resolved them (accounts, their
	// roles, regions): workers build their sessions from it
	// (WithScope) and never resolve the targets again.
	Scope *Scope `json:"scope"`
	// Targets are the account-regions, sorted; Units their inventory
	// units' IDs, in the same order.
	Targets []Pair   `json:"targets"`
	Units   []string `json:"units"`
}

// PlanSettings are the settings a scan is planned with; every worker
// follows the manifest's, not its own.
type PlanSettings struct {
	Tags            bool    `json:"tags"`
	Logs            bool    `json:"logs"`
	LogsBudgetBytes float64 `json:"logsBudgetBytes"`
}

// Store keys of a scan.
func manifestKey(scan string) string      { return "scans/" + scan + "/manifest.json" }
func logsPlanKey(scan string) string      { return "scans/" + scan + "/logs-plan.json" }
func outcomeKey(scan, unit string) string { return "scans/" + scan + "/outcomes/" + unit + ".json" }

// scanID names a scan: its report day and a hash of when it started and
// what it covers, e.g. "2026-12-06-3f2a9c1e07b4d5a6".
func scanID(started time.Time, w metrics.Window, pairs []Pair, set PlanSettings) string {
	h := sha256.New()
	h.Write([]byte(started.UTC().Format(time.RFC3339Nano)))
	h.Write([]byte(strconv.Itoa(w.Days)))
	for _, p := range pairs {
		h.Write([]byte(p.String() + "\x00"))
	}
	fmt.Fprintf(h, "%t/%t/%g", set.Tags, set.Logs, set.LogsBudgetBytes)
	day := w.End.Add(-time.Nanosecond).UTC().Format(time.DateOnly)
	return day + "-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// Unit bodies: what a worker needs besides the unit's account and region.
type (
	inventoryBody struct {
		Scan   string         `json:"scan"`
		Window metrics.Window `json:"window"`
		Tags   bool           `json:"tags"`
	}
	metricsBody struct {
		Scan  string        `json:"scan"`
		Batch metrics.Batch `json:"batch"`
	}
	logsBody struct {
		Scan  string         `json:"scan"`
		Batch logstats.Batch `json:"batch"`
	}
)

// unitRef is a unit as a later stage needs it: its ID and what it covers.
type unitRef struct {
	ID    string   `json:"id"`
	Items []string `json:"items"`
	// Region: the unit queries the account-region's own metrics
	// (metrics.RegionKey).
	Region bool `json:"region,omitempty"`
}

// inventoryOutcome is what an inventory unit found in its account-region.
type inventoryOutcome struct {
	Unit string `json:"unit"`
	// Target is the account-region's entry, Metrics not yet filled.
	Target Target `json:"target"`
	// Listed: the listing ran to its end.
	Listed bool `json:"listed"`
	// Functions in listing order, with their configuration, tags and
	// provisioned concurrency; no metrics.
	Functions []Function `json:"functions"`
	// Optional holds, per function ID, the optional metrics discovery
	// found (metrics.Function.Optional).
	Optional map[string][]string `json:"optional,omitempty"`
	// Units are the metrics units emitted, each with the keys it queries
	// (function IDs, metrics.RegionKey).
	Units []unitRef `json:"units"`
	// Failed are functions no metrics unit could be planned for.
	Failed map[string]Failure `json:"failed,omitempty"`
	// ConfigFailed are functions whose tags or provisioned concurrency
	// were not read.
	ConfigFailed map[string][]Failure `json:"configFailed,omitempty"`
	// Discovery is set when ListMetrics failed: no function's optional
	// metrics were queried.
	Discovery *Failure `json:"discovery,omitempty"`
}

// metricsOutcome is a metrics unit's answer, or why it has none.
type metricsOutcome struct {
	Unit    string          `json:"unit"`
	Items   []string        `json:"items"`
	Result  *metrics.Result `json:"result,omitempty"`
	Failure *Failure        `json:"failure,omitempty"`
}

// logsPlan is the Logs Insights stage as PlanLogs decided it.
type logsPlan struct {
	BudgetBytes    float64         `json:"budgetBytes"`
	EstimatedBytes float64         `json:"estimatedBytes"`
	Skipped        []logstats.Skip `json:"skipped,omitempty"`
	Units          []unitRef       `json:"units"`
}

// logsOutcome is a logs unit's answer, or why it has none.
type logsOutcome struct {
	Unit    string           `json:"unit"`
	Items   []string         `json:"items"`
	Result  *logstats.Result `json:"result,omitempty"`
	Failure *Failure         `json:"failure,omitempty"`
}

// putJSON stores v under key, compact.
func putJSON(ctx context.Context, st store.Store, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return st.Put(ctx, key, b)
}

// createJSON stores v under key, compact, unless the key holds a
// document already (an error wrapping store.ErrExists).
func createJSON(ctx context.Context, st store.Store, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return st.Create(ctx, key, b)
}

// getJSON reads key into v; found is false when the key holds nothing.
func getJSON(ctx context.Context, st store.Store, key string, v any) (found bool, err error) {
	b, err := st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", key, err)
	}
	return true, nil
}

// LoadManifest reads a scan's manifest from the store.
func LoadManifest(ctx context.Context, st store.Store, scan string) (*Manifest, error) {
	var m Manifest
	found, err := getJSON(ctx, st, manifestKey(scan), &m)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", scan, err)
	}
	if !found {
		return nil, fmt.Errorf("scan %s: no manifest: %w", scan, store.ErrNotFound)
	}
	if m.Schema != ManifestSchema || m.Version != ManifestVersion {
		return nil, fmt.Errorf("scan %s: manifest of schema %q version %d, want %q version %d", scan, m.Schema, m.Version, ManifestSchema, ManifestVersion)
	}
	return &m, nil
}
