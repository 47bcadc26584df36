package slack_test

import (
	"context"
	"fmt"
	"log"
	"os"

	slackapi "github.com/slack-go/slack"

	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/notify/slack"
)

// The Slack digest of a report: Block Kit blocks within Slack's limits,
// with a fallback text for notifications. A function named <!channel>
// is shown, not obeyed.
func ExampleDigest() {
	m := slack.Digest(notifytest.ExampleReport(), slack.DigestOptions{CSVURL: "https://bucket.s3.amazonaws.com/report.csv?X-Amz-Signature=abc"})
	fmt.Println("text:", m.Text)
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slackapi.HeaderBlock:
			fmt.Println("header:", b.Text.Text)
		case *slackapi.SectionBlock:
			if len(b.Fields) > 0 {
				fmt.Println("fields:", b.Fields[1].Text)
				continue
			}
			fmt.Println("section:", b.Text.Text)
		case *slackapi.ContextBlock:
			fmt.Println("context:", b.ContextElements.Elements[0].(*slackapi.TextBlockObject).Text)
		case *slackapi.DividerBlock:
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
func ExampleSender_Send() {
	cfg := slack.ConfigFromEnv()
	if !cfg.Enabled() {
		fmt.Println("slack: not configured")
		return
	}
	s, err := slack.NewSender(cfg, slack.SenderOptions{})
	if err != nil {
		log.Fatal(err) // names the setting at fault, never its secret
	}
	d, err := s.Send(context.Background(), slack.Digest(notifytest.ExampleReport(), slack.DigestOptions{Thread: s.Threaded()}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println("posted with", d.Attempts, "requests")
}
