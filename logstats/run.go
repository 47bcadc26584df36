package logstats

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
)

// API is the part of the CloudWatch Logs client the Logs Insights
// runner uses; *cloudwatchlogs.Client implements it.
type API interface {
	StartQuery(ctx context.Context, params *cloudwatchlogs.StartQueryInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StartQueryOutput, error)
	GetQueryResults(ctx context.Context, params *cloudwatchlogs.GetQueryResultsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetQueryResultsOutput, error)
	StopQuery(ctx context.Context, params *cloudwatchlogs.StopQueryInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StopQueryOutput, error)
}

// Settings tune a Runner; zero fields take the defaults.
type Settings struct {
	// MaxConcurrentQueries caps the queries running at once per
	// account-region (AWS's limit: 30 in older docs, 100 in newer ones).
	// Default 30.
	MaxConcurrentQueries int
	// InitialPoll is the first wait before GetQueryResults; each further
	// wait doubles up to MaxPoll. Defaults 500 ms and 5 s.
	InitialPoll time.Duration
	MaxPoll     time.Duration
	// LimitWait is how long StartQuery keeps retrying
	// LimitExceededException (other clients hold the account's query
	// slots) before giving up. Default 10 min.
	LimitWait time.Duration
	// StopTimeout bounds the StopQuery sent after ctx is done. Default 5 s.
	StopTimeout time.Duration
	// Clock is the time the LimitWait deadline is measured on; default
	// time.Now.
	Clock func() time.Time `json:"-"`
	// Sleep waits d before each GetQueryResults poll and each StartQuery
	// retry; it returns nil after d, or ctx's error as soon as ctx ends.
	// Default a real timer. Tests inject a fake (with a Clock it
	// advances) so that no result, count or golden file depends on how
	// long real polling took.
	Sleep func(ctx context.Context, d time.Duration) error `json:"-"`
}

// Defaults of Settings.
const (
	DefaultMaxConcurrentQueries = 30
	DefaultInitialPoll          = 500 * time.Millisecond
	DefaultMaxPoll              = 5 * time.Second
	DefaultLimitWait            = 10 * time.Minute
	DefaultStopTimeout          = 5 * time.Second
)

func (s Settings) withDefaults() Settings {
	if s.MaxConcurrentQueries <= 0 {
		s.MaxConcurrentQueries = DefaultMaxConcurrentQueries
	}
	if s.InitialPoll <= 0 {
		s.InitialPoll = DefaultInitialPoll
	}
	if s.MaxPoll <= 0 {
		s.MaxPoll = DefaultMaxPoll
	}
	s.MaxPoll = max(s.MaxPoll, s.InitialPoll)
	if s.LimitWait <= 0 {
		s.LimitWait = DefaultLimitWait
	}
	if s.StopTimeout <= 0 {
		s.StopTimeout = DefaultStopTimeout
	}
	if s.Clock == nil {
		s.Clock = time.Now
	}
	if s.Sleep == nil {
		s.Sleep = sleep
	}
	return s
}

// Runner runs Logs Insights batches. One runner is shared by a scan:
// it holds the per account-region limit on running queries. It is safe
// for concurrent use.
type Runner struct {
	set   Settings
	mu    sync.Mutex
	slots map[string]chan struct{} // "account/region" → running queries
}

// NewRunner returns a runner with the settings.
func NewRunner(s Settings) *Runner {
	return &Runner{set: s.withDefaults(), slots: map[string]chan struct{}{}}
}

