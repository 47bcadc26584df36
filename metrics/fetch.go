package metrics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// GetMetricDataAPI is the one CloudWatch call Fetch makes, with the SDK's
// exact signature (*cloudwatch.Client has it; so can a test fake).
type GetMetricDataAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// FetchOption changes how Fetch calls GetMetricData.
type FetchOption func(*fetchConfig) error

type fetchConfig struct {
	maxDatapoints int
}

// WithMaxDatapoints sets MaxDatapoints, the datapoints per page before
// CloudWatch answers with a NextToken (1 to MaxDatapoints; default
// CloudWatch's own, MaxDatapoints). Batches are packed to fit one page,
// so this is for tests and for callers that want smaller answers.
func WithMaxDatapoints(n int) FetchOption {
	return func(c *fetchConfig) error {
		if n < 1 || n > MaxDatapoints {
			return fmt.Errorf("max datapoints must be between 1 and %d, got %d", MaxDatapoints, n)
		}
		c.maxDatapoints = n
		return nil
	}
}

// Result is what one or more batches returned: for each query key
// (function ID, RegionKey or log group name) and metric key, either a
// Series over the window (a day without a datapoint stays nil, as
// CloudWatch answers; a Series of all nils means CloudWatch had no data)
// or a failure reason. A (key, metric) is in exactly one of Values and
// Failed.
type Result struct {
	Window Window                       `json:"window"`
	Values map[string]map[string]Series `json:"values"`
	Failed map[string]map[string]string `json:"failed,omitempty"`
	// Messages are the whole-call messages CloudWatch returned, "Code:
	// text".
	Messages []string `json:"messages,omitempty"`
	// Pages is the GetMetricData calls that succeeded (SDK retries not
	// counted); Datapoints the datapoints they returned.
	Pages      int `json:"pages"`
	Datapoints int `json:"datapoints"`
}

// NewResult is an empty result over w.
func NewResult(w Window) *Result {
	return &Result{Window: w, Values: map[string]map[string]Series{}, Failed: map[string]map[string]string{}}
}

// Get is the series of (key, metric) and whether it came back.
func (r *Result) Get(key, metric string) (Series, bool) {
	s, ok := r.Values[key][metric]
	return s, ok
}

// FailedKeys maps each key with a failed query to one reason (that of
// its first failed metric key in sort order).
func (r *Result) FailedKeys() map[string]string {
	out := make(map[string]string, len(r.Failed))
	for k, m := range r.Failed {
		if len(m) > 0 {
			out[k] = m[slices.Min(slices.Collect(maps.Keys(m)))]
		}
	}
	return out
}

// Merge adds another result over the same window. A (key, metric) that
// failed in one and came back in the other counts as come back.
func (r *Result) Merge(o *Result) error {
	if !r.Window.End.Equal(o.Window.End) || r.Window.Days != o.Window.Days {
		return fmt.Errorf("metrics: merge: window %s/%d vs %s/%d", r.Window.End, r.Window.Days, o.Window.End, o.Window.Days)
	}
	for k, m := range o.Values {
		for mk, s := range m {
			r.set(k, mk, s)
		}
	}
	for k, m := range o.Failed {
		for mk, why := range m {
			if _, ok := r.Values[k][mk]; !ok {
				r.fail(k, mk, why)
			}
		}
	}
	r.Messages = append(r.Messages, o.Messages...)
	r.Pages += o.Pages
	r.Datapoints += o.Datapoints
	return nil
}

func (r *Result) set(key, metric string, s Series) {
	if r.Values == nil {
		r.Values = map[string]map[string]Series{}
	}
	m := r.Values[key]
	if m == nil {
		m = map[string]Series{}
		r.Values[key] = m
	}
	m[metric] = s
	if f := r.Failed[key]; f != nil {
		delete(f, metric)
		if len(f) == 0 {
			delete(r.Failed, key)
		}
	}
}

func (r *Result) fail(key, metric, why string) {
	if r.Failed == nil {
		r.Failed = map[string]map[string]string{}
	}
	m := r.Failed[key]
	if m == nil {
		m = map[string]string{}
		r.Failed[key] = m
	}
	m[metric] = why
}

// query states while fetching.
const (
	qPending uint8 = iota
	qPartial
	qComplete
	qFailed
)

