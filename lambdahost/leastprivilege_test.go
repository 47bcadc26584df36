package lambdahost_test

import (
	"context"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/infra"
	"github.com/lambdaudit/lambdaudit/lambdahost"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// orgSpec is an organization of two accounts: the central one (the
// simulator's caller, the management account) and a member entered with
// its role.
const orgSpec = `
seed: 12
days: 15
now: "2026-11-21T06:00:00Z"
generate:
  functions: 60
  accounts: ["111111111111", "222222222222"]
  regions: [us-east-1, eu-west-2]
  mix: {near-timeout: 0.05, provisioned-concurrency-idle: 0.05, error-rate: 0.05}
`

// sigv4Service is the SDK service ID of the simulator's SigV4 service names.
var sigv4Service = map[string]string{
	"lambda": "Lambda", "monitoring": "CloudWatch", "logs": "CloudWatch Logs", "sts": "STS",
	"tagging": "Resource Groups Tagging API", "ec2": "EC2", "organizations": "Organizations",
}

// used collects the IAM actions each role performed.
type used map[string]map[string]bool

func (u used) add(t *testing.T, role, serviceID, op string) {
	t.Helper()
	a, ok := infra.IAMAction(serviceID, op)
	if !ok {
		if serviceID+":"+op == "STS:GetCallerIdentity" {
			return // answers any caller
		}
		t.Errorf("%s called %s:%s, which infra.IAMAction does not know", role, serviceID, op)
		return
	}
	if u[role] == nil {
		u[role] = map[string]bool{}
	}
	u[role][a] = true
}

// fromSim adds the calls the simulator answered since its last reset:
// the central account's to role, the member's to the member role.
func (u used) fromSim(t *testing.T, env *simtest.Env, role string) {
	t.Helper()
	for _, c := range env.Server.Accounting().Calls {
		r := role
		if c.Account == "222222222222" {
			r = infra.MemberRole
		}
		u.add(t, r, sigv4Service[c.Service], c.API)
	}
	env.Server.ResetAccounting()
}

func (u used) fromHost(t *testing.T, role string, h *lambdahost.Host) {
	t.Helper()
	for k := range h.Calls() {
		svc, op, _ := strings.Cut(k, ":")
		u.add(t, role, svc, op)
	}
}

// unused are the actions the templates grant that this run does not
// perform, with why they are granted anyway.
var unused = map[string]map[string]string{
	infra.WorkRole: {
		"logs:StopQuery":              "stops the running Logs Insights queries of an interrupted unit (deadline margin)",
		"sqs:ChangeMessageVisibility": "hides a FIFO retry until its delay, and a message that is not a unit (fault tests)",
		"ssm:GetParameter":            "reads the delivery secrets when a worker runs the report unit (here the report unit is lost and the report role reports)",
	},
	infra.MemberRole: {
		"logs:StopQuery": "stops the running Logs Insights queries of an interrupted unit (deadline margin)",
	},
}

// TestLeastPrivilege runs a deployed scan of an organization — plan,
// work containers, the report at its deadline — records every AWS action
// each role performed (the simulator and the hosts' meters see them all),
// and compares them with what infra/ grants each role under this
// configuration: nothing used that is not granted, nothing granted that
// is never used unless AWS itself uses it (infra.UsedByAWS) or it is
// listed above with its reason.
func TestLeastPrivilege(t *testing.T) {
	d := deploy(t, orgSpec, setup{sim: []sim.Option{sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Millisecond})},
		env: []string{"LAMBDAUDIT_ACCOUNTS=all", "LAMBDAUDIT_ROLE=lambdaudit-member", "LAMBDAUDIT_REGIONS=all"}})
	u := used{}
	d.env.Server.ResetAccounting()

	plan := d.host(t, lambdahost.HandlerPlan)
	if _, err := plan.Plan(context.Background(), lambdahost.Event{Kind: "plan", ScheduledTime: simtest.Now.Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	u.fromSim(t, d.env, infra.PlanRole)
	u.fromHost(t, infra.PlanRole, plan)

	// The report unit is lost, so the report function reports at the
	// deadline: every part of the report runs under the report role.
	workers := d.workers(t, 2)
	d.drainWith(t, workers, drainOpts{drop: func(u fanout.Unit) bool { return u.Kind == lambdahost.KindReport }})
	u.fromSim(t, d.env, infra.WorkRole)
	for _, w := range workers {
		u.fromHost(t, infra.WorkRole, w)
	}

	c, err := lambdahost.ConfigFromEnv(append([]string{"LAMBDAUDIT_HANDLER=report"}, d.environ...), nil)
	if err != nil {
		t.Fatal(err)
	}
	report, err := lambdahost.New(d.env.Config, c, lambdahost.WithServiceConfig(d.moto), lambdahost.WithMetricsOutput(io.Discard),
		lambdahost.WithClock(func() time.Time { return simtest.Now.Add(lambdahost.DefaultReportDeadline + time.Minute) }))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := report.Report(context.Background(), lambdahost.Event{Kind: "deadline"}); err != nil || len(r.Reported) != 1 {
		t.Fatalf("deadline report: %+v, %v", r, err)
	}
	u.fromSim(t, d.env, infra.ReportRole)
	u.fromHost(t, infra.ReportRole, report)
	if len(d.slack.posts) != 1 {
		t.Fatalf("slack got %d posts, want 1", len(d.slack.posts))
	}

	// The conditions of the central template under this configuration:
	// Organizations mode, regions given, the central account scanned, a
	// Slack webhook, no customer KMS key.
	holds := map[string]bool{"HasAccounts": true, "OrganizationsMode": true, "HasRegions": true, "ScanSelf": true,
		"HasSlackWebhook": true, "HasSecrets": true}
	granted := func(tmpl, role string) map[string]bool {
		t.Helper()
		tp, err := infra.Load(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		gs, err := tp.Grants(role)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, g := range gs {
			ok := true
			for _, c := range g.Conditions {
				if neg, found := strings.CutPrefix(c, "!"); found {
					ok = ok && !holds[neg]
				} else {
					ok = ok && holds[c]
				}
			}
			if ok {
				out[g.Action] = true
			}
		}
		return out
	}
	for _, tc := range []struct{ tmpl, role string }{
		{infra.Central, infra.PlanRole}, {infra.Central, infra.WorkRole}, {infra.Central, infra.ReportRole}, {infra.Member, infra.MemberRole},
	} {
		t.Run(tc.role, func(t *testing.T) {
			g := granted(tc.tmpl, tc.role)
			var missing, idle []string
			for a := range u[tc.role] {
				if !g[a] {
					missing = append(missing, a)
				}
			}
			for a := range g {
				if !u[tc.role][a] && infra.UsedByAWS[tc.role][a] == "" && unused[tc.role][a] == "" {
					idle = append(idle, a)
				}
			}
			sort.Strings(missing)
			sort.Strings(idle)
			if len(missing) > 0 {
				t.Errorf("used but not granted: %v", missing)
			}
			if len(idle) > 0 {
				t.Errorf("granted but never used (and not listed with a reason): %v", idle)
			}
			var all []string
			for a := range u[tc.role] {
				all = append(all, a)
			}
			slices.Sort(all)
			t.Logf("%s used %v", tc.role, all)
		})
	}
}