// Result is what running a batch found.
type Result struct {
	// Stats per function ID, for every function of the batch whose log
	// group was queried (all-nil series when it had no REPORT record).
	Stats map[string]*Stats `json:"stats"`
	// Failed are the batch's functions with no stats because their log
	// group alone made StartQuery fail: ReasonNoLogGroup,
	// ReasonLogGroupClass (both coverage: nothing to query) or
	// ReasonLogGroupDenied (a loss).
	Failed []Skip `json:"failed,omitempty"`
	// Pages counts the GetQueryResults pages read after the queries
	// completed (one per query, more when results came by nextToken).
	Pages int `json:"pages"`
	// Queries counts the queries that completed; BytesScanned,
	// RecordsScanned and RecordsMatched sum their statistics.
	Queries        int     `json:"queries"`
	BytesScanned   float64 `json:"bytesScanned"`
	RecordsScanned float64 `json:"recordsScanned"`
	RecordsMatched float64 `json:"recordsMatched"`
	// UnexpectedRows counts result rows that named no queried log group,
	// fell outside the window or had no REPORT record.
	UnexpectedRows int `json:"unexpectedRows,omitempty"`
}

// QueryError is a query that ended without results: status Failed,
// Cancelled, Timeout or Unknown, or too many rows.
type QueryError struct {
	Account, Region, QueryID string
	Status                   string
	Groups                   int
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("logs insights query %s in %s/%s over %d log groups ended %s", e.QueryID, e.Account, e.Region, e.Groups, e.Status)
}

// Run runs the batch's query with api (a client of the batch's
// account-region): StartQuery over the window, GetQueryResults polled
// with back-off and its pages followed, the rows mapped back to functions
// and days. A log group that makes StartQuery fail on its own — it does
// not exist, it is in the Delivery log class, or StartQuery is denied on
// it alone — fails only its functions (ReasonNoLogGroup,
// ReasonLogGroupClass, ReasonLogGroupDenied) and the other groups are
// queried again; when the error does not say which group, the groups are
// split in halves until it does. When ctx ends the running query is
// stopped (StopQuery) and ctx's error returned. Any other failure is an
// error for the whole batch, which the caller retries as a unit.
func (r *Runner) Run(ctx context.Context, api API, b Batch) (*Result, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	query, err := Query(b.Format)
	if err != nil {
		return nil, err
	}
	res := &Result{Stats: map[string]*Stats{}}
	denied := 0
	if err := r.runGroups(ctx, api, &b, query, b.Groups, res, &denied); err != nil {
		return nil, err
	}
	return res, nil
}

// maxDeniedGroups is how many log groups of a batch may be dropped one by
// one for a resource-level AccessDenied before the denial is taken as
// covering the whole batch (an account without logs:StartQuery is denied
// on every group, naming one at a time).
const maxDeniedGroups = 2

// runGroups queries groups, dropping the ones StartQuery names as the
// cause of its error; when it cannot tell which group it is, it splits
// the groups in halves.
func (r *Runner) runGroups(ctx context.Context, api API, b *Batch, query string, groups []GroupRef, res *Result, denied *int) error {
	for len(groups) > 0 {
		bad, err := r.runQuery(ctx, api, b, query, groups, res)
		if err == nil {
			return nil
		}
		if bad == nil {
			return err
		}
		i := -1
		for k, g := range groups {
			if g.Name == bad.group {
				i = k
			}
		}
		if bad.reason == ReasonLogGroupDenied {
			if i < 0 || *denied >= maxDeniedGroups {
				return err
			}
			*denied++
		}
		if i < 0 && len(groups) == 1 {
			i = 0
		}
		if i >= 0 {
			for _, id := range groups[i].Functions {
				res.Failed = append(res.Failed, Skip{ID: id, LogGroup: groups[i].Name, Reason: bad.reason, EstimatedBytes: groups[i].EstimatedBytes})
			}
			groups = append(groups[:i:i], groups[i+1:]...)
			continue
		}
		half := len(groups) / 2
		if err := r.runGroups(ctx, api, b, query, groups[:half:half], res, denied); err != nil {
			return err
		}
		groups = groups[half:]
	}
	return nil
}

// logsGroupError is a StartQuery error one log group causes: the group
// (empty when AWS did not name it) and the reason its functions get.
type logsGroupError struct{ group, reason string }

