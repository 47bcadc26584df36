package notify_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/slack-go/slack"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify"
)

// slackExampleReport is a small report, as insights.Build makes them.
func slackExampleReport() *insights.Report {
	ptr := func(v float64) *float64 { return &v }
	fig := func(v, base float64, n int) insights.Figure {
		ch := v - base
		return insights.Figure{Value: ptr(v), Baseline: ptr(base), Change: ptr(ch), ChangeRatio: ptr(ch / base), Functions: n}
	}
	return &insights.Report{
		Schema: insights.ReportSchema, Version: insights.ReportVersion,
		GeneratedAt: time.Date(2026, 11, 21, 6, 30, 0, 0, time.UTC), ReportDay: "2026-11-20",
		Scan: insights.ScanInfo{StartedAt: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 11, 21, 6, 0, 12, 0, time.UTC),
			CostUSD: 0.0042, Calls: 31, MetricsRequested: 840, LogsQueries: 3, LogsBytesScanned: 2.1e9},
		Coverage: insights.Coverage{Targets: 2, Listed: 120, Scanned: 120, Invoked: 112, Idle: 8},
		Summary: insights.Summary{
			Health: fig(0.9991, 0.9996, 112), Invocations: fig(1.2e6, 1.1e6, 112), Errors: fig(1080, 440, 112),
			ColdStarts: fig(5200, 5100, 112), CostUSD: fig(21.4, 18.9, 112), ProjectedMonthUSD: fig(641.2, 585.9, 112),
		},
		TopFunctions: []insights.FunctionCost{
			{ID: "111111111111/us-east-1/checkout-api", Account: "111111111111", Region: "us-east-1", Name: "checkout-api",
				CostUSD: 6.12, BaselineUSD: ptr(5.95), ProjectedMonthUSD: ptr(184.3)},
		},
		CostMovers: []insights.CostMover{
			{ID: "111111111111/eu-west-1/pdf-render", Account: "111111111111", Region: "eu-west-1", Name: "pdf-render",
				CostUSD: 3.83, BaselineUSD: ptr(1.24), ChangeUSD: 2.59, Ratio: ptr(3.09)},
		},
		Insights: []insights.Insight{
			{Key: "111111111111/us-east-1/checkout-api/near-timeout", Kind: "near-timeout", Severity: insights.Critical,
				Account: "111111111111", Region: "us-east-1", Function: "checkout-api",
				Title:  "near timeout: 5.8 s of 6 s (max), p99 4.1 s",
				Action: "Find what the slowest invocations wait on, or raise the timeout with headroom."},
			{Key: "111111111111/eu-west-1/<!channel>/cold-starts", Kind: "cold-starts", Severity: insights.Warning,
				Account: "111111111111", Region: "eu-west-1", Function: "<!channel>",
				Title:  "cold starts: 410 of 2,000 invocations (20.5 %), p95 init 1.2 s",
				Action: "Trim the INIT phase or keep environments warm."},
		},
		Counts: insights.Counts{Critical: 1, Warning: 1},
	}
}

// The Slack digest of a report: Block Kit blocks within Slack's limits,
// with a fallback text for notifications. A function named <!channel>
// is shown, not obeyed.
func ExampleDigest() {
	m := notify.Digest(slackExampleReport(), notify.DigestOptions{CSVURL: "https://bucket.s3.amazonaws.com/report.csv?X-Amz-Signature=abc"})
	fmt.Println("text:", m.Text)
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			fmt.Println("header:", b.Text.Text)
		case *slack.SectionBlock:
			if len(b.Fields) > 0 {
				fmt.Println("fields:", b.Fields[1].Text)
				continue
			}
			fmt.Println("section:", b.Text.Text)
		case *slack.ContextBlock:
			fmt.Println("context:", b.ContextElements.Elements[0].(*slack.TextBlockObject).Text)
		case *slack.DividerBlock:
			fmt.Println("---")
		}
	}
	// Output:
	// text: Lambda digest for 2026-11-20: 1 critical · 1 warning · 0 info · cost of the day $21.40 ▲ +13 % worse · projected month $641.20 ▲ +9.4 % worse
	// header: Lambda digest · Fri 20 Nov 2026
	// context: *Scope* account 111111111111 · 2 regions (eu-west-1, us-east-1) · 120 functions · report day 2026-11-20 (UTC) · generated 2026-11-21 06:30 UTC
	// fields: *Invocations*
	// 1,200,000 ▲ +9.0 %
	// 7-day avg 1,100,000
	// ---
	// section: *2 insights*
	// :red_circle: *1 critical* — near-timeout 1
	// :large_orange_circle: *1 warning* — cold-starts 1
	// section: :red_circle: *Critical — 1*
	// • `checkout-api` us-east-1 — near timeout: 5.8 s of 6 s (max), p99 4.1 s
	//       ↳ Find what the slowest invocations wait on, or raise the timeout with headroom.
	// section: :large_orange_circle: *Warnings — 1*
	// • `&lt;!channel&gt;` eu-west-1 — cold starts: 410 of 2,000 invocations (20.5 %), p95 init 1.2 s
	//       ↳ Trim the INIT phase or keep environments warm.
	// ---
	// section: *Top cost — the report day*
	// 1. `checkout-api` us-east-1 · $6.12 (avg $5.95/day) · month ~$184.30
	// section: *Biggest movers* — against the previous 7 days' average
	// • `pdf-render` eu-west-1 · +$2.59/day (×3.0) → $3.83
	// context: *Coverage* 120 of 120 functions scanned in 2 of 2 account-regions; 112 invoked on the report day, 8 idle
	// context: *Scan* $0.0042 of CloudWatch and Logs usage at list prices · 31 API calls (0 throttled, 0 failed) · 840 metrics · 3 Logs Insights queries, 1.9 GB scanned · took 12s
}

// Sending the digest where SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and
// SLACK_CHANNEL, say: the bot mode continues long digests in a thread.
func ExampleSlackSender_Send() {
	cfg := notify.SlackConfigFromEnv()
	if !cfg.Enabled() {
		fmt.Println("slack: not configured")
		return
	}
	s, err := notify.NewSlackSender(cfg, notify.SlackSenderOptions{})
	if err != nil {
		log.Fatal(err) // names the setting at fault, never its secret
	}
	d, err := s.Send(context.Background(), notify.Digest(slackExampleReport(), notify.DigestOptions{Thread: s.Threaded()}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println("posted with", d.Attempts, "requests")
}
