package logstats_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
)

// lgFakeTime is a clock only its Sleep moves: Sleep records the wait,
// advances the clock by it and returns at once, or returns ctx's error
// when ctx has ended. onSleep, when set, runs before each wait.
type lgFakeTime struct {
	mu      sync.Mutex
	now     time.Time
	waits   []time.Duration
	onSleep func(n int)
}

func newFakeTime() *lgFakeTime {
	return &lgFakeTime{now: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)}
}

func (f *lgFakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *lgFakeTime) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	n, hook := len(f.waits), f.onSleep
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	f.now = f.now.Add(d)
	return nil
}

func (f *lgFakeTime) settings(s logstats.Settings) logstats.Settings {
	s.Clock, s.Sleep = f.Now, f.Sleep
	return s
}

// lgScripted is an in-process CloudWatch Logs API: StartQuery answers
// LimitExceededException limited times (forever when limited < 0), then
// a query that GetQueryResults reports Running running times before it
// completes with one REPORT row for every group on the window's last day.
type lgScripted struct {
	limited, running int

	mu                   sync.Mutex
	groups               []string
	starts, polls, stops int
}

func (s *lgScripted) StartQuery(ctx context.Context, in *cloudwatchlogs.StartQueryInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StartQueryOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.starts++
	if s.limited < 0 || s.starts <= s.limited {
		return nil, &types.LimitExceededException{Message: aws.String("Account maximum query concurrency limit of [30] reached.")}
	}
	s.groups = in.LogGroupNames
	return &cloudwatchlogs.StartQueryOutput{QueryId: aws.String("q-1")}, nil
}

func (s *lgScripted) GetQueryResults(ctx context.Context, in *cloudwatchlogs.GetQueryResultsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetQueryResultsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls++
	if s.polls <= s.running {
		return &cloudwatchlogs.GetQueryResultsOutput{Status: types.QueryStatusRunning}, nil
	}
	out := &cloudwatchlogs.GetQueryResultsOutput{Status: types.QueryStatusComplete, Statistics: &types.QueryStatistics{BytesScanned: 1000}}
	for _, g := range s.groups {
		out.Results = append(out.Results, []types.ResultField{
			{Field: aws.String("@log"), Value: aws.String("111111111111:" + g)},
			{Field: aws.String("bin(1d)"), Value: aws.String(lgClockWindow.DayStart(lgClockWindow.Days - 1).Format("2006-01-02 15:04:05.000"))},
			{Field: aws.String("invocations"), Value: aws.String("42")},
		})
	}
	return out, nil
}

func (s *lgScripted) StopQuery(ctx context.Context, in *cloudwatchlogs.StopQueryInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StopQueryOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stops++
	return &cloudwatchlogs.StopQueryOutput{Success: true}, nil
}

var lgClockWindow = metrics.Window{End: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Days: 15}

var lgClockBatch = logstats.Batch{Account: "111111111111", Region: "us-east-1", Format: logstats.LogFormatText, Window: lgClockWindow,
	Groups: []logstats.GroupRef{{Name: "/aws/lambda/api", Functions: []string{"111111111111/us-east-1/api"}}}}

