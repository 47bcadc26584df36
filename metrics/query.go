package metrics

import (
	"fmt"
	"slices"
)

// Metric keys name one statistic of one CloudWatch metric as
// "<MetricName>:<Stat>". Results are keyed by (Query.Key, metric key).
const (
	// InvocationsSum is AWS/Lambda Invocations, Sum.
	InvocationsSum = "Invocations:Sum"
	// ErrorsSum is AWS/Lambda Errors (timeouts included), Sum.
	ErrorsSum = "Errors:Sum"
	// ThrottlesSum is AWS/Lambda Throttles, Sum.
	ThrottlesSum = "Throttles:Sum"
	// DurationSum is AWS/Lambda Duration in ms, Sum.
	DurationSum = "Duration:Sum"
	// DurationMaximum is AWS/Lambda Duration in ms, Maximum.
	DurationMaximum = "Duration:Maximum"
	// DurationP99 is AWS/Lambda Duration in ms, p99.
	DurationP99 = "Duration:p99"
	// ConcurrentExecutionsMaximum is AWS/Lambda ConcurrentExecutions,
	// Maximum: per function, and per region under RegionKey.
	ConcurrentExecutionsMaximum = "ConcurrentExecutions:Maximum"
	// UnreservedConcurrentExecutionsMaximum is the region's
	// UnreservedConcurrentExecutions, Maximum (under RegionKey).
	UnreservedConcurrentExecutionsMaximum = "UnreservedConcurrentExecutions:Maximum"

	// IteratorAgeMaximum is AWS/Lambda IteratorAge in ms, Maximum (optional).
	IteratorAgeMaximum = "IteratorAge:Maximum"
	// AsyncEventsReceivedSum is AWS/Lambda AsyncEventsReceived, Sum (optional).
	AsyncEventsReceivedSum = "AsyncEventsReceived:Sum"
	// AsyncEventAgeMaximum is AWS/Lambda AsyncEventAge in ms, Maximum (optional).
	AsyncEventAgeMaximum = "AsyncEventAge:Maximum"
	// AsyncEventsDroppedSum is AWS/Lambda AsyncEventsDropped, Sum (optional).
	AsyncEventsDroppedSum = "AsyncEventsDropped:Sum"
	// DeadLetterErrorsSum is AWS/Lambda DeadLetterErrors, Sum (optional).
	DeadLetterErrorsSum = "DeadLetterErrors:Sum"
	// DestinationDeliveryFailuresSum is AWS/Lambda DestinationDeliveryFailures, Sum (optional).
	DestinationDeliveryFailuresSum = "DestinationDeliveryFailures:Sum"
	// ProvisionedConcurrencyUtilizationMaximum is AWS/Lambda
	// ProvisionedConcurrencyUtilization (0–1), Maximum (optional).
	ProvisionedConcurrencyUtilizationMaximum = "ProvisionedConcurrencyUtilization:Maximum"
	// ProvisionedConcurrencyInvocationsSum is AWS/Lambda
	// ProvisionedConcurrencyInvocations, Sum (optional).
	ProvisionedConcurrencyInvocationsSum = "ProvisionedConcurrencyInvocations:Sum"
	// ProvisionedConcurrencySpilloverInvocationsSum is AWS/Lambda
	// ProvisionedConcurrencySpilloverInvocations, Sum (optional).
	ProvisionedConcurrencySpilloverInvocationsSum = "ProvisionedConcurrencySpilloverInvocations:Sum"
	// RecursiveInvocationsDroppedSum is AWS/Lambda RecursiveInvocationsDropped, Sum (optional).
	RecursiveInvocationsDroppedSum = "RecursiveInvocationsDropped:Sum"

	// UsedMemoryMaxMaximum is LambdaInsights used_memory_max in MB, Maximum.
	UsedMemoryMaxMaximum = "used_memory_max:Maximum"
	// UsedMemoryMaxP99 is LambdaInsights used_memory_max in MB, p99.
	UsedMemoryMaxP99 = "used_memory_max:p99"
	// MemoryUtilizationMaximum is LambdaInsights memory_utilization in %, Maximum.
	MemoryUtilizationMaximum = "memory_utilization:Maximum"
	// InitDurationMaximum is LambdaInsights init_duration in ms, Maximum.
	InitDurationMaximum = "init_duration:Maximum"
	// InitDurationP95 is LambdaInsights init_duration in ms, p95.
	InitDurationP95 = "init_duration:p95"
	// InitDurationSum is LambdaInsights init_duration in ms, Sum (the
	// INIT time billed).
	InitDurationSum = "init_duration:Sum"
	// InitDurationSampleCount is LambdaInsights init_duration, SampleCount:
	// the cold starts.
	InitDurationSampleCount = "init_duration:SampleCount"

	// IncomingBytesSum is AWS/Logs IncomingBytes of a log group, Sum
	// (keyed by the log group name).
	IncomingBytesSum = "IncomingBytes:Sum"
)

