package logstats

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/lambdaudit/lambdaudit/metrics"
)

// Lambda log formats (LoggingConfig.LogFormat).
const (
	LogFormatText = "Text"
	LogFormatJSON = "JSON"
)

// Logs Insights limits and price (AWS-FACTS.md).
const (
	// MaxLogGroupsPerQuery is the most log groups one StartQuery takes.
	MaxLogGroupsPerQuery = 50
	// MaxQueryRows is the most rows a query returns: the StartQuery Limit
	// the runner asks for, AWS's maximum (cloudwatchlogs v1.92 docs).
	MaxQueryRows = 100000
	// MaxRowsPerPage is the most rows one GetQueryResults page holds;
	// the rest follow by nextToken.
	MaxRowsPerPage = 10000
	// PricePerGB is what Logs Insights charges per GB scanned, in USD
	// (us-east-1), GB = 2^30 bytes as the simulated account counts it.
	PricePerGB     = 0.005
	logsBytesPerGB = 1 << 30
)

// Reasons a function gets no log stats. They go to the coverage ledger
// verbatim.
const (
	// ReasonLogBudget: the log group's estimated bytes did not fit in
	// what was left of the scan's bytes budget (see NewPlan for the order).
	ReasonLogBudget = "log budget"
	// ReasonNoLogData: AWS/Logs IncomingBytes has no (or only zero) data
	// for the log group over the window, so there is nothing to scan. This
	// is no data, not zero invocations.
	ReasonNoLogData = "no log data in window"
	// ReasonNoEstimate: a budget is set but there is no IncomingBytes
	// estimate for the log group, so its cost cannot be bounded.
	ReasonNoEstimate = "no log size estimate"
	// ReasonLambdaInsights: PlanOptions.SkipLambdaInsights is set and
	// the function's memory and init duration come from LambdaInsights.
	ReasonLambdaInsights = "covered by LambdaInsights"
	// ReasonNoLogGroup: StartQuery said the log group does not exist.
	ReasonNoLogGroup = "no log group"
	// ReasonLogGroupClass: the log group is in the Delivery log class
	// (Lambda logs delivered on to S3 or Firehose), which Logs Insights
	// cannot query. Like ReasonNoLogGroup it is coverage: there is
	// nothing a retry or a permission could bring back.
	ReasonLogGroupClass = "log group class DELIVERY cannot be queried"
	// ReasonLogGroupDenied: StartQuery was denied on this log group alone
	// (a resource-level IAM denial naming it); the batch's other groups
	// were queried. Data that should have come back was lost.
	ReasonLogGroupDenied = "AccessDeniedException logs:StartQuery on the log group"
	// ReasonLogFormat: the function's log format is neither Text nor JSON.
	ReasonLogFormat = "unsupported log format"
)

// CoverageReason reports whether a reason a function got no log
// stats is coverage — nothing was lost that the scan should have had: a
// budget skip, no log data or no estimate, LambdaInsights instead, an
// unsupported log format, a log group that does not exist or is in the
// Delivery class — rather than a failure (an API error, a denial, a
// query that ended badly), which is data lost.
func CoverageReason(reason string) bool {
	switch reason {
	case ReasonLogBudget, ReasonNoLogData, ReasonNoEstimate, ReasonLambdaInsights, ReasonNoLogGroup, ReasonLogGroupClass:
		return true
	}
	return strings.HasPrefix(reason, ReasonLogFormat+" ")
}

// BudgetBytes converts a Logs Insights budget in USD into bytes
// scanned at PricePerGB.
func BudgetBytes(usd float64) float64 { return usd / PricePerGB * logsBytesPerGB }

// CostUSD is what scanning bytes costs at PricePerGB.
func CostUSD(bytes float64) float64 { return bytes / logsBytesPerGB * PricePerGB }

// GroupRef is one log group of a Batch and the functions that log
// to it (usually one; several when functions share a custom log group).
type GroupRef struct {
	Name      string   `json:"name"`
	Functions []string `json:"functions"`
	// EstimatedBytes is the IncomingBytes estimate over the window; 0
	// when unknown (no budget was set and no estimate was given).
	EstimatedBytes float64 `json:"estimatedBytes,omitempty"`
}

// Batch is one Logs Insights query's worth of work: at most
// MaxLogGroupsPerQuery log groups of one account-region and one log
// format, over a window. It is the body of a fanout unit (JSON).
type Batch struct {
	Account string         `json:"account"`
	Region  string         `json:"region"`
	Format  string         `json:"format"`
	Window  metrics.Window `json:"window"`
	Groups  []GroupRef     `json:"groups"`
}

// Items are the function IDs the batch covers, in group order.
func (b *Batch) Items() []string {
	var out []string
	for _, g := range b.Groups {
		out = append(out, g.Functions...)
	}
	return out
}