// Fetch runs one batch: GetMetricData with the batch's queries, following
// NextToken until done and merging PartialData pieces. It maps each
// datapoint to its window day by timestamp (a datapoint outside the
// window is ignored) and each answer to its query by Id.
//
// A query with StatusCode InternalError or Forbidden fails with that
// status and its messages as the reason; a query that never came back
// Complete fails with the call's Messages (or "no result"). Only a
// whole-call error — a failed page after the SDK's retries, an answer
// that cannot be mapped — returns an error, wrapped, and no result: the
// caller retries the batch as a unit. An error never becomes an empty
// result.
func Fetch(ctx context.Context, api GetMetricDataAPI, b Batch, opts ...FetchOption) (*Result, error) {
	var cfg fetchConfig
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("metrics: fetch: %w", err)
		}
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	n, days := len(b.Queries), b.Window.Days
	in := b.Input()
	limit := MaxDatapoints
	if cfg.maxDatapoints > 0 {
		limit = cfg.maxDatapoints
		in.MaxDatapoints = aws.Int32(int32(limit))
	}
	// One allocation for every value and one for every series.
	vals := make([]float64, n*days)
	ptrs := make(Series, n*days)
	state := make([]uint8, n)
	why := make([]string, n)
	res := NewResult(b.Window)

	// A well-behaved service needs at most one page per `limit`
	// datapoints plus one per query (pages cut by work, not datapoints).
	maxPages := n*days/limit + n + 1
	pager := cloudwatch.NewGetMetricDataPaginator(api, in)
	prev := ""
	for pager.HasMorePages() {
		if res.Pages == maxPages {
			return nil, fmt.Errorf("metrics: GetMetricData for %s: still paging after %d pages", batchName(b), maxPages)
		}
		out, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("metrics: GetMetricData for %s, page %d: %w", batchName(b), res.Pages+1, err)
		}
		res.Pages++
		for _, m := range out.Messages {
			res.Messages = append(res.Messages, messageText(m))
		}
		for k := range out.MetricDataResults {
			r := &out.MetricDataResults[k]
			id := aws.ToString(r.Id)
			i := queryIndex(id, n)
			if i < 0 {
				return nil, fmt.Errorf("metrics: GetMetricData for %s, page %d: answer for unknown query Id %q", batchName(b), res.Pages, id)
			}
			if len(r.Timestamps) != len(r.Values) {
				return nil, fmt.Errorf("metrics: GetMetricData for %s, page %d: query %s has %d timestamps and %d values", batchName(b), res.Pages, id, len(r.Timestamps), len(r.Values))
			}
			res.Datapoints += len(r.Values)
			switch r.StatusCode {
			case types.StatusCodeComplete, types.StatusCodePartialData:
				if state[i] == qFailed {
					continue
				}
				for j, ts := range r.Timestamps {
					if d := b.Window.DayIndex(ts); d >= 0 {
						vals[i*days+d] = r.Values[j]
						ptrs[i*days+d] = &vals[i*days+d]
					}
				}
				state[i] = qComplete
				if r.StatusCode == types.StatusCodePartialData {
					state[i] = qPartial
				}
			default: // InternalError, Forbidden, or a status this code does not know
				state[i] = qFailed
				why[i] = statusReason(r)
			}
		}
		tok := aws.ToString(out.NextToken)
		if tok != "" && tok == prev {
			return nil, fmt.Errorf("metrics: GetMetricData for %s, page %d: the same NextToken twice", batchName(b), res.Pages)
		}
		prev = tok
	}
	missing := "no result for the query"
	if len(res.Messages) > 0 {
		missing = "no result for the query: " + strings.Join(res.Messages, "; ")
	}
	for i, q := range b.Queries {
		switch state[i] {
		case qComplete:
			res.set(q.Key, q.Metric, ptrs[i*days:(i+1)*days:(i+1)*days])
		case qFailed:
			res.fail(q.Key, q.Metric, why[i])
		case qPartial:
			res.fail(q.Key, q.Metric, "PartialData and no NextToken to complete it")
		default:
			res.fail(q.Key, q.Metric, missing)
		}
	}
	return res, nil
}

// batchName names a batch in errors.
func batchName(b Batch) string {
	return fmt.Sprintf("%d queries from %s %s", len(b.Queries), b.Queries[0].Key, b.Queries[0].Metric)
}

func messageText(m types.MessageData) string {
	return aws.ToString(m.Code) + ": " + aws.ToString(m.Value)
}

// statusReason is a failed query's reason: its status and messages.
func statusReason(r *types.MetricDataResult) string {
	var b strings.Builder
	b.WriteString("GetMetricData status ")
	if r.StatusCode == "" {
		b.WriteString("(none)")
	} else {
		b.WriteString(string(r.StatusCode))
	}
	for i, m := range r.Messages {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(messageText(m))
	}
	return b.String()
}