// RegionKey is the Query.Key of the account-region's metrics without
// dimensions.
const RegionKey = "region"

// LambdaInsightsKey is the name Discovery uses for the LambdaInsights
// namespace: a function with it gets the LambdaInsights queries.
const LambdaInsightsKey = "LambdaInsights"

// Daily period of every query, seconds.
const period = 86400

// GetMetricData limits per call (AWS-FACTS.md).
const (
	// MaxQueries is the most MetricDataQueries one call takes.
	MaxQueries = 500
	// MaxDatapoints is the most datapoints one page returns before
	// NextToken.
	MaxDatapoints = 100800
)

// CloudWatch namespaces and dimension names.
const (
	nsLambda   = "AWS/Lambda"
	nsInsights = "LambdaInsights"
	nsLogs     = "AWS/Logs"

	dimFunction = "FunctionName"
	dimInsights = "function_name"
	dimLogGroup = "LogGroupName"
)

// scope is what a query's key names.
type scope uint8

const (
	scopeFunction scope = iota
	scopeRegion
	scopeLogGroup
)

// family is one metric with the statistics lambdaudit reads of it, in
// query order (the statistics of one metric stay adjacent: up to five
// of them in one call bill as one metric).
type family struct {
	ns, name, dim string
	stats         []string
	scope         scope
	keys          []string // name:stat
}

// fam is a family with its metric keys.
func fam(ns, name, dim string, sc scope, stats ...string) family {
	f := family{ns: ns, name: name, dim: dim, stats: stats, scope: sc}
	for _, st := range stats {
		f.keys = append(f.keys, name+":"+st)
	}
	return f
}

// functionMetrics every function gets.
var functionMetrics = []family{
	fam(nsLambda, "Invocations", dimFunction, scopeFunction, "Sum"),
	fam(nsLambda, "Errors", dimFunction, scopeFunction, "Sum"),
	fam(nsLambda, "Throttles", dimFunction, scopeFunction, "Sum"),
	fam(nsLambda, "Duration", dimFunction, scopeFunction, "Sum", "Maximum", "p99"),
	fam(nsLambda, "ConcurrentExecutions", dimFunction, scopeFunction, "Maximum"),
}

// optionalMetrics are queried only for the functions ListMetrics found
// them for (Function.Optional), in this order.
var optionalMetrics = []family{
	fam(nsLambda, "IteratorAge", dimFunction, scopeFunction, "Maximum"),
	fam(nsLambda, "AsyncEventsReceived", dimFunction, scopeFunction, "Sum"),
	fam(nsLambda, "AsyncEventAge", dimFunction, scopeFunction, "Maximum"),
	fam(nsLambda, "AsyncEventsDropped", dimFunction, scopeFunction, "Sum"),
	fam(nsLambda, "DeadLetterErrors", dimFunction, scopeFunction, "Sum"),
	fam(nsLambda, "DestinationDeliveryFailures", dimFunction, scopeFunction, "Sum"),
	fam(nsLambda, "ProvisionedConcurrencyUtilization", dimFunction, scopeFunction, "Maximum"),
	fam(nsLambda, "ProvisionedConcurrencyInvocations", dimFunction, scopeFunction, "Sum"),
	fam(nsLambda, "ProvisionedConcurrencySpilloverInvocations", dimFunction, scopeFunction, "Sum"),
	fam(nsLambda, "RecursiveInvocationsDropped", dimFunction, scopeFunction, "Sum"),
}

