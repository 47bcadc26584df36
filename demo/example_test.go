package demo_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/lambdaudit/lambdaudit/demo"
	"github.com/lambdaudit/lambdaudit/notify/opsgenie"
	"github.com/lambdaudit/lambdaudit/notify/slack"
)

// Run serves the embedded demo fleet, scans it and writes the outputs;
// here with Slack and Opsgenie left unconfigured (the alerts are a dry
// run) and the clock pinned.
func ExampleRun() {
	out, err := os.MkdirTemp("", "lambdaudit-demo")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(out)
	res, err := demo.Run(context.Background(), demo.Options{
		Out:      out,
		Now:      time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC),
		Slack:    &slack.Config{},
		Opsgenie: &opsgenie.Config{},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d functions in %d accounts × %d regions, all scanned: %v\n",
		res.Functions, res.Accounts, res.Regions, res.Scan.Coverage.Scanned == res.Functions)
	fmt.Printf("%d kinds of insight, reported for %s\n", len(res.Report.Counts.ByKind), res.Report.ReportDay)
	fmt.Println(len(res.Files), "files written")
	// Output:
	// 1200 functions in 2 accounts × 2 regions, all scanned: true
	// 15 kinds of insight, reported for 2026-11-20
	// 6 files written
}
