package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack/slacktest"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// realOrgFleet is shaped like a real organisation rather than the fleets
// lambdaudit was built against: three accounts (the third denies the
// scanner everything), regions outside the first price table (London,
// Mumbai, São Paulo), a Lambda Managed Instances function, a log group in
// the Delivery class, and enough functions that a small log budget skips
// most log groups.
const realOrgFleet = `
seed: 31
days: 14
generate:
  functions: 240
  accounts: ["111111111111", "222222222222", "333333333333"]
  regions: [us-east-1, eu-west-2, ap-south-1, sa-east-1]
  mix:
    near-timeout: 0.02
    timeouts: 0.02
    error-rate: 0.02
    memory-near-limit: 0.02
    cost-spike: 0.02
    deprecated-runtime: 0.02
accounts:
  - id: "111111111111"
    regions:
      - name: eu-west-2
        functions:
          - name: inference-on-instances
            capacityProvider: gpu-pool
            memoryMB: 16384
            timeoutS: 3600
            profile:
              invocations: 500
              duration: {p50: 40000, p99: 90000, max: 120000}
      - name: ap-south-1
        functions:
          # Small enough that the budget admits it: Logs Insights then
          # refuses its Delivery-class group, which costs only its own
          # log stats.
          - name: audit-shipped-to-s3
            logGroupClass: DELIVERY
            profile:
              invocations: 20
`

const (
	realOrgDenied = "333333333333"
	realOrgKey    = "00000000-0000-4000-8000-0000000000e2"
)