var (
	// logsNamedGroupRE reads the group name from AWS's
	// ResourceNotFoundException ("Log group 'x' does not exist …") and
	// from the Delivery-class InvalidParameterException.
	logsNamedGroupRE = regexp.MustCompile(`[Ll]og group '([^']*)'`)
	// logsDeniedGroupRE reads the log group of a resource-level denial
	// ("… on resource: arn:aws:logs:r:a:log-group:NAME:* because …").
	logsDeniedGroupRE = regexp.MustCompile(`:log-group:([^\s:*]+)`)
	// logsClassRE recognises the Delivery-class refusal. AWS's exact text
	// is unconfirmed: any mention of the DELIVERY class or of a log class
	// Logs Insights does not support.
	logsClassRE = regexp.MustCompile(`(?i)\bDELIVERY\b|log (group )?class`)
)

// logsGroupCause says whether a StartQuery error is caused by one log
// group, and which.
func logsGroupCause(err error) *logsGroupError {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return nil
	}
	msg := ae.ErrorMessage()
	name := func(re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(msg); m != nil {
			return m[1]
		}
		return ""
	}
	switch ae.ErrorCode() {
	case "ResourceNotFoundException":
		return &logsGroupError{group: name(logsNamedGroupRE), reason: ReasonNoLogGroup}
	case "InvalidParameterException":
		if logsClassRE.MatchString(msg) {
			return &logsGroupError{group: name(logsNamedGroupRE), reason: ReasonLogGroupClass}
		}
	case "AccessDeniedException":
		if g := name(logsDeniedGroupRE); g != "" {
			return &logsGroupError{group: g, reason: ReasonLogGroupDenied}
		}
	}
	return nil
}

// acquire takes one of the account-region's query slots.
func (r *Runner) acquire(ctx context.Context, account, region string) (release func(), err error) {
	r.mu.Lock()
	k := account + "/" + region
	sem := r.slots[k]
	if sem == nil {
		sem = make(chan struct{}, r.set.MaxConcurrentQueries)
		r.slots[k] = sem
	}
	r.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("logs insights %s: waiting for a query slot: %w", k, ctx.Err())
	}
}

// sleep waits d or until ctx ends: the default Settings.Sleep.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runQuery runs one query over groups and maps its rows into res. On an
// error one log group causes it returns that cause too.
func (r *Runner) runQuery(ctx context.Context, api API, b *Batch, query string, groups []GroupRef, res *Result) (*logsGroupError, error) {
	release, err := r.acquire(ctx, b.Account, b.Region)
	if err != nil {
		return nil, err
	}
	defer release()
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	in := &cloudwatchlogs.StartQueryInput{
		LogGroupNames: names,
		StartTime:     aws.Int64(b.Window.Start().Unix()),
		// endTime is inclusive: the last second of the window's last day.
		EndTime:     aws.Int64(b.Window.End.Unix() - 1),
		QueryString: aws.String(query),
		Limit:       aws.Int32(MaxQueryRows),
	}
	where := fmt.Sprintf("%s/%s (%d log groups)", b.Account, b.Region, len(groups))
	var id string
	wait, deadline := r.set.InitialPoll, r.set.Clock().Add(r.set.LimitWait)
	for {
		out, err := api.StartQuery(ctx, in)
		if err == nil {
			id = aws.ToString(out.QueryId)
			break
		}
		if bad := logsGroupCause(err); bad != nil {
			return bad, fmt.Errorf("logs insights %s: start query: %w", where, err)
		}
		var le *types.LimitExceededException
		if !errors.As(err, &le) || r.set.Clock().Add(wait).After(deadline) {
			return nil, fmt.Errorf("logs insights %s: start query: %w", where, err)
		}
		if err := r.set.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("logs insights %s: waiting for the account's query limit: %w", where, err)
		}
		wait = min(2*wait, r.set.MaxPoll)
	}
	out, rows, err := r.poll(ctx, api, b, id, len(groups), where)
	if err != nil {
		if ctx.Err() != nil || !logsQueryEnded(err) {
			r.stop(api, id)
		}
		return nil, err
	}
	if len(rows) >= MaxQueryRows {
		return nil, &QueryError{Account: b.Account, Region: b.Region, QueryID: id, Groups: len(groups),
			Status: fmt.Sprintf("with %d rows, the most a query returns: results may be cut", len(rows))}
	}
	m := logsRowMapper{account: b.Account, window: b.Window, stats: map[string]*Stats{}}
	for _, g := range groups {
		st := newStats(g.Name, b.Window.Days)
		st.SharedLogGroup = len(g.Functions) > 1
		m.stats[g.Name] = st
	}
	for _, row := range rows {
		if err := m.add(row); err != nil {
			return nil, fmt.Errorf("logs insights %s: query %s: %w", where, id, err)
		}
	}
	for _, g := range groups {
		for _, fid := range g.Functions {
			res.Stats[fid] = m.stats[g.Name]
		}
	}
	res.Queries++
	res.Pages += out.pages
	res.UnexpectedRows += m.unexpected
	if s := out.stats; s != nil {
		res.BytesScanned += s.BytesScanned
		res.RecordsScanned += s.RecordsScanned
		res.RecordsMatched += s.RecordsMatched
	}
	return nil, nil
}