// insightsMetrics are queried for functions with LambdaInsights.
var insightsMetrics = []family{
	fam(nsInsights, "used_memory_max", dimInsights, scopeFunction, "Maximum", "p99"),
	fam(nsInsights, "memory_utilization", dimInsights, scopeFunction, "Maximum"),
	fam(nsInsights, "init_duration", dimInsights, scopeFunction, "Maximum", "p95", "Sum", "SampleCount"),
}

// regionMetrics have no dimension.
var regionMetrics = []family{
	fam(nsLambda, "ConcurrentExecutions", "", scopeRegion, "Maximum"),
	fam(nsLambda, "UnreservedConcurrentExecutions", "", scopeRegion, "Maximum"),
}

// logGroupMetrics are per distinct log group.
var logGroupMetrics = []family{
	fam(nsLogs, "IncomingBytes", dimLogGroup, scopeLogGroup, "Sum"),
}

// metricDef is one metric key resolved.
type metricDef struct {
	ns, name, dim, stat string
}

// defs resolves the metric keys of each scope.
var defs = func() [3]map[string]metricDef {
	var m [3]map[string]metricDef
	for i := range m {
		m[i] = map[string]metricDef{}
	}
	for _, fams := range [][]family{functionMetrics, optionalMetrics, insightsMetrics, regionMetrics, logGroupMetrics} {
		for _, f := range fams {
			for i, k := range f.keys {
				m[f.scope][k] = metricDef{f.ns, f.name, f.dim, f.stats[i]}
			}
		}
	}
	return m
}()

// OptionalMetrics are the AWS/Lambda metrics queried only for the
// functions that have them (Function.Optional holds these names), in
// query order.
func OptionalMetrics() []string {
	out := make([]string, len(optionalMetrics))
	for i, f := range optionalMetrics {
		out[i] = f.name
	}
	return out
}

// MetricKeys are every metric key a plan can hold, in query order:
// every function's, the optional ones, LambdaInsights', the region's and
// the log group's.
func MetricKeys() []string {
	var out []string
	for _, fams := range [][]family{functionMetrics, optionalMetrics, insightsMetrics, regionMetrics, logGroupMetrics} {
		for _, f := range fams {
			for _, k := range f.keys {
				if !slices.Contains(out, k) {
					out = append(out, k)
				}
			}
		}
	}
	return out
}

// Query is one statistic of one metric over the window. Function
// metrics have Key = Function.ID and Name = the function name (the
// dimension value); the region's have Key = RegionKey; a log group's have
// Key = the log group name. The window, period and dimensions are rebuilt
// from these, so a batch travels small.
type Query struct {
	Key    string
	Name   string
	Metric string
}

// def resolves the query's metric, or an error naming the query.
func (q Query) def() (metricDef, error) {
	var sc scope
	switch {
	case q.Name != "":
		sc = scopeFunction
	case q.Key == RegionKey:
		sc = scopeRegion
	default:
		sc = scopeLogGroup
	}
	if q.Key == "" {
		return metricDef{}, fmt.Errorf("query %q: empty key", q.Metric)
	}
	d, ok := defs[sc][q.Metric]
	if !ok {
		return metricDef{}, fmt.Errorf("query %s %q: not a %s metric key (see metrics.MetricKeys)", q.Key, q.Metric, [...]string{"function", "region", "log group"}[sc])
	}
	return d, nil
}

// Planner turns functions into queries one at a time, so the scan can
// plan each ListFunctions page as it arrives. It queries each log group
// once and refuses a function name seen before (a plan covers one
// account-region). The zero Planner is not usable: use NewPlanner.
type Planner struct {
	names map[string]string // function name → ID
	ids   map[string]bool
	logs  map[string]bool
}

