package opsgenie_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/opsgenie"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/store"
)

// A day's alerts: the report's critical and warning insights are created
// (info never pages), and an alert opened on an earlier day whose insight
// is gone is closed by alias — unless the scan could not read its function.
func ExampleAlertPlan() {
	r := &insights.Report{ReportDay: "2026-11-20", Insights: []insights.Insight{
		{Key: "111111111111/eu-west-1/ledger-sync/error-rate", Kind: "error-rate", Severity: insights.Critical,
			Account: "111111111111", Region: "eu-west-1", Function: "ledger-sync",
			Title: "error rate: 12 % of the invocations failed on 2026-11-20 (240 of 2,000)"},
		{Key: "111111111111/us-east-1/checkout-api/near-timeout", Kind: "near-timeout", Severity: insights.Warning,
			Account: "111111111111", Region: "us-east-1", Function: "checkout-api",
			Title: "near timeout: 5.6 s of 6 s (max), p99 4.1 s"},
		{Key: "111111111111/us-east-1/orders-worker/arm64-candidate", Kind: "arm64-candidate", Severity: insights.Info,
			Account: "111111111111", Region: "us-east-1", Function: "orders-worker", Title: "arm64 candidate"},
	}}
	// Opened by yesterday's run: one fixed since, one whose scan failed.
	open := opsgenie.NewOpenAlerts()
	open.Alerts["111111111111/us-east-1/pdf-render/cost-spike"] = opsgenie.OpenAlert{Account: "111111111111",
		Region: "us-east-1", Function: "pdf-render", Kind: "cost-spike", Severity: insights.Warning, Priority: "P3",
		OpenedOn: "2026-11-19", LastSeenOn: "2026-11-19"}
	open.Alerts["111111111111/us-east-1/search-indexer/cold-starts"] = opsgenie.OpenAlert{Account: "111111111111",
		Region: "us-east-1", Function: "search-indexer", Kind: "cold-starts", Severity: insights.Warning, Priority: "P3",
		OpenedOn: "2026-11-18", LastSeenOn: "2026-11-19"}
	cov := opsgenie.ScanCoverage{Functions: map[string]opsgenie.FunctionCoverage{
		"111111111111/eu-west-1/ledger-sync":    {ARN: "arn:aws:lambda:eu-west-1:111111111111:function:ledger-sync", Status: scanner.StatusScanned},
		"111111111111/us-east-1/checkout-api":   {ARN: "arn:aws:lambda:us-east-1:111111111111:function:checkout-api", Status: scanner.StatusScanned},
		"111111111111/us-east-1/pdf-render":     {Status: scanner.StatusScanned},
		"111111111111/us-east-1/search-indexer": {Status: scanner.StatusFailed, Reason: "metrics: throttled"},
	}}

	plan := opsgenie.AlertPlan(r, open, cov, opsgenie.Config{})
	for _, req := range plan.Requests {
		fmt.Println(req.Method(), req.Path())
		if c := req.Create; c != nil {
			fmt.Printf("  %s %s\n  entity %s\n", c.Priority, c.Message, c.Entity)
		} else {
			fmt.Println(" ", req.Close.Note)
		}
	}
	for _, k := range plan.Kept {
		fmt.Println("kept open:", k.Alias, "-", k.Reason)
	}
	fmt.Printf("new %d, repeated %d, closing %d, below the threshold %d; open after: %d\n",
		plan.New, plan.Repeated, plan.Closing, plan.Below, len(plan.Open.Alerts))
	// Output:
	// POST /v2/alerts
	//   P2 ledger-sync (111111111111 eu-west-1): error rate: 12 % of the invocations failed on 2026-11-20 (240 of 2,000)
	//   entity arn:aws:lambda:eu-west-1:111111111111:function:ledger-sync
	// POST /v2/alerts
	//   P3 checkout-api (111111111111 us-east-1): near timeout: 5.6 s of 6 s (max), p99 4.1 s
	//   entity arn:aws:lambda:us-east-1:111111111111:function:checkout-api
	// POST /v2/alerts/111111111111%2Fus-east-1%2Fpdf-render%2Fcost-spike/close?identifierType=alias
	//   lambdaudit: the scan for report day 2026-11-20 no longer finds cost-spike of pdf-render in 111111111111/us-east-1; closing. Open since 2026-11-19, last seen 2026-11-19.
	// kept open: 111111111111/us-east-1/search-indexer/cold-starts - function not scanned: metrics: throttled
	// new 2, repeated 0, closing 1, below the threshold 1; open after: 3
}

// Delivery as the demo does it: without OPSGENIE_API_KEY the run is dry —
// it sends nothing and stores nothing, and the requests it would send are
// written (opsgenie.json) with the key redacted. With a key, the same Run
// sends them and keeps the open alerts in the store (a store.Dir here).
func ExampleClient_Run() {
	// The demo reads cfg with opsgenie.ConfigFromEnv(); here,
	// OPSGENIE_API_KEY is not set.
	cfg := opsgenie.Config{}
	if !cfg.Enabled() {
		cfg.DryRun = true
	}
	og, err := opsgenie.New(cfg, nil, nil, opsgenie.Retry{})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "lambdaudit-state")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := store.NewDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	r := &insights.Report{ReportDay: "2026-11-20", Insights: []insights.Insight{
		{Key: "111111111111/us-east-1/checkout-api/near-timeout", Kind: "near-timeout", Severity: insights.Warning,
			Account: "111111111111", Region: "us-east-1", Function: "checkout-api", Title: "near timeout: 5.6 s of 6 s (max)"}}}
	run, err := og.Run(context.Background(), st, r, opsgenie.ScanCoverage{})
	if err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer // the demo writes opsgenie.json
	if err := opsgenie.WriteRequests(&out, cfg.BaseURL, run.Plan); err != nil {
		log.Fatal(err)
	}
	reqs, _ := opsgenie.DumpRequests(cfg.BaseURL, run.Plan.Requests)
	fmt.Println("dry run:", run.DryRun, "- requests:", len(reqs))
	fmt.Println(reqs[0].Method, reqs[0].URL, reqs[0].Headers["Authorization"])
	// Output:
	// dry run: true - requests: 1
	// POST https://api.opsgenie.com/v2/alerts GenieKey [redacted]
}
