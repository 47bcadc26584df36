package scanner

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
)

// Schema and SchemaVersion identify the scan result format. The version
// changes when a field changes meaning or goes away; new fields may be
// added within a version. docs/scan-result.md describes every field.
const (
	Schema        = "lambdaudit/scan"
	SchemaVersion = 1
)

// Result is what one scan found: every listed function with its
// configuration, metric values, log statistics and coverage status, the
// account-region figures, and what the scan itself cost.
type Result struct {
	Schema     string    `json:"schema"`
	Version    int       `json:"version"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// Interrupted says why the scan stopped before it finished
	// (InterruptSignal, InterruptTerminate, InterruptTimeout); empty for a
	// scan that ran to its end. An interrupted result keeps everything
	// that finished; what did not is marked failed with its reason.
	Interrupted string         `json:"interrupted,omitempty"`
	Window      metrics.Window `json:"window"`
	Targets     []Target       `json:"targets"`
	Functions   []Function     `json:"functions"`
	Coverage    Coverage       `json:"coverage"`
	Logs        LogsUsage      `json:"logs"`
	API         Usage          `json:"api"`
	// Deployment is what the deployed host itself cost to run the scan
	// (Lambda, SQS, S3); absent when the CLI or the demo ran it.
	Deployment *Deployment `json:"deployment,omitempty"`
}

// Deployment is the own cost of a deployed scan: the Lambda invocations
// of its plan, work and report handlers, and the SQS and S3 requests
// they made, at list prices.
type Deployment struct {
	// Invocations counts the handler invocations by handler (plan, work,
	// report); GBSeconds and LambdaRequests are what Lambda bills.
	Invocations    map[string]int `json:"invocations"`
	GBSeconds      float64        `json:"gbSeconds"`
	LambdaRequests int            `json:"lambdaRequests"`
	// SQSRequests and S3Requests count the calls by "Service:Operation".
	SQSRequests map[string]int `json:"sqsRequests"`
	S3Requests  map[string]int `json:"s3Requests"`
	// CostUSD is the total; LambdaUSD, SQSUSD and S3USD its parts.
	CostUSD   float64 `json:"costUSD"`
	LambdaUSD float64 `json:"lambdaUSD"`
	SQSUSD    float64 `json:"sqsUSD"`
	S3USD     float64 `json:"s3USD"`
	// Prices says which prices were used.
	Prices string `json:"prices"`
}

// Status of a target or a function in a scan.
const (
	StatusScanned = "scanned" // every stage it needed succeeded
	StatusPartial = "partial" // listed, but a stage failed: see Failures
	StatusFailed  = "failed"  // nothing but the listing (or not even that)
	StatusOK      = "ok"      // a target whose inventory succeeded
)

// Target is one account × region of the scan.
type Target struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// Status is "ok" or "failed"; Error says why it failed, in full, and
	// Cause the same normalised for grouping. A target whose listing
	// succeeded may still carry an Error (account settings or region
	// metrics not read) without failing.
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	Cause     *Cause `json:"cause,omitempty"`
	Functions int    `json:"functions"`
	// ConcurrencyLimit and UnreservedConcurrencyLimit come from
	// GetAccountSettings; nil when it was not read.
	ConcurrencyLimit           *int `json:"concurrencyLimit"`
	UnreservedConcurrencyLimit *int `json:"unreservedConcurrencyLimit"`
	// Metrics are the region-level series (no dimension), e.g.
	// "ConcurrentExecutions:Maximum".
	Metrics map[string]metrics.Series `json:"metrics"`
}

// Function is one listed function.
type Function struct {
	ID           string            `json:"id"` // account/region/name
	Account      string            `json:"account"`
	Region       string            `json:"region"`
	Name         string            `json:"name"`
	ARN          string            `json:"arn"`
	Runtime      string            `json:"runtime"`
	Architecture string            `json:"architecture"`
	PackageType  string            `json:"packageType"`
	MemoryMB     int               `json:"memoryMB"`
	TimeoutS     int               `json:"timeoutS"`
	EphemeralMB  int               `json:"ephemeralMB"`
	LastModified time.Time         `json:"lastModified"`
	LogGroup     string            `json:"logGroup"`
	LogFormat    string            `json:"logFormat"`
	Tags         map[string]string `json:"tags"`
	// ProvisionedConcurrency is the allocated provisioned concurrency over
	// all of the function's aliases and versions; nil when not read.
	ProvisionedConcurrency *int `json:"provisionedConcurrency"`
	LambdaInsights         bool `json:"lambdaInsights"`
	// CapacityProviderARN is the Lambda Managed Instances capacity
	// provider the function runs on (ListFunctions
	// CapacityProviderConfig); empty for an on-demand function. Such a
	// function is billed on EC2 capacity, not GB-seconds.
	CapacityProviderARN string `json:"capacityProviderArn,omitempty"`
	// Metrics are daily series over the window keyed "Metric:Stat"
	// (namespace AWS/Lambda unless prefixed "LambdaInsights:").
	Metrics map[string]metrics.Series `json:"metrics"`
	// Logs are the per-day statistics of the REPORT records; nil when the
	// logs were not queried (see Failures and Result.Logs.Skipped).
	Logs *logstats.Stats `json:"logs"`
	// Status is scanned, partial or failed; Failures say which stage
	// failed and why.
	Status   string    `json:"status"`
	Failures []Failure `json:"failures,omitempty"`
}

// Reasons a scan was interrupted (Result.Interrupted).
const (
	InterruptSignal    = "interrupt" // SIGINT (Ctrl-C)
	InterruptTerminate = "terminate" // SIGTERM
	InterruptTimeout   = "timeout"   // the overall deadline (--timeout)
)

// Stages of a function's scan, as named in failures.
const (
	StageInventory = "inventory"
	StageMetrics   = "metrics"
	StageLogs      = "logs"
	StageConfig    = "config"
)

// Failure is one stage that did not give a function data that should
// have come back (an AWS call failed, the scan was interrupted). Data
// that does not exist or was not asked for (a Logs Insights budget skip,
// no log group, optional metrics the function does not emit) is not a
// failure: see Result.Logs.Skipped and Coverage.LogsSkipped.
type Failure struct {
	Stage string `json:"stage"`
	// Code and API are the failure normalised (see Cause); Reason is
	// them as one string ("AccessDenied cloudwatch:GetMetricData",
	// "interrupted").
	Code   string `json:"code"`
	API    string `json:"api,omitempty"`
	Reason string `json:"reason"`
	// Detail is the original error in full (request IDs, batch and
	// AWS's message included).
	Detail string `json:"detail,omitempty"`
}

// Coverage accounts for every listed function.
type Coverage struct {
	Targets       int `json:"targets"`
	TargetsFailed int `json:"targetsFailed"`
	Listed        int `json:"listed"`
	Scanned       int `json:"scanned"`
	Partial       int `json:"partial"`
	Failed        int `json:"failed"`
	// Reasons counts, per normalised cause ("AccessDenied
	// cloudwatch:GetMetricData in 111111111111/eu-west-1"), the functions
	// that lost data to it, or for a cause that failed account-regions
	// without functions to count (a listing denied), those
	// account-regions. Causes has the same with its parts.
	Reasons map[string]int `json:"reasons"`
	Causes  []CauseCount   `json:"causes"`
	// NotCovered is the number of listed functions that lost data to a
	// failure (Partial + Failed).
	NotCovered int `json:"notCovered"`
	// LogsSkipped counts the functions whose logs were not queried by
	// design (Logs.Skipped: over the budget, no log data, no log group,
	// …), by reason in LogsSkippedBy. Coverage, not failure.
	LogsSkipped   int            `json:"logsSkipped"`
	LogsSkippedBy map[string]int `json:"logsSkippedBy,omitempty"`
}

// CauseCount is one cause of failures and what it cost the scan.
type CauseCount struct {
	Cause
	// Stage is where the cause struck first (inventory, metrics, logs,
	// config).
	Stage string `json:"stage"`
	// Targets is the account-regions it failed; Functions the listed
	// functions that lost data to it.
	Targets   int `json:"targets"`
	Functions int `json:"functions"`
}

// LogsUsage is what the Logs Insights stage scanned, and what it skipped.
type LogsUsage struct {
	BudgetBytes    float64   `json:"budgetBytes"`
	EstimatedBytes float64   `json:"estimatedBytes"`
	ScannedBytes   float64   `json:"scannedBytes"`
	Queries        int       `json:"queries"`
	Skipped        []Skipped `json:"skipped"`
}

// Skipped is a log group the scan did not query, and why.
type Skipped struct {
	LogGroup  string   `json:"logGroup"`
	Functions []string `json:"functions"`
	Reason    string   `json:"reason"`
}

// Usage is the scan's own AWS API usage and its estimated bill.
type Usage struct {
	// Calls counts HTTP attempts per "Service:Operation", retries
	// included; Throttles the attempts AWS throttled; Errors the other
	// failed attempts.
	Calls     map[string]int `json:"calls"`
	Throttles map[string]int `json:"throttles"`
	Errors    map[string]int `json:"errors"`
	// MetricsRequested is GetMetricData's billed metrics, at $0.01 per
	// 1,000 (GMDStatsPerMetric says how they are counted); MetricQueries
	// the GetMetricData queries sent, retries included.
	MetricsRequested int `json:"metricsRequested"`
	MetricQueries    int `json:"metricQueries"`
	// EstimatedCostUSD is GetMetricData billed metrics, ListMetrics and
	// GetMetricStatistics requests and Logs Insights bytes scanned
	// (LogsBytesPerGB) at AWS's list prices; control-plane calls are free.
	EstimatedCostUSD float64 `json:"estimatedCostUSD"`
}

// Failed reports whether data that should have come back was lost — an
// account or region not listed, an AWS call that failed for some
// functions, an interrupted scan — for the exit code "completed with
// failures". Skips by design (Logs.Skipped) are coverage, not failure.
func (r *Result) Failed() bool {
	return r.Coverage.TargetsFailed > 0 || r.Coverage.Partial > 0 || r.Coverage.Failed > 0
}

// Summarise recomputes Coverage and every function's Status from the
// targets, functions and Logs.Skipped (for a result built or edited by
// hand; Scan's results are summarised already).
func (r *Result) Summarise() { r.summarise() }

// summarise fills Coverage from the targets and functions, sorting both
// for a stable output.
func (r *Result) summarise() {
	sort.Slice(r.Targets, func(i, j int) bool {
		a, b := r.Targets[i], r.Targets[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Region < b.Region
	})
	sort.Slice(r.Functions, func(i, j int) bool { return r.Functions[i].ID < r.Functions[j].ID })
	t := newTally(r.Targets)
	for i := range r.Functions {
		t.add(&r.Functions[i])
	}
	r.Coverage = t.finish(r.Logs.Skipped)
}

// tally counts a result's coverage as its functions go by, so that a
// streamed result (Assemble) is summarised without holding them.
type tally struct {
	c      Coverage
	causes map[Cause]*CauseCount
	order  []Cause
}

func (t *tally) count(k Cause, stage string) *CauseCount {
	if t.causes[k] == nil {
		t.causes[k] = &CauseCount{Cause: k, Stage: stage}
		t.order = append(t.order, k)
	}
	return t.causes[k]
}

// newTally counts the targets (sorted by account and region).
func newTally(targets []Target) *tally {
	t := &tally{c: Coverage{Targets: len(targets), Reasons: map[string]int{}, Causes: []CauseCount{}}, causes: map[Cause]*CauseCount{}}
	targetCause := func(tg *Target) Cause {
		if tg.Cause != nil {
			return *tg.Cause
		}
		return Cause{Code: CodeError, Account: tg.Account, Region: tg.Region}
	}
	// A cause that failed every region of an account (a denied account)
	// is one account-wide cause, "AccessDenied sts:AssumeRole in
	// 333333333333", not a line per region.
	regions, alike := map[string]int{}, map[Cause]int{}
	for i := range targets {
		tg := &targets[i]
		regions[tg.Account]++
		if tg.Status != StatusOK {
			k := targetCause(tg)
			k.Region = ""
			alike[k]++
		}
	}
	for i := range targets {
		tg := &targets[i]
		if tg.Status != StatusOK {
			t.c.TargetsFailed++
			k := targetCause(tg)
			if wide := (Cause{Code: k.Code, API: k.API, Account: k.Account}); regions[tg.Account] > 1 && alike[wide] == regions[tg.Account] {
				k = wide
			}
			t.count(k, StageInventory).Targets++
		}
	}
	return t
}

// add counts one function and sets its Status.
func (t *tally) add(f *Function) {
	t.c.Listed++
	switch {
	case len(f.Failures) == 0:
		f.Status = StatusScanned
		t.c.Scanned++
	case f.Metrics == nil && f.Logs == nil:
		f.Status = StatusFailed
		t.c.Failed++
	default:
		f.Status = StatusPartial
		t.c.Partial++
	}
	seen := map[Cause]bool{}
	for _, fl := range f.Failures {
		k := Cause{Code: fl.Code, API: fl.API, Account: f.Account, Region: f.Region}
		if fl.Code == "" { // a result written before causes
			k.Code = fl.Reason
		}
		if fl.Code == CodeInterrupted {
			k.API = fl.Stage
		}
		if !seen[k] {
			seen[k] = true
			t.count(k, fl.Stage).Functions++
		}
	}
}

// finish is the coverage of the targets and functions counted, with the
// log groups skipped by design.
func (t *tally) finish(skipped []Skipped) Coverage {
	c := t.c
	c.NotCovered = c.Partial + c.Failed
	for _, k := range t.order {
		cc := t.causes[k]
		n := cc.Functions
		if n == 0 {
			n = cc.Targets
		}
		c.Reasons[k.String()] += n
		c.Causes = append(c.Causes, *cc)
	}
	sort.SliceStable(c.Causes, func(i, j int) bool {
		a, b := c.Causes[i], c.Causes[j]
		if a.Functions != b.Functions {
			return a.Functions > b.Functions
		}
		if a.Targets != b.Targets {
			return a.Targets > b.Targets
		}
		return a.String() < b.String()
	})
	for _, sk := range skipped {
		c.LogsSkipped += len(sk.Functions)
		if c.LogsSkippedBy == nil {
			c.LogsSkippedBy = map[string]int{}
		}
		c.LogsSkippedBy[sk.Reason] += len(sk.Functions)
	}
	return c
}

// ByCount are the keys of a count map (Coverage.LogsSkippedBy), the
// largest count first, then by key: the order every rendering lists
// them in.
func ByCount(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// NewResultEncoder streams a result to w as compact JSON, one function
// at a time: the bytes are those of json.Marshal of the whole result
// (and a newline), without holding it.
func NewResultEncoder(w io.Writer) ResultWriter { return &resultEncoder{w: w} }

type resultEncoder struct {
	w io.Writer
	n int
}

func (e *resultEncoder) Begin(r *Result) error {
	head, _, err := splitResult(r)
	if err != nil {
		return err
	}
	return e.write(head)
}

// functionsKey is where the functions go in a result encoded without
// them: the first occurrence is the top-level key (targets count their
// functions with a number; the array keys of logs come after).
var functionsKey = []byte(`,"functions":[]`)

// splitResult is r encoded as json.Marshal does, without its functions,
// cut where they go: head ends with `"functions":[`, tail starts with
// the `,` before "coverage". Result's own field order decides both.
func splitResult(r *Result) (head, tail []byte, err error) {
	c := *r
	c.Functions = []Function{}
	if c.Targets == nil {
		c.Targets = []Target{}
	}
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, nil, fmt.Errorf("encode scan result: %w", err)
	}
	i := bytes.Index(b, functionsKey)
	if i < 0 {
		return nil, nil, errors.New("encode scan result: no functions key")
	}
	n := i + len(functionsKey)
	return b[:n-1], b[n:], nil
}

func (e *resultEncoder) Function(f *Function) error {
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode scan result: function %s: %w", f.ID, err)
	}
	if e.n > 0 {
		b = append([]byte{','}, b...)
	}
	e.n++
	return e.write(b)
}

func (e *resultEncoder) End(r *Result) error {
	_, tail, err := splitResult(r)
	if err != nil {
		return err
	}
	return e.write(append(append([]byte{']'}, tail...), '\n'))
}

func (e *resultEncoder) write(b []byte) error {
	if _, err := e.w.Write(b); err != nil {
		return fmt.Errorf("write scan result: %w", err)
	}
	return nil
}

// collector keeps an assembled result's functions in memory.
type collector struct{ fns []Function }

func (c *collector) Begin(*Result) error { return nil }
func (c *collector) Function(f *Function) error {
	c.fns = append(c.fns, *f)
	return nil
}
func (c *collector) End(*Result) error { return nil }

// Write writes the result as `scan` does: compact JSON, one function at
// a time, so no second copy of a large result is built in memory (the
// bytes of json.Marshal and a newline).
func (r *Result) Write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := NewResultEncoder(bw)
	if err := enc.Begin(r); err != nil {
		return err
	}
	for i := range r.Functions {
		if err := enc.Function(&r.Functions[i]); err != nil {
			return err
		}
	}
	if err := enc.End(r); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write scan result: %w", err)
	}
	return nil
}

// Encode writes the result as indented JSON.
func (r *Result) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode scan result: %w", err)
	}
	return nil
}

// ErrSchema is returned by Decode for a result of another schema or an
// unknown version.
var ErrSchema = errors.New("not a lambdaudit scan result of a known version")

// Decode reads a scan result, plain JSON or gzip-compressed (as `scan
// -o FILE.gz` writes it), refusing another schema or version.
func Decode(rd io.Reader) (*Result, error) {
	br := bufio.NewReader(rd)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("decode scan result: %w", err)
		}
		defer zr.Close()
		rd = zr
	} else {
		rd = br
	}
	var r Result
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("decode scan result: %w", err)
	}
	if r.Schema != Schema || r.Version != SchemaVersion {
		return nil, fmt.Errorf("%w: schema %q version %d (want %q version %d)", ErrSchema, r.Schema, r.Version, Schema, SchemaVersion)
	}
	return &r, nil
}
