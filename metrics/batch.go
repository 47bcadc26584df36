package metrics

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Batch is one GetMetricData call sequence: at most MaxQueries queries
// and MaxDatapoints datapoints over one window. Query i goes out with the
// Id "q<i>", so an answer maps back by index.
//
// It travels as a work unit's body, as compact JSON: the window and runs
// of queries sharing a key, each with its metric keys —
//
//	{"end":"2026-11-21T00:00:00Z","days":15,"q":[
//	  {"k":"region","m":["ConcurrentExecutions:Maximum","UnreservedConcurrentExecutions:Maximum"]},
//	  {"k":"111111111111/us-east-1/orders-api","n":"orders-api","m":["Invocations:Sum",…]},
//	  {"k":"/aws/lambda/orders-api","m":["IncomingBytes:Sum"]}]}
//
// — about 200 bytes per function, so 500 queries stay near 15 KB.
type Batch struct {
	Window  Window
	Queries []Query
}

// NewBatch is a validated batch.
func NewBatch(w Window, qs []Query) (Batch, error) {
	b := Batch{Window: w, Queries: qs}
	return b, b.Validate()
}

// Validate reports a batch GetMetricData would refuse or that cannot be
// mapped back: a bad window, no queries, too many queries or datapoints,
// an unknown metric key, the same (key, metric key) twice.
func (b Batch) Validate() error {
	if err := b.Window.Validate(); err != nil {
		return fmt.Errorf("metrics: batch: %w", err)
	}
	n := len(b.Queries)
	switch {
	case n == 0:
		return fmt.Errorf("metrics: batch: no queries")
	case n > MaxQueries:
		return fmt.Errorf("metrics: batch: %d queries, at most %d", n, MaxQueries)
	case n*b.Window.Days > MaxDatapoints:
		return fmt.Errorf("metrics: batch: %d queries × %d days = %d datapoints, at most %d", n, b.Window.Days, n*b.Window.Days, MaxDatapoints)
	}
	type km struct{ k, m string }
	seen := make(map[km]bool, n)
	for i, q := range b.Queries {
		if _, err := q.def(); err != nil {
			return fmt.Errorf("metrics: batch: q%d: %w", i, err)
		}
		if seen[km{q.Key, q.Metric}] {
			return fmt.Errorf("metrics: batch: q%d: %s %s appears twice", i, q.Key, q.Metric)
		}
		seen[km{q.Key, q.Metric}] = true
	}
	return nil
}

// FunctionIDs are the distinct function IDs the batch's queries cover, in
// query order (the work unit's items).
func (b Batch) FunctionIDs() []string {
	var out []string
	seen := map[string]bool{}
	for _, q := range b.Queries {
		if q.Name != "" && !seen[q.Key] {
			seen[q.Key] = true
			out = append(out, q.Key)
		}
	}
	return out
}

// Input is the first page's request: query i as Id "q<i>", period one
// day, StartTime the window's start and EndTime its end (exclusive),
// oldest datapoints first. It does not validate the batch (Fetch does).
func (b Batch) Input() *cloudwatch.GetMetricDataInput {
	in := &cloudwatch.GetMetricDataInput{
		StartTime:         aws.Time(b.Window.Start()),
		EndTime:           aws.Time(b.Window.End),
		ScanBy:            types.ScanByTimestampAscending,
		MetricDataQueries: make([]types.MetricDataQuery, len(b.Queries)),
	}
	for i, q := range b.Queries {
		d, _ := q.def()
		m := &types.Metric{Namespace: aws.String(d.ns), MetricName: aws.String(d.name)}
		switch d.dim {
		case "":
		case dimLogGroup:
			m.Dimensions = []types.Dimension{{Name: aws.String(d.dim), Value: aws.String(q.Key)}}
		default:
			m.Dimensions = []types.Dimension{{Name: aws.String(d.dim), Value: aws.String(q.Name)}}
		}
		in.MetricDataQueries[i] = types.MetricDataQuery{
			Id:         aws.String(queryID(i)),
			MetricStat: &types.MetricStat{Metric: m, Period: aws.Int32(period), Stat: aws.String(d.stat)},
			ReturnData: aws.Bool(true),
		}
	}
	return in
}

// queryID is query i's Id.
func queryID(i int) string { return "q" + strconv.Itoa(i) }

// queryIndex maps an Id back, or -1.
func queryIndex(id string, n int) int {
	if len(id) < 2 || id[0] != 'q' || (id[1] == '0' && len(id) > 2) {
		return -1
	}
	i, err := strconv.Atoi(id[1:])
	if err != nil || i < 0 || i >= n {
		return -1
	}
	return i
}

type batchJSON struct {
	End  time.Time  `json:"end"`
	Days int        `json:"days"`
	Runs []queryRun `json:"q"`
}

// queryRun is consecutive queries with one key and name.
type queryRun struct {
	Key     string   `json:"k"`
	Name    string   `json:"n,omitempty"`
	Metrics []string `json:"m"`
}

// MarshalJSON writes the compact form (see Batch).
func (b Batch) MarshalJSON() ([]byte, error) {
	out := batchJSON{End: b.Window.End, Days: b.Window.Days}
	for _, q := range b.Queries {
		if r := len(out.Runs) - 1; r >= 0 && out.Runs[r].Key == q.Key && out.Runs[r].Name == q.Name {
			out.Runs[r].Metrics = append(out.Runs[r].Metrics, q.Metric)
			continue
		}
		out.Runs = append(out.Runs, queryRun{Key: q.Key, Name: q.Name, Metrics: []string{q.Metric}})
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the compact form and validates the batch.
func (b *Batch) UnmarshalJSON(data []byte) error {
	var in batchJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return fmt.Errorf("metrics: batch: %w", err)
	}
	n := 0
	for _, r := range in.Runs {
		n += len(r.Metrics)
	}
	nb := Batch{Window: Window{End: in.End, Days: in.Days}, Queries: make([]Query, 0, n)}
	for _, r := range in.Runs {
		for _, m := range r.Metrics {
			nb.Queries = append(nb.Queries, Query{Key: r.Key, Name: r.Name, Metric: m})
		}
	}
	if err := nb.Validate(); err != nil {
		return err
	}
	*b = nb
	return nil
}
