package logstats_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// lgOrgSpec adds to lgSpec's shapes what real organisations have: a
// deprecated runtime that still logs "Task timed out after", a
// Delivery-class log group, and a Lambda Managed Instances function.
const lgOrgSpec = lgSpec + `    - name: text-legacy
      runtime: nodejs16.x
      timeoutS: 5
      profile:
        invocations: 300
        duration: {p50: 100, max: 4000}
        timeouts: 6
    - name: shipped
      logGroupClass: DELIVERY
      profile:
        invocations: 700
    - name: managed
      capacityProvider: org-cp
      memoryMB: 16384
      timeoutS: 3600
      profile:
        invocations: 90
        timeouts: 2
        duration: {p50: 1000, max: 3000000}
`

// lgRunBatches runs every batch of a plan with api, one after the other,
// and returns the stats, the failures (reason and group by function) and
// the runs' errors.
func lgRunBatches(t *testing.T, r *logstats.Runner, api logstats.API, plan *logstats.Plan) (map[string]*logstats.Stats, map[string]string, []error, int) {
	t.Helper()
	stats, failed := map[string]*logstats.Stats{}, map[string]string{}
	var errs []error
	pages := 0
	for _, b := range plan.Batches {
		res, err := r.Run(context.Background(), api, b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for id, s := range res.Stats {
			stats[id] = s
		}
		for _, f := range res.Failed {
			failed[f.ID] = f.Reason + " " + f.LogGroup
		}
		pages += res.Pages
	}
	return stats, failed, errs, pages
}

// lgSmallPages asks GetQueryResults for pages of n rows, so a small fleet
// exercises nextToken the way 10,000-row pages of a big one would.
type lgSmallPages struct {
	logstats.API
	n     int32
	calls atomic.Int64
}

func (p *lgSmallPages) GetQueryResults(ctx context.Context, in *cloudwatchlogs.GetQueryResultsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetQueryResultsOutput, error) {
	p.calls.Add(1)
	cp := *in
	cp.MaxItems = aws.Int32(p.n)
	return p.API.GetQueryResults(ctx, &cp, opts...)
}

// TestLogsRunFollowsResultPages: every page is read and mapped; without
// the pages after the first most functions would have no data.
func TestLogsRunFollowsResultPages(t *testing.T) {
	qopt, set := lgFakeQueries()
	env := simtest.Start(t, lgOrgSpec, qopt)
	w := metrics.LastCompleteDay(simtest.Now)
	tr := lgTruths(env.Fleet)
	var fns []metrics.Function
	for _, f := range lgFunctions(env.Fleet) {
		if !strings.HasSuffix(f.ID, "/shipped") {
			fns = append(fns, f)
		}
	}
	plan, err := logstats.NewPlan(fns, w, nil, logstats.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	api := &lgSmallPages{API: lgClient(env, "us-east-1"), n: 7}
	stats, failed, errs, pages := lgRunBatches(t, logstats.NewRunner(set), api, plan)
	if len(errs) > 0 || len(failed) > 0 {
		t.Fatalf("errors %v, failed %v", errs, failed)
	}
	withData := 0
	for _, f := range fns {
		withData += lgCheckTruth(t, f.ID, tr[f.ID], w, stats[f.ID])
	}
	// Rows are one per group and day with data: pages of 7 need at least
	// withData/7 pages, and a page per batch would have left most out.
	if pages < withData/7 || pages <= len(plan.Batches) {
		t.Errorf("%d pages read for %d rows with data in %d batches", pages, withData, len(plan.Batches))
	}
	if got := int(api.calls.Load()); got < pages {
		t.Errorf("%d GetQueryResults calls, fewer than the %d pages counted", got, pages)
	}
	// The runner asks for AWS's maximum limit, which the sim accepts.
	if n := env.Server.Accounting().API("logs", "StartQuery").Calls; n != int64(len(plan.Batches)) {
		t.Errorf("%d StartQuery calls, want one per batch (%d)", n, len(plan.Batches))
	}
}

// TestLogsTimeoutsFromReportStatus: timeouts are the REPORT records with
// status timeout, in Text and JSON, whether or not the runtime also wrote
// a "Task timed out after" line (never counted twice), and on Managed
// Instances functions (JSON only).
func TestLogsTimeoutsFromReportStatus(t *testing.T) {
	qopt, set := lgFakeQueries()
	env := simtest.Start(t, lgOrgSpec, qopt)
	w := metrics.LastCompleteDay(simtest.Now)
	tr := lgTruths(env.Fleet)
	plan, err := logstats.NewPlan(lgFunctions(env.Fleet), w, nil, logstats.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stats, _, errs, _ := lgRunBatches(t, logstats.NewRunner(set), lgClient(env, "us-east-1"), plan)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, tc := range []struct {
		name, fn string
		want     float64 // timeouts over the window
	}{
		{"current Text runtime: REPORT status only", "text-api", 4 * 14},
		{"deprecated runtime with the line too: counted once", "text-legacy", 6 * 14},
		{"JSON record.status", "json-api", 3 * 14},
		{"Managed Instances (JSON)", "managed", 2 * 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "111111111111/us-east-1/" + tc.fn
			s := stats[id]
			if s == nil {
				t.Fatalf("no stats for %s", id)
			}
			var got float64
			for _, v := range s.Timeouts {
				if v != nil {
					got += *v
				}
			}
			if got != tc.want {
				t.Errorf("timeouts over the window %v, want %v", got, tc.want)
			}
			lgCheckTruth(t, id, tr[id], w, s)
		})
	}
}

// lgNamelessClass rewrites the Delivery-class refusal so it names no log
// group: the runner must find the group by splitting.
type lgNamelessClass struct {
	logstats.API
	starts atomic.Int64
}

func (a *lgNamelessClass) StartQuery(ctx context.Context, in *cloudwatchlogs.StartQueryInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StartQueryOutput, error) {
	a.starts.Add(1)
	out, err := a.API.StartQuery(ctx, in, opts...)
	var ip *types.InvalidParameterException
	if errors.As(err, &ip) {
		return nil, &types.InvalidParameterException{Message: aws.String("Log groups in the DELIVERY log class do not support this operation")}
	}
	return out, err
}

// TestLogsDeliveryClassGroupAlone: a batch with a Delivery-class group
// loses that group's function only, with the normalised reason.
func TestLogsDeliveryClassGroupAlone(t *testing.T) {
	for _, tc := range []struct {
		name     string
		nameless bool
	}{
		{"named by the error", false},
		{"found by splitting", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qopt, set := lgFakeQueries()
			env := simtest.Start(t, lgOrgSpec, qopt)
			w := metrics.LastCompleteDay(simtest.Now)
			tr := lgTruths(env.Fleet)
			fns := lgFunctions(env.Fleet)
			plan, err := logstats.NewPlan(fns, w, nil, logstats.PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var api logstats.API = lgClient(env, "us-east-1")
			wrap := &lgNamelessClass{API: api}
			if tc.nameless {
				api = wrap
			}
			stats, failed, errs, _ := lgRunBatches(t, logstats.NewRunner(set), api, plan)
			if len(errs) > 0 {
				t.Fatalf("a Delivery-class group failed a whole batch: %v", errs)
			}
			want := map[string]string{"111111111111/us-east-1/shipped": "log group class DELIVERY cannot be queried /aws/lambda/shipped"}
			if fmt.Sprint(failed) != fmt.Sprint(want) {
				t.Errorf("failed %v, want %v", failed, want)
			}
			for _, f := range fns {
				if _, bad := want[f.ID]; !bad {
					lgCheckTruth(t, f.ID, tr[f.ID], w, stats[f.ID])
				}
			}
			if tc.nameless && wrap.starts.Load() > 8 {
				t.Errorf("%d StartQuery calls to find one group among %d", wrap.starts.Load(), len(fns))
			}
		})
	}
}

// TestLogsDeniedOnOneLogGroup: StartQuery denied on one log group (a
// resource-level IAM denial, which names it) costs that group only; a
// denial of the whole action fails the batch at once, without a
// StartQuery per group.
func TestLogsDeniedOnOneLogGroup(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults []sim.Fault
		failed []string // function names with ReasonLogGroupDenied
		// batchError: a batch fails as a whole (the caller retries it and
		// then fails each of its functions with the error).
		batchError bool
		maxStarts  int64
	}{
		{"one group", []sim.Fault{{Service: "logs", LogGroup: "/aws/lambda/text-api", AccessDenied: true}}, []string{"text-api"}, false, 3},
		{"one function's group, by function", []sim.Fault{{Service: "logs", Function: "json-api", AccessDenied: true}}, []string{"json-api"}, false, 3},
		{"StartQuery denied outright", []sim.Fault{{Service: "logs", API: "StartQuery", AccessDenied: true}}, nil, true, 2},
		{"more groups denied than a batch splits for", []sim.Fault{
			{Service: "logs", Function: "text-api", AccessDenied: true},
			{Service: "logs", Function: "text-old", AccessDenied: true},
			{Service: "logs", Function: "text-idle", AccessDenied: true},
		}, nil, true, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qopt, set := lgFakeQueries()
			env := simtest.Start(t, lgSpec, qopt, sim.WithFaults(tc.faults...))
			w := metrics.LastCompleteDay(simtest.Now)
			tr := lgTruths(env.Fleet)
			fns := lgFunctions(env.Fleet)
			plan, err := logstats.NewPlan(fns, w, nil, logstats.PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			stats, failed, errs, _ := lgRunBatches(t, logstats.NewRunner(set), lgClient(env, "us-east-1"), plan)
			var gotFailed []string
			for id, why := range failed {
				if !strings.HasPrefix(why, logstats.ReasonLogGroupDenied+" ") {
					t.Errorf("%s: reason %q", id, why)
				}
				gotFailed = append(gotFailed, strings.TrimPrefix(id, "111111111111/us-east-1/"))
			}
			sort.Strings(gotFailed)
			if fmt.Sprint(gotFailed) != fmt.Sprint(tc.failed) {
				t.Errorf("failed %v, want %v", gotFailed, tc.failed)
			}
			if (len(errs) > 0) != tc.batchError {
				t.Errorf("batch errors %v, want some: %v", errs, tc.batchError)
			}
			if !tc.batchError {
				for _, f := range fns {
					if _, bad := failed[f.ID]; !bad {
						lgCheckTruth(t, f.ID, tr[f.ID], w, stats[f.ID])
					}
				}
			}
			if n := env.Server.Accounting().API("logs", "StartQuery").Calls; n > tc.maxStarts {
				t.Errorf("%d StartQuery calls, want at most %d", n, tc.maxStarts)
			}
		})
	}
}

func TestLogsCoverageReason(t *testing.T) {
	for _, tc := range []struct {
		reason   string
		coverage bool
	}{
		{logstats.ReasonLogBudget, true},
		{logstats.ReasonNoLogData, true},
		{logstats.ReasonNoEstimate, true},
		{logstats.ReasonLambdaInsights, true},
		{logstats.ReasonNoLogGroup, true},
		{logstats.ReasonLogGroupClass, true},
		{logstats.ReasonLogFormat + " XML", true},
		{logstats.ReasonLogGroupDenied, false},
		{"AccessDeniedException: User: x is not authorized", false},
		{"logs insights query q in a/r over 3 log groups ended Failed", false},
		{logstats.ReasonLogFormat, false},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			if got := logstats.CoverageReason(tc.reason); got != tc.coverage {
				t.Errorf("CoverageReason(%q) = %v, want %v", tc.reason, got, tc.coverage)
			}
		})
	}
}