// TestRealOrganisation runs `scan` and then `notify` as the README shows
// them on an organisation-shaped fleet, with Slack (slacktest) and
// Opsgenie stand-ins, and checks what a platform engineer would: the scan
// says exit 3 because an account was denied, notify still delivers
// everything (exit 0), the digest and Slack's notification text open with
// what was not covered, every region is priced in the CSV, and the odd
// functions cost only themselves.
func TestRealOrganisation(t *testing.T) {
	env := simtest.Start(t, realOrgFleet, sim.WithFaults(sim.Fault{Account: realOrgDenied, AccessDenied: true}))
	simEnv(t, env)
	dir := t.TempDir()
	scanPath := filepath.Join(dir, "scan.json")

	// A budget of a tenth of a cent: most log groups are skipped by design.
	_, stderr, code := runCLI(t, "scan", "--day", reportDay, "--progress", "never",
		"--accounts", "111111111111,222222222222,"+realOrgDenied, "--role", "lambdaudit-member",
		"--regions", "us-east-1,eu-west-2,ap-south-1,sa-east-1", "--logs-budget-usd", "0.001", "-o", scanPath)
	if code != exitFailures {
		t.Fatalf("scan exit %d, want %d (an account was denied): %s", code, exitFailures, stderr)
	}
	if n := strings.Count(stderr, "\n"); n > 15 {
		t.Errorf("scan wrote %d lines on stderr: failures should be grouped by cause:\n%s", n, stderr)
	}
	// One line for the denied account, not one per region.
	if !strings.Contains(stderr, "AccessDenied") || strings.Count(stderr, realOrgDenied) != 1 {
		t.Errorf("stderr does not name the denied account and its cause once:\n%s", stderr)
	}
	res := readScanFile(t, scanPath)
	if len(res.Logs.Skipped) == 0 {
		t.Fatalf("the log budget skipped no group: the test no longer exercises a budget skip")
	}
	byName := map[string]*scanner.Function{}
	for i := range res.Functions {
		f := &res.Functions[i]
		byName[f.Name] = f
		if f.Account == realOrgDenied {
			t.Errorf("%s listed in the denied account", f.ID)
		}
		// Budget skips and the Delivery-class group are coverage; only a
		// lost API answer is a failure, and none happened in the accounts
		// that answered.
		for _, fl := range f.Failures {
			t.Errorf("%s: unexpected failure %s: %s", f.ID, fl.Stage, fl.Reason)
		}
	}
	mi := byName["inference-on-instances"]
	if mi == nil || mi.CapacityProviderARN == "" || mi.MemoryMB != 16384 {
		t.Fatalf("the Managed Instances function is missing or not recognised: %+v", mi)
	}
	d := byName["audit-shipped-to-s3"]
	if d == nil || d.Logs != nil {
		t.Fatalf("the Delivery-class function is missing or has log stats: %+v", d)
	}
	if why := skipReason(res, d.ID); !strings.Contains(why, "DELIVERY") {
		t.Errorf("the Delivery-class group was skipped for %q, want its log class named (was it queried at all?)", why)
	}

	// Slack and Opsgenie stand-ins that check the contracts.
	var mu sync.Mutex
	var slackTexts []string
	slack := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/services/T000/B000/XXXX", func(w http.ResponseWriter, r *http.Request) {
			var msg struct {
				Text   string            `json:"text"`
				Blocks []json.RawMessage `json:"blocks"`
			}
			if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&msg) != nil || msg.Text == "" || len(msg.Blocks) == 0 || len(msg.Blocks) > 50 {
				http.Error(w, "invalid_payload", http.StatusBadRequest)
				return
			}
			mu.Lock()
			slackTexts = append(slackTexts, msg.Text)
			mu.Unlock()
			io.WriteString(w, "ok")
		})
	})
	slack.Start()
	t.Cleanup(slack.Stop)
	alerts := 0
	og := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Message, Alias, Priority string }
		if r.Header.Get("Authorization") != "GenieKey "+realOrgKey || r.Method != http.MethodPost || r.URL.Path != "/v2/alerts" ||
			json.NewDecoder(r.Body).Decode(&body) != nil || body.Message == "" || body.Alias == "" {
			http.Error(w, `{"message":"bad request"}`, http.StatusUnprocessableEntity)
			return
		}
		mu.Lock()
		alerts++
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"result":"Request will be processed","took":0.01,"requestId":"r-1"}`)
	}))
	t.Cleanup(og.Close)
	t.Setenv("SLACK_WEBHOOK_URL", "http://"+slack.ServerAddr+"/services/T000/B000/XXXX")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_CHANNEL", "")
	t.Setenv("OPSGENIE_API_KEY", realOrgKey)
	t.Setenv("OPSGENIE_URL", og.URL)

	out := filepath.Join(dir, "reports")
	stdout, stderr, code := runCLI(t, "notify", "--scan", scanPath, "-o", out, "--text")
	if code != 0 {
		t.Fatalf("notify exit %d, want 0 (everything delivered): %s", code, stderr)
	}
	for _, name := range []string{"scan.json", "report.json", "report.csv", "summary.csv", "slack.json", "opsgenie.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("withheld: %v", err)
		}
	}
	if len(slackTexts) != 1 || alerts == 0 {
		t.Fatalf("%d Slack posts and %d alerts, want 1 post and some alerts", len(slackTexts), alerts)
	}

	// The digest's first lines and Slack's notification text say what was
	// not covered, naming the account and the share of the fleet.
	head := strings.Join(firstLines(stdout, 4), "\n")
	for _, where := range []struct{ name, text string }{{"digest's first lines", head}, {"Slack notification text", slackTexts[0]}} {
		if !strings.Contains(where.text, realOrgDenied) || !strings.Contains(strings.ToLower(where.text), "not covered") {
			t.Errorf("the %s do not say what was not covered (account %s):\n%s", where.name, realOrgDenied, where.text)
		}
	}

	// Every region is priced: each account-region that answered has
	// functions with a cost on the report day; the Managed Instances
	// function has none (billed on EC2 capacity) and the report says why.
	priced := map[string]int{}
	for _, r := range readCSV(t, filepath.Join(out, "report.csv")) {
		if r["function"] == "inference-on-instances" {
			if r["report_day_cost_usd"] != "" || r["gb_seconds"] != "" {
				t.Errorf("the Managed Instances function was priced as GB-seconds: %v", r)
			}
			continue
		}
		if r["report_day_cost_usd"] != "" {
			priced[r["account"]+"/"+r["region"]]++
		}
	}
	for _, a := range []string{"111111111111", "222222222222"} {
		for _, reg := range []string{"us-east-1", "eu-west-2", "ap-south-1", "sa-east-1"} {
			if priced[a+"/"+reg] == 0 {
				t.Errorf("no function of %s/%s has a cost in report.csv", a, reg)
			}
		}
	}
	// The cost of the day leaves the Managed Instances function out, and
	// says so rather than reading as the fleet's cost.
	if !strings.Contains(stdout, "priced for ") {
		t.Errorf("the digest's cost row does not say it leaves out a function without a price:\n%s", stdout)
	}
	rep := readReportFile(t, filepath.Join(out, "report.json"))
	if !missingNames(rep, mi.ID, "Managed Instances") {
		t.Errorf("the report's missing list does not say why %s has no cost: %+v", mi.ID, rep.Missing)
	}
}

func firstLines(s string, n int) []string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return lines
}

// skipReason is why the scan did not query the function's log group.
func skipReason(res *scanner.Result, id string) string {
	for _, sk := range res.Logs.Skipped {
		for _, f := range sk.Functions {
			if f == id {
				return sk.Reason
			}
		}
	}
	return ""
}

// missingNames says whether the report's missing list names the function
// with a reason containing why.
func missingNames(rep *insights.Report, id, why string) bool {
	for _, m := range rep.Missing {
		b, _ := json.Marshal(m)
		if strings.Contains(string(b), id) && strings.Contains(string(b), why) {
			return true
		}
	}
	return false
}
