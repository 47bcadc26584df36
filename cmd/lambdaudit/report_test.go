package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
)

// scanFixture is a scan result of the simulated account (insights'
// golden report is built from it).
const scanFixture = "../../insights/testdata/scan.json"

func runReport(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	// No refreshed price table of the user's: the embedded one.
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	cmd := newReportCmd()
	var out, errw bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errw)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.Execute()
	return out.String(), errw.String(), err
}

func TestReportCommand(t *testing.T) {
	t.Run("to stdout", func(t *testing.T) {
		stdout, stderr, err := runReport(t, "", "--scan", scanFixture)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := insights.DecodeReport(strings.NewReader(stdout))
		if err != nil {
			t.Fatal(err)
		}
		if rep.ReportDay != "2026-11-20" || len(rep.Insights) == 0 || rep.Summary.CostUSD.Value == nil {
			t.Errorf("report %s with %d insights, cost %v", rep.ReportDay, len(rep.Insights), rep.Summary.CostUSD.Value)
		}
		// 3 critical: ledger-sync's timeouts are one finding (docs/report.md, "One cause, one finding").
		if !strings.Contains(stderr, "report 2026-11-20: 3 critical, 7 warnings, 2 info over 10 functions") {
			t.Errorf("stderr %q", stderr)
		}
	})
	t.Run("to a file, with a config and the free tier", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "insights.yaml")
		if err := os.WriteFile(cfg, []byte("ignore: [deprecated-runtime]\nrules:\n  near-timeout: {warn: 0.5}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "report.json")
		stdout, _, err := runReport(t, "", "--scan", scanFixture, "--config", cfg, "--free-tier", "-o", out)
		if err != nil {
			t.Fatal(err)
		}
		if stdout != "" {
			t.Errorf("stdout %q with -o", stdout)
		}
		rep := readReportFile(t, out)
		if rep.Counts.ByKind["deprecated-runtime"] != 0 || !rep.Sources.FreeTier {
			t.Errorf("config or free tier not applied: %+v, free tier %v", rep.Counts.ByKind, rep.Sources.FreeTier)
		}
	})
	t.Run("from stdin", func(t *testing.T) {
		b, err := os.ReadFile(scanFixture)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := runReport(t, string(b), "--scan", "-"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReportBadInput(t *testing.T) {
	fixture, err := os.ReadFile(scanFixture)
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args func(t *testing.T) []string
		want string
	}{
		{"no scan", func(*testing.T) []string { return nil }, `required flag(s) "scan" not set`},
		{"missing file", func(*testing.T) []string { return []string{"--scan", "/nonexistent/scan.json"} }, "no such file"},
		{"not JSON", func(t *testing.T) []string { return []string{"--scan", write(t, "s.json", "scan")} }, "decode scan result"},
		{"unknown version", func(t *testing.T) []string {
			return []string{"--scan", write(t, "s.json", strings.Replace(string(fixture), `"version": 1`, `"version": 7`, 1))}
		}, "not a lambdaudit scan result of a known version"},
		{"memory 0", func(t *testing.T) []string {
			return []string{"--scan", write(t, "s.json", strings.Replace(string(fixture), `"memoryMB": 128`, `"memoryMB": 0`, 1))}
		}, "memoryMB: must be at least 128 MB (Lambda's minimum), got 0"},
		{"negative count", func(t *testing.T) []string {
			return []string{"--scan", write(t, "s.json", strings.Replace(string(fixture), `"Invocations:Sum": [`+"\n          null,\n          2000", `"Invocations:Sum": [`+"\n          null,\n          -2000", 1))}
		}, "impossible value -2000"},
		{"unknown rule in the config", func(t *testing.T) []string {
			return []string{"--scan", scanFixture, "--config", write(t, "c.yaml", "rules: {cold-start: {share: 0.1}}\n")}
		}, "rules.cold-start: unknown rule"},
		{"threshold out of range", func(t *testing.T) []string {
			return []string{"--scan", scanFixture, "--config", write(t, "c.yaml", "rules: {throttles: {critical: 3}}\n")}
		}, "rules.throttles.critical: must be in (0, 1], got 3"},
		{"bad price table", func(t *testing.T) []string {
			return []string{"--scan", scanFixture, "--prices", write(t, "p.json", "{}")}
		}, "p.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := runReport(t, "", tt.args(t)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if stdout != "" {
				t.Errorf("wrote a report despite the error: %.80s", stdout)
			}
		})
	}
}
