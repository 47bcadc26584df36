package csv

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
)

// TestCSVUnpricedFunctions: functions the cost model does not price — a
// region the price table does not have, a Lambda Managed Instances
// function — have empty cost cells in report.csv, their account-region a
// summary row with empty costs, and everything else keeps its figures.
func TestCSVUnpricedFunctions(t *testing.T) {
	res, _, _ := notifytest.CSVFixture(t)
	var moved, managed string
	for i := range res.Functions {
		f := &res.Functions[i]
		switch {
		case f.Region == "eu-west-1":
			f.Region = "xx-future-1"
			f.ID = f.Account + "/" + f.Region + "/" + f.Name
			moved = f.ID
		case managed == "" && f.Region == "us-east-1" && f.Account == "111111111111":
			f.CapacityProviderARN = "arn:aws:lambda:us-east-1:111111111111:capacity-provider:cp"
			managed = f.ID
		}
	}
	for i := range res.Targets {
		if res.Targets[i].Region == "eu-west-1" {
			res.Targets[i].Region = "xx-future-1"
		}
	}
	if moved == "" || managed == "" {
		t.Fatal("the fixture has no function to move or mark")
	}
	costs, rep := notifytest.CSVCostsReport(t, res)

	_, rows, byID := csvRead(t, writeCSV(t, res, costs, rep))
	if len(rows) != len(res.Functions) {
		t.Fatalf("%d rows, want %d", len(rows), len(res.Functions))
	}
	costCols := []string{"gb_seconds", "report_day_cost_usd", "avg_7d_cost_usd", "month_to_date_usd", "projected_month_usd"}
	for _, id := range []string{moved, managed} {
		for _, c := range costCols {
			if v := byID[id][c]; v != "" {
				t.Errorf("%s %s = %q, want empty (not priced)", id, c, v)
			}
		}
	}
	priced := 0
	for id, row := range byID {
		if id != moved && id != managed && row["report_day_cost_usd"] != "" {
			priced++
		}
	}
	if priced == 0 {
		t.Error("no function kept its cost")
	}

	var buf bytes.Buffer
	if err := WriteSummary(&buf, costs); err != nil {
		t.Fatalf("summary withheld: %v", err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	found := false
	for _, r := range recs[1:] {
		if r[col["region"]] != "xx-future-1" {
			if r[col["report_day_cost_usd"]] == "" && r[col["functions_with_cost"]] != "0" {
				t.Errorf("priced account-region lost its cost: %v", r)
			}
			continue
		}
		found = true
		if r[col["functions"]] == "0" || r[col["functions_with_cost"]] != "0" {
			t.Errorf("xx-future-1 row %v: want its functions counted and none with a cost", r)
		}
		for _, c := range []string{"report_day_cost_usd", "avg_7d_cost_usd", "month_to_date_usd", "projected_month_usd", "change_vs_7d_pct"} {
			if r[col[c]] != "" {
				t.Errorf("xx-future-1 %s = %q, want empty", c, r[col[c]])
			}
		}
	}
	if !found {
		t.Error("no summary row for the unpriced region")
	}
}

// TestWriteCSVSummaryWithoutCosts: no cost model at all still writes the
// file, header only.
func TestWriteCSVSummaryWithoutCosts(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, nil); err != nil {
		t.Fatalf("withheld: %v", err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 1 || len(recs[0]) != len(SummaryColumns) {
		t.Errorf("%v, %q", err, recs)
	}
}