// EstimatedBytes is the sum of the groups' estimates.
func (b *Batch) EstimatedBytes() float64 {
	var t float64
	for _, g := range b.Groups {
		t += g.EstimatedBytes
	}
	return t
}

// logsGroupsPerQuery is how many log groups a query over days days may take:
// at most MaxLogGroupsPerQuery, and few enough that one row per group
// and day fits in MaxQueryRows.
func logsGroupsPerQuery(days int) int {
	return max(1, min(MaxLogGroupsPerQuery, MaxQueryRows/max(1, days)))
}

// Validate reports a batch that cannot be run as one query.
func (b *Batch) Validate() error {
	if err := b.Window.Validate(); err != nil {
		return fmt.Errorf("logs batch %s/%s: %w", b.Account, b.Region, err)
	}
	switch {
	case b.Account == "" || b.Region == "":
		return fmt.Errorf("logs batch: account and region are required, got %q/%q", b.Account, b.Region)
	case b.Format != LogFormatText && b.Format != LogFormatJSON:
		return fmt.Errorf("logs batch %s/%s: format must be %s or %s, got %q", b.Account, b.Region, LogFormatText, LogFormatJSON, b.Format)
	case len(b.Groups) > logsGroupsPerQuery(b.Window.Days):
		return fmt.Errorf("logs batch %s/%s: %d log groups, at most %d per query over %d days", b.Account, b.Region, len(b.Groups), logsGroupsPerQuery(b.Window.Days), b.Window.Days)
	}
	seen := map[string]bool{}
	for _, g := range b.Groups {
		if g.Name == "" || len(g.Functions) == 0 {
			return fmt.Errorf("logs batch %s/%s: a log group needs a name and functions, got %+v", b.Account, b.Region, g)
		}
		if seen[g.Name] {
			return fmt.Errorf("logs batch %s/%s: log group %s listed twice", b.Account, b.Region, g.Name)
		}
		seen[g.Name] = true
	}
	return nil
}

// Skip is a function that gets no log stats, and why.
type Skip struct {
	ID       string `json:"id"`
	LogGroup string `json:"logGroup"`
	Reason   string `json:"reason"`
	// EstimatedBytes is the group's estimate, when known.
	EstimatedBytes float64 `json:"estimatedBytes,omitempty"`
}

// PlanOptions tune NewPlan.
type PlanOptions struct {
	// BudgetBytes caps the estimated bytes scanned by the whole plan; 0
	// (or less) means no budget. BudgetBytes converts dollars.
	BudgetBytes float64
	// SkipLambdaInsights skips log groups whose functions all emit
	// LambdaInsights (reason ReasonLambdaInsights). By default they are
	// queried after every other group, budget permitting, because
	// LambdaInsights has memory and init duration but not timeouts,
	// out-of-memory ends nor billed duration.
	SkipLambdaInsights bool
}

// Plan is the Logs Insights work of a scan: the batches to run, the
// functions left out with their reasons, and the estimated bytes the
// batches will scan.
type Plan struct {
	Batches        []Batch `json:"batches"`
	Skipped        []Skip  `json:"skipped,omitempty"`
	EstimatedBytes float64 `json:"estimatedBytes"`
}

// EstimatedUSD is the plan's estimated Logs Insights cost.
func (p *Plan) EstimatedUSD() float64 { return CostUSD(p.EstimatedBytes) }

// logsSplitID splits a function ID "account/region/name".
func logsSplitID(id string) (account, region, name string, err error) {
	parts := strings.Split(id, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", fmt.Errorf("function ID %q: want account/region/name", id)
	}
	return parts[0], parts[1], parts[2], nil
}

// logsPlanGroup is one log group of one account-region while planning.
type logsPlanGroup struct {
	account, region, name, format string
	fns                           []string
	insights                      bool // every function has LambdaInsights
	known                         bool // an estimate exists
	bytes                         float64
}