// NewPlanner is an empty planner.
func NewPlanner() *Planner {
	return &Planner{names: map[string]string{}, ids: map[string]bool{}, logs: map[string]bool{}}
}

// Region appends the account-region's queries (ConcurrentExecutions and
// UnreservedConcurrentExecutions, Maximum, no dimension) to dst.
func (p *Planner) Region(dst []Query) []Query {
	return appendFamilies(dst, Query{Key: RegionKey}, regionMetrics)
}

// Function appends fn's queries to dst, adjacent: Invocations, Errors,
// Throttles (Sum), Duration (Sum, Maximum, p99), ConcurrentExecutions
// (Maximum); its optional metrics (Function.Optional); LambdaInsights'
// used_memory_max (Maximum, p99), memory_utilization (Maximum) and
// init_duration (Maximum, p95, Sum, SampleCount) when
// Function.LambdaInsights; then its log group's IncomingBytes (Sum) the
// first time the planner sees the log group (LogGroup defaults to
// /aws/lambda/<name>).
func (p *Planner) Function(dst []Query, fn Function) ([]Query, error) {
	switch {
	case fn.ID == "" || fn.Name == "":
		return dst, fmt.Errorf("metrics: plan: function %q (ID %q): ID and Name are required", fn.Name, fn.ID)
	case p.ids[fn.ID]:
		return dst, fmt.Errorf("metrics: plan: function ID %s appears twice", fn.ID)
	case p.names[fn.Name] != "":
		return dst, fmt.Errorf("metrics: plan: function name %s appears twice (IDs %s and %s): a plan covers one account-region", fn.Name, p.names[fn.Name], fn.ID)
	}
	for _, o := range fn.Optional {
		if !slices.ContainsFunc(optionalMetrics, func(f family) bool { return f.name == o }) {
			return dst, fmt.Errorf("metrics: plan: function %s: unknown optional metric %q (see metrics.OptionalMetrics)", fn.ID, o)
		}
	}
	p.ids[fn.ID], p.names[fn.Name] = true, fn.ID
	q := Query{Key: fn.ID, Name: fn.Name}
	dst = appendFamilies(dst, q, functionMetrics)
	for _, f := range optionalMetrics {
		if slices.Contains(fn.Optional, f.name) {
			dst = appendFamilies(dst, q, []family{f})
		}
	}
	if fn.LambdaInsights {
		dst = appendFamilies(dst, q, insightsMetrics)
	}
	lg := fn.LogGroupName()
	if !p.logs[lg] {
		p.logs[lg] = true
		dst = appendFamilies(dst, Query{Key: lg}, logGroupMetrics)
	}
	return dst, nil
}

func appendFamilies(dst []Query, q Query, fams []family) []Query {
	for _, f := range fams {
		for _, k := range f.keys {
			q.Metric = k
			dst = append(dst, q)
		}
	}
	return dst
}

// Plan is every query of one account-region over one window.
type Plan struct {
	Window  Window
	Queries []Query
}

// NewPlan plans the region's queries, then each function's (see
// Planner.Function), in the order given.
func NewPlan(w Window, fns []Function) (*Plan, error) {
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("metrics: plan: %w", err)
	}
	p := NewPlanner()
	qs := p.Region(make([]Query, 0, 2+len(fns)*9))
	for _, fn := range fns {
		var err error
		if qs, err = p.Function(qs, fn); err != nil {
			return nil, err
		}
	}
	return &Plan{Window: w, Queries: qs}, nil
}

// Caps are the per-call limits a batch is packed to, in the order
// Weight reports: queries, datapoints.
func Caps() []int { return []int{MaxQueries, MaxDatapoints} }

// Weight is what one query costs against Caps: one query and one daily
// datapoint per window day.
func (p *Plan) Weight(Query) []int { return []int{1, p.Window.Days} }
