package scanner

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lambdaudit/lambdaudit/store"
)

// ScanKey is the store key of a document a host keeps with a scan —
// claims, usage records — beside the scanner's own: "scans/<scan>/<name>".
func ScanKey(scan, name string) string { return "scans/" + scan + "/" + name }

// expectKey is the marker an inventory unit (or PlanLogs) leaves once
// its units are all emitted: the count is the key's last segment, so a
// host reads a scan's progress from one List, without reading outcomes.
func expectKey(scan, unit string, n int) string {
	return "scans/" + scan + "/expect/" + unit + "/" + strconv.Itoa(n)
}

// logsPlanUnit names the logs plan in the expect markers.
const logsPlanUnit = "logs-plan"

// Status is how far a scan's units have got, read from the store's keys
// alone: a host that runs the units in many processes (the Lambda
// workers) decides from it when PlanLogs and the report are due.
type Status struct {
	// Inventory is the manifest's inventory units; InventoryDone those
	// whose outcome is complete (every metrics unit emitted).
	Inventory, InventoryDone int
	// Metrics is the metrics units the complete inventory units emitted;
	// MetricsDone the metrics outcomes in the store (a failure recorded
	// by RecordFailure counts: it is an outcome).
	Metrics, MetricsDone int
	// LogsPlanned: PlanLogs has run; Logs is its units, LogsDone their
	// outcomes.
	LogsPlanned     bool
	Logs, LogsDone  int
	logsInManifest  bool
	inventoryMarked map[string]bool
}

// MetricsComplete: every inventory unit is complete and every metrics
// unit they emitted has its outcome — PlanLogs may run.
func (s Status) MetricsComplete() bool {
	return s.InventoryDone == s.Inventory && s.MetricsDone >= s.Metrics
}

// Complete: every unit of the scan has its outcome — the report may run.
func (s Status) Complete() bool {
	if !s.MetricsComplete() {
		return false
	}
	return !s.logsInManifest || (s.LogsPlanned && s.LogsDone >= s.Logs)
}

// ReadStatus reads scan m's progress from st with one List of its keys.
func ReadStatus(ctx context.Context, st store.Store, m *Manifest) (Status, error) {
	s := Status{Inventory: len(m.Units), logsInManifest: m.Settings.Logs, inventoryMarked: map[string]bool{}}
	inv := map[string]bool{}
	for _, u := range m.Units {
		inv[u] = true
	}
	prefix := "scans/" + m.ID + "/"
	for key, err := range st.List(ctx, prefix) {
		if err != nil {
			return Status{}, fmt.Errorf("scan %s: status: %w", m.ID, err)
		}
		rest := strings.TrimPrefix(key, prefix)
		switch {
		case strings.HasPrefix(rest, "expect/"):
			marker := strings.TrimPrefix(rest, "expect/")
			i := strings.LastIndexByte(marker, '/')
			if i < 0 {
				continue
			}
			n, err := strconv.Atoi(marker[i+1:])
			if err != nil {
				continue
			}
			switch unit := marker[:i]; {
			case unit == logsPlanUnit:
				s.LogsPlanned, s.Logs = true, n
			case inv[unit] && !s.inventoryMarked[unit]:
				s.inventoryMarked[unit] = true
				s.InventoryDone++
				s.Metrics += n
			}
		case strings.HasPrefix(rest, "outcomes/"+KindMetrics+"/"):
			s.MetricsDone++
		case strings.HasPrefix(rest, "outcomes/"+KindLogs+"/"):
			s.LogsDone++
		}
	}
	return s, nil
}
