package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// editedScan is the fixture scan result changed by mod, written to a file.
func editedScan(t *testing.T, mod func(*scanner.Result)) string {
	t.Helper()
	res := readScanFile(t, scanFixture)
	mod(res)
	var b bytes.Buffer
	if err := res.Encode(&b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "scan.json")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReportDegradesPerFunction: `report` on a fleet with a Lambda
// Managed Instances function, an unknown architecture and an unknown
// runtime reports the whole fleet, and names those functions and the
// rules not run for them.
func TestReportDegradesPerFunction(t *testing.T) {
	var ids [3]string
	path := editedScan(t, func(r *scanner.Result) {
		mi, arch, rt := &r.Functions[0], &r.Functions[1], &r.Functions[2]
		mi.CapacityProviderARN = "arn:aws:lambda:" + mi.Region + ":" + mi.Account + ":capacity-provider:fleet"
		mi.MemoryMB, mi.TimeoutS = 16384, 3600
		arch.Architecture = "riscv64"
		rt.Runtime, rt.PackageType = "cobol1.x", "Zip"
		ids = [3]string{mi.ID, arch.ID, rt.ID}
	})
	stdout, _, err := runReport(t, "", "--scan", path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := insights.DecodeReport(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, reason, rule string }{
		{ids[0], "Lambda Managed Instances: billed on EC2 capacity, not modelled", "cost-spike"},
		{ids[1], `architecture not modelled ("riscv64"; modelled: x86_64, arm64)`, "memory-overprovisioned"},
		{ids[2], "runtime not in the runtime table (cobol1.x", "deprecated-runtime"},
	}
	for _, w := range want {
		if !slices.ContainsFunc(rep.Missing, func(m insights.Missing) bool {
			return strings.HasPrefix(m.Reason, w.reason) && slices.Contains(m.Rules, w.rule) && slices.Contains(m.IDs, w.id)
		}) {
			t.Errorf("no missing entry %q for %s (%s); missing %+v", w.reason, w.id, w.rule, rep.Missing)
		}
	}
	others := 0
	for _, in := range rep.Insights {
		if !slices.Contains(ids[:], in.Account+"/"+in.Region+"/"+in.Function) {
			others++
		}
	}
	if others == 0 || rep.Summary.CostUSD.Value == nil || len(rep.TopFunctions) == 0 {
		t.Errorf("the rest of the fleet was not reported: %d insights of other functions, cost %v, %d top functions",
			others, rep.Summary.CostUSD.Value, len(rep.TopFunctions))
	}
	for _, fc := range rep.TopFunctions {
		if fc.ID == ids[0] || fc.ID == ids[1] {
			t.Errorf("%s priced though not modelled: %+v", fc.ID, fc)
		}
	}
}

// TestReportRefusesHandEditedValues: values no AWS answer holds are
// refused with the field path, and nothing is written.
func TestReportRefusesHandEditedValues(t *testing.T) {
	const fn = 3 // the function edited
	tests := []struct {
		name string
		mod  func(f *scanner.Function, day int)
		want string // with the function's ID and the day
	}{
		{"errors ten times the invocations", func(f *scanner.Function, day int) {
			inv, errs := 160.0, 1600.0
			f.Metrics[metrics.InvocationsSum][day], f.Metrics[metrics.ErrorsSum][day] = &inv, &errs
		}, `functions[3] (%s).metrics["Errors:Sum"][%d]: 1600 errors > 160 invocations`},
		{"1e300 invocations", func(f *scanner.Function, day int) {
			v := 1e300
			f.Metrics[metrics.InvocationsSum][day] = &v
		}, `functions[3] (%s).metrics["Invocations:Sum"][%d]: impossible count 1e+300`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want string
			path := editedScan(t, func(r *scanner.Result) {
				f := &r.Functions[fn]
				day := r.Window.Days - 3
				tt.mod(f, day)
				want = fmt.Sprintf(tt.want, f.ID, day)
			})
			stdout, _, err := runReport(t, "", "--scan", path)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want one containing %q", err, want)
			}
			if stdout != "" {
				t.Errorf("wrote a report despite the error: %.80s", stdout)
			}
		})
	}
}

// TestReportConfigTypo: a misspelt key of the insights config is named
// with its line and the nearest valid key.
func TestReportConfigTypo(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "insights.yaml")
	if err := os.WriteFile(cfg, []byte("rules:\n  near-timeout: {warn: 0.5}\nigonre: [cold-starts]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runReport(t, "", "--scan", scanFixture, "--config", cfg)
	want := "igonre: unknown key 'igonre' at line 3; did you mean 'ignore'?"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
}