// NewPlan turns functions into Logs Insights batches over the window.
//
// Functions are grouped by account-region (from their IDs), log group
// (LogGroup, default /aws/lambda/<name>) and log format (default Text);
// functions sharing a log group are queried once. estimates holds the
// daily AWS/Logs IncomingBytes Sum per function ID, as the GetMetricData
// half returns it; a group's estimate is the sum of its non-nil days
// (the largest among its functions when several have one). A group
// whose estimate is present but has no data or only zeros is skipped
// with ReasonNoLogData: nothing was written, so there is nothing to scan.
// A group with no estimate at all is queried when there is no budget and
// skipped with ReasonNoEstimate when there is one; nil estimates mean
// none is known.
//
// The budget order: groups are admitted by descending estimated bytes —
// the busiest log groups first, since bytes follow invocations and the
// busiest functions are where memory, cold-start and timeout findings
// are worth most — with groups whose functions all have LambdaInsights
// after every other group (their memory and init data exists anyway).
// A group that does not fit in what is left of the budget is skipped
// with ReasonLogBudget and the next, smaller one is tried, so one huge
// group cannot starve the rest. Ties go by account, region and name.
//
// Batches are dense: each (account-region, format) gets
// ceil(groups / per) batches, per = 50, or fewer groups when the window
// is so long that one row per group and day would pass MaxQueryRows.
// Groups are in the order of their functions' IDs (a group's first),
// within a batch and across the batches of an (account, region, format),
// batches in (account, region, format) order: the order the assembly
// writes functions in, so that it holds one batch's outcome at a time.
func NewPlan(fns []metrics.Function, w metrics.Window, estimates map[string]metrics.Series, opt PlanOptions) (*Plan, error) {
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("plan logs: %w", err)
	}
	plan := &Plan{}
	type key struct{ account, region, name string }
	groups := map[key]*logsPlanGroup{}
	var order []*logsPlanGroup
	for _, fn := range fns {
		account, region, name, err := logsSplitID(fn.ID)
		if err != nil {
			return nil, fmt.Errorf("plan logs: %w", err)
		}
		lg := fn.LogGroup
		if lg == "" {
			lg = "/aws/lambda/" + name
		}
		format := fn.LogFormat
		if format == "" {
			format = LogFormatText
		}
		if format != LogFormatText && format != LogFormatJSON {
			plan.Skipped = append(plan.Skipped, Skip{ID: fn.ID, LogGroup: lg, Reason: ReasonLogFormat + " " + format})
			continue
		}
		k := key{account, region, lg}
		g := groups[k]
		if g == nil {
			g = &logsPlanGroup{account: account, region: region, name: lg, format: format, insights: true}
			groups[k] = g
			order = append(order, g)
		}
		g.fns = append(g.fns, fn.ID)
		g.insights = g.insights && fn.LambdaInsights
		if s, ok := estimates[fn.ID]; ok {
			var sum float64
			for _, v := range s {
				if v != nil {
					sum += *v
				}
			}
			g.known = true
			g.bytes = max(g.bytes, sum)
		}
	}
	skip := func(g *logsPlanGroup, reason string) {
		for _, id := range g.fns {
			plan.Skipped = append(plan.Skipped, Skip{ID: id, LogGroup: g.name, Reason: reason, EstimatedBytes: g.bytes})
		}
	}
	budget := opt.BudgetBytes > 0
	var cands []*logsPlanGroup
	for _, g := range order {
		switch {
		case opt.SkipLambdaInsights && g.insights:
			skip(g, ReasonLambdaInsights)
		case g.known && g.bytes <= 0:
			skip(g, ReasonNoLogData)
		case !g.known && budget:
			skip(g, ReasonNoEstimate)
		default:
			cands = append(cands, g)
		}
	}
	slices.SortFunc(cands, func(a, b *logsPlanGroup) int {
		if a.insights != b.insights {
			if a.insights {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(b.bytes, a.bytes), cmp.Compare(a.account, b.account),
			cmp.Compare(a.region, b.region), cmp.Compare(a.name, b.name))
	})
	var admitted []*logsPlanGroup
	for _, g := range cands {
		if budget && plan.EstimatedBytes+g.bytes > opt.BudgetBytes {
			skip(g, ReasonLogBudget)
			continue
		}
		plan.EstimatedBytes += g.bytes
		admitted = append(admitted, g)
	}
	// In the order of their functions' IDs (the first of each group's),
	// not of the group names: the assembly writes functions in ID order
	// and lets a batch's outcome go after its last function, so batches
	// that follow the IDs are held one at a time. A custom log group
	// ("/teams/…") sorted by its name would keep its batch to the end.
	slices.SortFunc(admitted, func(a, b *logsPlanGroup) int {
		return cmp.Or(cmp.Compare(a.account, b.account), cmp.Compare(a.region, b.region),
			cmp.Compare(a.format, b.format), cmp.Compare(slices.Min(a.fns), slices.Min(b.fns)), cmp.Compare(a.name, b.name))
	})
	per := logsGroupsPerQuery(w.Days)
	for i := 0; i < len(admitted); {
		g := admitted[i]
		b := Batch{Account: g.account, Region: g.region, Format: g.format, Window: w}
		for ; i < len(admitted) && len(b.Groups) < per; i++ {
			h := admitted[i]
			if h.account != g.account || h.region != g.region || h.format != g.format {
				break
			}
			b.Groups = append(b.Groups, GroupRef{Name: h.name, Functions: h.fns, EstimatedBytes: h.bytes})
		}
		plan.Batches = append(plan.Batches, b)
	}
	return plan, nil
}
