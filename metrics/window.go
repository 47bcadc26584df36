// Package metrics owns what each function did as CloudWatch metrics
// record it: it discovers which optional metrics each function has
// (ListMetrics), builds the GetMetricData queries for a fleet, packs them
// into batches and maps the answers back to functions and days, and
// defines the window, the daily series and the function description the
// scan shares. It reports values; it does not decide what is bad (package
// insights does), and it does not read logs: the Logs Insights statistics
// of the REPORT records are package logstats', which takes the AWS/Logs
// IncomingBytes estimates fetched here for its budget.
package metrics

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Day is the length of one datapoint of the daily series.
const Day = 24 * time.Hour

// Window is the scanned time range: Days complete UTC days ending at End
// (exclusive). The last day is the report window; the days before it are
// history for baselines.
type Window struct {
	End  time.Time `json:"end"`
	Days int       `json:"days"`
}

// DefaultDays is one report day plus 14 days of history.
const DefaultDays = 15

// LastCompleteDay is the default window: the DefaultDays complete UTC days
// before now's UTC midnight, so the report day is yesterday.
func LastCompleteDay(now time.Time) Window {
	return Window{End: now.UTC().Truncate(Day), Days: DefaultDays}
}

// Validate reports a window that cannot be queried.
func (w Window) Validate() error {
	switch {
	case w.Days < 1:
		return fmt.Errorf("window: days must be at least 1, got %d", w.Days)
	case !w.End.Equal(w.End.UTC().Truncate(Day)):
		return fmt.Errorf("window: end %s is not a UTC midnight", w.End.Format(time.RFC3339))
	}
	return nil
}

// Start is the first instant of the window's first day.
func (w Window) Start() time.Time { return w.End.Add(-time.Duration(w.Days) * Day) }

// DayStart is the first instant of day i (0 = oldest, Days-1 = report day).
func (w Window) DayStart(i int) time.Time { return w.Start().Add(time.Duration(i) * Day) }

// DayIndex maps a datapoint timestamp to its day, or -1 outside the window.
func (w Window) DayIndex(t time.Time) int {
	if t.Before(w.Start()) || !t.Before(w.End) {
		return -1
	}
	return int(t.Sub(w.Start()) / Day)
}

// Series is one value per window day, oldest first. A nil element means
// CloudWatch (or the logs) had no data for that day, which is not zero;
// it encodes as JSON null.
type Series []*float64

// NewSeries is a series of days days with no data.
func NewSeries(days int) Series { return make(Series, days) }

// Last is the report day's value and whether there is one.
func (s Series) Last() (float64, bool) {
	if len(s) == 0 || s[len(s)-1] == nil {
		return 0, false
	}
	return *s[len(s)-1], true
}

// UnmarshalJSON reads a series — an array of numbers and nulls — into
// one backing array: a decoded scan result holds millions of days, and
// the reflective decoder allocates each value on its own.
func (s *Series) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = nil
		return nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return fmt.Errorf("metrics: series: want an array of numbers and nulls, got %.40q", b)
	}
	body := bytes.TrimSpace(b[1 : len(b)-1])
	if len(body) == 0 {
		*s = Series{}
		return nil
	}
	n := bytes.Count(body, []byte{','}) + 1
	out := make(Series, 0, n)
	vals := make([]float64, 0, n)
	for part := range bytes.SplitSeq(body, []byte{','}) {
		part = bytes.TrimSpace(part)
		if bytes.Equal(part, []byte("null")) {
			out = append(out, nil)
			continue
		}
		v, err := strconv.ParseFloat(string(part), 64)
		if err != nil {
			return fmt.Errorf("metrics: series: element %d: %q is not a number or null", len(out), part)
		}
		vals = append(vals, v)
		out = append(out, &vals[len(vals)-1])
	}
	*s = out
	return nil
}