// logsQueryEnded says the query already ended on its own (nothing to stop).
func logsQueryEnded(err error) bool {
	var qe *QueryError
	return errors.As(err, &qe)
}

// logsPolled is what polling a completed query read besides its rows.
type logsPolled struct {
	stats *types.QueryStatistics
	pages int
}

// poll calls GetQueryResults until the query completes, waiting
// InitialPoll, then twice as long each time up to MaxPoll, then follows
// the result's pages (nextToken, at most MaxRowsPerPage rows each) and
// returns every row.
func (r *Runner) poll(ctx context.Context, api API, b *Batch, id string, groups int, where string) (logsPolled, [][]types.ResultField, error) {
	wait := r.set.InitialPoll
	var out *cloudwatchlogs.GetQueryResultsOutput
	for out == nil {
		if err := r.set.Sleep(ctx, wait); err != nil {
			return logsPolled{}, nil, fmt.Errorf("logs insights %s: query %s: %w", where, id, err)
		}
		wait = min(2*wait, r.set.MaxPoll)
		o, err := api.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: aws.String(id)})
		if err != nil {
			return logsPolled{}, nil, fmt.Errorf("logs insights %s: query %s: get results: %w", where, id, err)
		}
		switch o.Status {
		case types.QueryStatusComplete:
			out = o
		case types.QueryStatusScheduled, types.QueryStatusRunning:
		default:
			return logsPolled{}, nil, &QueryError{Account: b.Account, Region: b.Region, QueryID: id, Groups: groups, Status: string(o.Status)}
		}
	}
	polled := logsPolled{stats: out.Statistics, pages: 1}
	rows := out.Results
	seen := map[string]bool{}
	for tok := aws.ToString(out.NextToken); tok != ""; tok = aws.ToString(out.NextToken) {
		// A query returns at most MaxQueryRows rows: more than that, or a
		// token seen before, is a loop, not results.
		if seen[tok] || len(rows) > MaxQueryRows {
			return logsPolled{}, nil, fmt.Errorf("logs insights %s: query %s: results page %d: nextToken repeats or rows exceed %d", where, id, polled.pages+1, MaxQueryRows)
		}
		seen[tok] = true
		var err error
		out, err = api.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: aws.String(id), NextToken: aws.String(tok)})
		if err != nil {
			return logsPolled{}, nil, fmt.Errorf("logs insights %s: query %s: get results page %d: %w", where, id, polled.pages+1, err)
		}
		polled.pages++
		rows = append(rows, out.Results...)
	}
	return polled, rows, nil
}

// stop stops a query whose caller gave up, with its own short context
// (the caller's may be done already). Failure is ignored: the query
// ends by itself at AWS's 60-minute limit.
func (r *Runner) stop(api API, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), r.set.StopTimeout)
	defer cancel()
	_, _ = api.StopQuery(ctx, &cloudwatchlogs.StopQueryInput{QueryId: aws.String(id)})
}
