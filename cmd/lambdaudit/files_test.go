package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// The tests of this package read the files the commands write through
// these helpers: scan.json, report.json and the CSVs.

// readScanFile decodes a scan result (scan.json) as notify and report do.
func readScanFile(t *testing.T, path string) *scanner.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := scanner.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// readReportFile decodes a report (report.json).
func readReportFile(t *testing.T, path string) *insights.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep insights.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// readCSV reads a CSV file into rows keyed by the header.
func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}