// TestRunnerPollsOnTheInjectedClock: the waits before each
// GetQueryResults start at InitialPoll and double up to MaxPoll, on the
// injected sleep alone — no real time passes, so the number of polls
// depends on the query, never on how fast the machine is.
func TestRunnerPollsOnTheInjectedClock(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name    string
		set     logstats.Settings
		running int
		want    []time.Duration
	}{
		{"defaults: 500 ms doubling up to 5 s", logstats.Settings{}, 6,
			[]time.Duration{500 * ms, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"complete at the first poll", logstats.Settings{}, 0, []time.Duration{500 * ms}},
		{"custom", logstats.Settings{InitialPoll: 20 * ms, MaxPoll: 100 * ms}, 4,
			[]time.Duration{20 * ms, 40 * ms, 80 * ms, 100 * ms, 100 * ms}},
		{"MaxPoll below InitialPoll is raised to it", logstats.Settings{InitialPoll: time.Second, MaxPoll: 10 * ms}, 2,
			[]time.Duration{time.Second, time.Second, time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTime()
			api := &lgScripted{running: tc.running}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			res, err := logstats.NewRunner(ft.settings(tc.set)).Run(ctx, api, lgClockBatch)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ft.waits, tc.want) {
				t.Errorf("waits %v, want %v", ft.waits, tc.want)
			}
			if api.polls != tc.running+1 || api.starts != 1 || api.stops != 0 {
				t.Errorf("%d polls, %d starts, %d stops; want %d, 1, 0", api.polls, api.starts, api.stops, tc.running+1)
			}
			if inv, ok := res.Stats["111111111111/us-east-1/api"].Invocations.Last(); !ok || inv != 42 || res.Queries != 1 || res.BytesScanned != 1000 {
				t.Errorf("stats %v (%v), %d queries, %v bytes; want 42 invocations, 1 query, 1000 bytes", inv, ok, res.Queries, res.BytesScanned)
			}
			if real := time.Since(start); real > 2*time.Second {
				t.Errorf("took %v of real time: the runner slept for real", real)
			}
		})
	}
}

// TestRunnerLimitWaitOnTheInjectedClock: LimitExceededException (other
// clients hold the account's query slots) is retried with back-off for
// LimitWait measured on the injected clock, then given up — ten minutes
// of waiting tested without waiting.
func TestRunnerLimitWaitOnTheInjectedClock(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limited   int
		limitWait time.Duration
		wantErr   bool
	}{
		{"refused twice, then run", 2, 0, false},
		{"refused for the whole default 10 minutes", -1, 0, true},
		{"refused past a 3 s LimitWait", -1, 3 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTime()
			t0 := ft.Now()
			api := &lgScripted{limited: tc.limited}
			set := ft.settings(logstats.Settings{LimitWait: tc.limitWait})
			// A runner that slept for real would still be waiting: give up
			// after a real second.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := logstats.NewRunner(set).Run(ctx, api, lgClockBatch)
			var le *types.LimitExceededException
			if got := errors.As(err, &le); got != tc.wantErr {
				t.Fatalf("err = %v, want a LimitExceededException: %v", err, tc.wantErr)
			}
			limitWait := cmp.Or(tc.limitWait, logstats.DefaultLimitWait)
			waited := ft.Now().Sub(t0)
			if !tc.wantErr {
				// Two refusals: 500 ms and 1 s, then the first poll's 500 ms.
				if want := []time.Duration{500 * time.Millisecond, time.Second, 500 * time.Millisecond}; !slices.Equal(ft.waits, want) {
					t.Errorf("waits %v, want %v", ft.waits, want)
				}
				return
			}
			// Given up only when the next wait would pass the deadline.
			if waited > limitWait || waited+logstats.DefaultMaxPoll <= limitWait {
				t.Errorf("gave up after %v of waiting, want within the last %v before %v", waited, logstats.DefaultMaxPoll, limitWait)
			}
			if api.starts != len(ft.waits)+1 || api.polls != 0 {
				t.Errorf("%d StartQuery calls for %d waits, %d polls", api.starts, len(ft.waits), api.polls)
			}
			for _, w := range ft.waits {
				if w > logstats.DefaultMaxPoll {
					t.Errorf("a wait of %v, more than MaxPoll", w)
				}
			}
		})
	}
}

// TestRunnerCancelledWhilePolling: ctx ending during a wait between
// polls stops the running query and returns ctx's error.
func TestRunnerCancelledWhilePolling(t *testing.T) {
	ft := newFakeTime()
	// A runner that slept for real would run out of this real time first.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ft.onSleep = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	api := &lgScripted{running: 100}
	_, err := logstats.NewRunner(ft.settings(logstats.Settings{})).Run(ctx, api, lgClockBatch)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if api.polls != 3 || api.stops != 1 {
		t.Errorf("%d polls, %d StopQuery calls; want 3 polls, then the query stopped once", api.polls, api.stops)
	}
}
