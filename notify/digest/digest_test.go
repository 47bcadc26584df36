package digest_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/notify/slack"
	"github.com/lambdaudit/lambdaudit/notify/text"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// notCoveredReport is the example report of a scan where account
// 111111111111 denied AssumeRole in both regions and 222222222222
// denied GetMetricData in eu-west-1 for 750 of its functions.
func notCoveredReport(t *testing.T) *insights.Report {
	r := notifytest.LoadReport(t, "testdata/slack-report.json")
	r.Coverage.Accounts = []string{"111111111111", "222222222222"}
	r.Coverage.Regions = []string{"eu-west-1", "us-east-1"}
	r.Coverage.Targets, r.Coverage.TargetsFailed = 4, 2
	r.Coverage.Listed, r.Coverage.Scanned, r.Coverage.Partial, r.Coverage.Failed, r.Coverage.NotCovered = 2250, 1500, 0, 750, 750
	r.Coverage.LogsSkipped, r.Coverage.LogsSkippedBy = 1401, map[string]int{"log budget": 1401}
	r.Coverage.Causes = []scanner.CauseCount{
		{Cause: scanner.Cause{Code: "AccessDenied", API: "cloudwatch:GetMetricData", Account: "222222222222", Region: "eu-west-1"}, Stage: "metrics", Functions: 750},
		{Cause: scanner.Cause{Code: "AccessDenied", API: "sts:AssumeRole", Account: "111111111111", Region: "eu-west-1"}, Stage: "inventory", Targets: 1},
		{Cause: scanner.Cause{Code: "AccessDenied", API: "sts:AssumeRole", Account: "111111111111", Region: "us-east-1"}, Stage: "inventory", Targets: 1},
	}
	r.Coverage.FailedTargets = []insights.FailedTarget{{Account: "111111111111", Region: "eu-west-1", Error: "sts:AssumeRole: access denied"},
		{Account: "111111111111", Region: "us-east-1", Error: "sts:AssumeRole: access denied"}}
	return r
}

const wantNotCovered = "111111111111 (AccessDenied, all regions) and 222222222222/eu-west-1 GetMetricData AccessDenied — 750 of 2,250 listed functions (33 %); 2 of 4 account-regions not listed"

// TestDigestSaysWhatIsNotCovered: when data was lost, the digest's first
// lines, Slack's header blocks and its notification text name the
// accounts and regions not covered and the share of the fleet, the
// summary says it is not fleet-wide, and the coverage block has one
// line per cause.
func TestDigestSaysWhatIsNotCovered(t *testing.T) {
	r := notCoveredReport(t)
	var b bytes.Buffer
	if err := text.Write(&b, r, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if got := strings.Join(lines[1:4], " "); !strings.Contains(strings.Join(strings.Fields(got), " "), "NOT COVERED: "+wantNotCovered) {
		t.Errorf("terminal digest's first lines:\n%s", strings.Join(lines[:5], "\n"))
	}
	for _, want := range []string{
		"covered functions only, not the whole fleet",
		"AccessDenied cloudwatch:GetMetricData in 222222222222/eu-west-1: 750 functions",
		"AccessDenied sts:AssumeRole in 111111111111/eu-west-1: 1 account-region not listed",
		"logs not queried for 1,401 functions (log budget: 1,401) — by design, not a failure",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("terminal digest lacks %q:\n%s", want, b.String())
		}
	}

	msg := slack.Digest(r, slack.DigestOptions{})
	if !strings.HasPrefix(msg.Text, "Lambda digest for 2026-11-20 — INCOMPLETE, not covered: "+wantNotCovered+". Covered functions: ") {
		t.Errorf("Slack notification text: %s", msg.Text)
	}
	j := string(mustJSON(t, msg.Blocks[:3]))
	if !strings.Contains(j, "*Not covered:* "+wantNotCovered) || !strings.Contains(j, "2,250 functions listed (750 not covered)") {
		t.Errorf("Slack header blocks: %s", j)
	}
}

// TestDigestCompleteSaysNothing: a scan that lost nothing — the log
// budget skipped most groups — has no "not covered" line anywhere, and
// the skip shows as coverage.
func TestDigestCompleteSaysNothing(t *testing.T) {
	r := notifytest.LoadReport(t, "testdata/slack-report.json")
	r.Coverage.TargetsFailed, r.Coverage.FailedTargets, r.Coverage.Partial, r.Coverage.Failed, r.Coverage.NotCovered = 0, nil, 0, 0, 0
	r.Coverage.Reasons, r.Coverage.Causes = map[string]int{}, nil
	r.Coverage.LogsSkipped, r.Coverage.LogsSkippedBy = 40, map[string]int{"log budget": 40}
	var b bytes.Buffer
	if err := text.Write(&b, r, false); err != nil {
		t.Fatal(err)
	}
	msg := slack.Digest(r, slack.DigestOptions{})
	for where, s := range map[string]string{"terminal": b.String(), "slack text": msg.Text, "slack blocks": string(mustJSON(t, msg.Blocks))} {
		if strings.Contains(strings.ToLower(s), "not covered") || strings.Contains(s, "INCOMPLETE") || strings.Contains(s, "not the whole fleet") {
			t.Errorf("%s reads as incomplete:\n%s", where, s)
		}
	}
	if !strings.Contains(b.String(), "logs not queried for 40 functions (log budget: 40)") {
		t.Errorf("the budget skip is not in the coverage block:\n%s", b.String())
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
