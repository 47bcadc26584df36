package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdaudit/lambdaudit/atomicfile"
	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// newReportCmd is `lambdaudit report`: a scan result in, the report
// (insights, costs, coverage) out.
func newReportCmd() *cobra.Command {
	var (
		scanPath, cfgPath, out, prices string
		freeTier                       bool
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Turn a scan result into the report: insights, costs and coverage (JSON)",
		Long: `report reads the scan result 'lambdaudit scan' wrote, prices every function
(package cost: requests, duration and billed INIT, ephemeral storage, provisioned
concurrency), runs every rule of the insight catalogue and writes the report
(JSON, schema "lambdaudit/report" version 1, docs/report.md): coverage, the
summary against the previous 7 days, top functions by cost, the biggest cost
movers, the insights by severity (reliability before cost) then impact, which rules could not run for
which functions and why, and what the scan itself cost.

Thresholds come from --config (YAML, docs/report.md lists every key and its
default), else the defaults; functions override them with lambdaudit: tags. Prices
come from --prices FILE, else the refreshed table ('lambdaudit cost refresh'),
else the embedded one.

The report is written atomically: a failure or an interruption leaves a
previous file whole. The output path is checked before the scan is read.

Exit status: 0 the report was written; 2 bad input (a scan result of an
unknown version or with impossible values, an invalid config, an output
that cannot be written); 130/143 interrupted by SIGINT/SIGTERM.`,
		Example: `  lambdaudit scan --regions us-east-1 -o scan.json && lambdaudit report --scan scan.json -o report.json
  lambdaudit report --scan scan.json --config insights.yaml --free-tier`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out != "-" && out != "" {
				if err := atomicfile.CheckFile(out); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
			}
			res, err := readScan(cmd.InOrStdin(), scanPath)
			if err != nil {
				return err
			}
			rep, _, err := buildReport(res, scanPath, cfgPath, prices, freeTier, time.Now())
			if err != nil {
				return err
			}
			if err := writeOut(cmd.OutOrStdout(), out, rep.Encode); err != nil {
				return err
			}
			c := rep.Counts
			_, err = fmt.Fprintf(cmd.ErrOrStderr(), "report %s: %d critical, %d warnings, %d info over %d functions; %d rule runs without data (see \"missing\")\n",
				rep.ReportDay, c.Critical, c.Warning, c.Info, rep.Coverage.Listed, rep.Coverage.RulesNotRun)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&scanPath, "scan", "", "the scan result to report on (- = stdin)")
	fl.StringVar(&cfgPath, "config", "", "insights config file (YAML): thresholds, ignored rules, overrides by name")
	fl.StringVarP(&out, "out", "o", "-", "write the report to this file (- = stdout)")
	fl.StringVar(&prices, "prices", "", "price table file (default: the refreshed table, else the embedded one)")
	fl.BoolVar(&freeTier, "free-tier", false, "apply the monthly free tier once per account")
	_ = cmd.MarkFlagRequired("scan")
	return cmd
}

// readScan decodes a scan result from a file, or stdin for "-".
func readScan(stdin io.Reader, path string) (*scanner.Result, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		defer f.Close()
		r = f
	}
	res, err := scanner.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	return res, nil
}

// buildReport builds the report of a scan result with the insights config
// at cfgPath (default thresholds when empty) and the price table at
// prices (cost.Open's choice when empty), and returns the costs it was
// priced with (for the CSVs).
func buildReport(res *scanner.Result, scanPath, cfgPath, prices string, freeTier bool, now time.Time) (*insights.Report, *cost.Costs, error) {
	cfg := insights.DefaultConfig()
	if cfgPath != "" {
		var err error
		if cfg, err = insights.LoadConfig(cfgPath); err != nil {
			return nil, nil, err
		}
	}
	table, err := cost.Open(prices)
	if err != nil {
		return nil, nil, err
	}
	rep, costs, err := insights.BuildWithCosts(res, insights.Options{Config: cfg, Prices: table, FreeTier: freeTier, Now: now})
	if err != nil {
		return nil, nil, fmt.Errorf("report: %s: %w", scanPath, err)
	}
	return rep, costs, nil
}
