package logstats_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
)

// lgFn is a function of account 1 in us-east-1 unless its name says
// "region/name".
func lgFn(name string, mods ...func(*metrics.Function)) metrics.Function {
	region := "us-east-1"
	if r, n, ok := strings.Cut(name, "/"); ok {
		region, name = r, n
	}
	f := metrics.Function{ID: "111111111111/" + region + "/" + name, Name: name}
	for _, m := range mods {
		m(&f)
	}
	return f
}

func lgJSON(f *metrics.Function)               { f.LogFormat = logstats.LogFormatJSON }
func lgInsights(f *metrics.Function)           { f.LambdaInsights = true }
func lgGroup(g string) func(*metrics.Function) { return func(f *metrics.Function) { f.LogGroup = g } }

// lgEstimates gives each named function a window estimate of bytes (spread on the
// last day); nil bytes gives a series with no data.
func lgEstimates(days int, kv ...any) map[string]metrics.Series {
	out := map[string]metrics.Series{}
	for i := 0; i < len(kv); i += 2 {
		s := metrics.NewSeries(days)
		if v, ok := kv[i+1].(float64); ok {
			s[days-1] = &v
		}
		out[lgFn(kv[i].(string)).ID] = s
	}
	return out
}

// lgDescribe renders a plan as "region format [groups]" per batch and
// "name: reason" per skip.
func lgDescribe(p *logstats.Plan) (batches, skipped []string) {
	for _, b := range p.Batches {
		var gs []string
		for _, g := range b.Groups {
			gs = append(gs, strings.TrimPrefix(g.Name, "/aws/lambda/")+"("+strings.Join(lgNames(g.Functions), ",")+")")
		}
		batches = append(batches, fmt.Sprintf("%s %s %v", b.Region, b.Format, gs))
	}
	for _, s := range p.Skipped {
		skipped = append(skipped, lgNames([]string{s.ID})[0]+": "+s.Reason)
	}
	slices.Sort(skipped)
	return batches, skipped
}

func lgNames(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id[strings.LastIndex(id, "/")+1:]
	}
	return out
}

func TestNewPlan(t *testing.T) {
	w := metrics.Window{End: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Days: 15}
	many := func(prefix string, n int, mods ...func(*metrics.Function)) []metrics.Function {
		var out []metrics.Function
		for i := range n {
			out = append(out, lgFn(fmt.Sprintf("%s%03d", prefix, i), mods...))
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		fns         []metrics.Function
		window      metrics.Window
		est         map[string]metrics.Series
		opt         logstats.PlanOptions
		wantBatches []string
		wantSkipped []string
		wantBytes   float64
	}{
		{
			name:        "defaults: /aws/lambda/<name>, Text, one batch per format",
			fns:         []metrics.Function{lgFn("b"), lgFn("a", lgJSON), lgFn("c", lgGroup("/custom/c"))},
			wantBatches: []string{"us-east-1 JSON [a(a)]", "us-east-1 Text [b(b) /custom/c(c)]"},
		},
		{
			name:        "busiest first; a group that does not fit is skipped and smaller ones tried",
			fns:         []metrics.Function{lgFn("big"), lgFn("mid"), lgFn("small"), lgFn("tiny")},
			est:         lgEstimates(15, "big", 100.0, "mid", 60.0, "small", 30.0, "tiny", 10.0),
			opt:         logstats.PlanOptions{BudgetBytes: 135},
			wantBatches: []string{"us-east-1 Text [big(big) small(small)]"},
			wantSkipped: []string{"mid: log budget", "tiny: log budget"},
			wantBytes:   130,
		},
		{
			name:        "a group larger than the whole budget does not starve the rest",
			fns:         []metrics.Function{lgFn("huge"), lgFn("small")},
			est:         lgEstimates(15, "huge", 1e12, "small", 10.0),
			opt:         logstats.PlanOptions{BudgetBytes: 100},
			wantBatches: []string{"us-east-1 Text [small(small)]"},
			wantSkipped: []string{"huge: log budget"},
			wantBytes:   10,
		},
		{
			name:        "LambdaInsights groups come after every other group",
			fns:         []metrics.Function{lgFn("li", lgInsights), lgFn("plain")},
			est:         lgEstimates(15, "li", 100.0, "plain", 10.0),
			opt:         logstats.PlanOptions{BudgetBytes: 100},
			wantBatches: []string{"us-east-1 Text [plain(plain)]"},
			wantSkipped: []string{"li: log budget"},
			wantBytes:   10,
		},
		{
			name:        "LambdaInsights groups are queried when the budget allows",
			fns:         []metrics.Function{lgFn("li", lgInsights), lgFn("plain")},
			est:         lgEstimates(15, "li", 100.0, "plain", 10.0),
			opt:         logstats.PlanOptions{BudgetBytes: 110},
			wantBatches: []string{"us-east-1 Text [li(li) plain(plain)]"},
			wantBytes:   110,
		},
		{
			name:        "SkipLambdaInsights",
			fns:         []metrics.Function{lgFn("li", lgInsights), lgFn("plain")},
			opt:         logstats.PlanOptions{SkipLambdaInsights: true},
			wantBatches: []string{"us-east-1 Text [plain(plain)]"},
			wantSkipped: []string{"li: covered by LambdaInsights"},
		},
		{
			name:        "no data is not zero: an estimate with no data or only zeros skips the group",
			fns:         []metrics.Function{lgFn("quiet"), lgFn("zero"), lgFn("busy")},
			est:         lgEstimates(15, "quiet", nil, "zero", 0.0, "busy", 5.0),
			wantBatches: []string{"us-east-1 Text [busy(busy)]"},
			wantSkipped: []string{"quiet: no log data in window", "zero: no log data in window"},
			wantBytes:   5,
		},
		{
			name:        "no estimate: queried without a budget",
			fns:         []metrics.Function{lgFn("unknown"), lgFn("busy")},
			est:         lgEstimates(15, "busy", 5.0),
			wantBatches: []string{"us-east-1 Text [busy(busy) unknown(unknown)]"},
			wantBytes:   5,
		},
		{
			name:        "no estimate: skipped under a budget",
			fns:         []metrics.Function{lgFn("unknown"), lgFn("busy")},
			est:         lgEstimates(15, "busy", 5.0),
			opt:         logstats.PlanOptions{BudgetBytes: 1e9},
			wantBatches: []string{"us-east-1 Text [busy(busy)]"},
			wantSkipped: []string{"unknown: no log size estimate"},
			wantBytes:   5,
		},
		{
			name:        "a shared log group is queried once for its functions",
			fns:         []metrics.Function{lgFn("a", lgGroup("/shared")), lgFn("b", lgGroup("/shared"))},
			est:         lgEstimates(15, "a", 7.0),
			wantBatches: []string{"us-east-1 Text [/shared(a,b)]"},
			wantBytes:   7,
		},
		{
			name:        "per account-region and format",
			fns:         []metrics.Function{lgFn("eu-west-1/a"), lgFn("us-east-1/b"), lgFn("eu-west-1/c", lgJSON)},
			wantBatches: []string{"eu-west-1 JSON [c(c)]", "eu-west-1 Text [a(a)]", "us-east-1 Text [b(b)]"},
		},
		{
			name:        "unsupported log format",
			fns:         []metrics.Function{lgFn("x", func(f *metrics.Function) { f.LogFormat = "XML" })},
			wantSkipped: []string{"x: unsupported log format XML"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			win := tc.window
			if win.Days == 0 {
				win = w
			}
			p, err := logstats.NewPlan(tc.fns, win, tc.est, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			batches, skipped := lgDescribe(p)
			if fmt.Sprint(batches) != fmt.Sprint(tc.wantBatches) {
				t.Errorf("batches\n got %v\nwant %v", batches, tc.wantBatches)
			}
			if fmt.Sprint(skipped) != fmt.Sprint(tc.wantSkipped) {
				t.Errorf("skipped\n got %v\nwant %v", skipped, tc.wantSkipped)
			}
			if p.EstimatedBytes != tc.wantBytes {
				t.Errorf("estimated bytes %v, want %v", p.EstimatedBytes, tc.wantBytes)
			}
			for _, b := range p.Batches {
				if err := b.Validate(); err != nil {
					t.Error(err)
				}
			}
		})
	}

	t.Run("dense", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			fns   []metrics.Function
			days  int
			sizes []int
		}{
			{"120 groups: 50, 50, 20", many("f", 120), 15, []int{50, 50, 20}},
			{"exactly 50: one query", many("f", 50), 15, []int{50}},
			{"51: two", many("f", 51), 15, []int{50, 1}},
			{"455 days: 50 groups, 22,750 rows within the 100,000 a query returns", many("f", 50), 455, []int{50}},
			{"per format: JSON 10, Text 50 and 10", append(many("t", 60), many("j", 10, lgJSON)...), 15, []int{10, 50, 10}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p, err := logstats.NewPlan(tc.fns, metrics.Window{End: w.End, Days: tc.days}, nil, logstats.PlanOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var sizes []int
				for _, b := range p.Batches {
					sizes = append(sizes, len(b.Groups))
					if err := b.Validate(); err != nil {
						t.Error(err)
					}
				}
				if fmt.Sprint(sizes) != fmt.Sprint(tc.sizes) {
					t.Errorf("batch sizes %v, want %v", sizes, tc.sizes)
				}
			})
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			fns  []metrics.Function
			w    metrics.Window
			want string
		}{
			{"malformed function ID", []metrics.Function{{ID: "orders-api"}}, w, `function ID "orders-api"`},
			{"window end not midnight", nil, metrics.Window{End: w.End.Add(time.Hour), Days: 1}, "not a UTC midnight"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := logstats.NewPlan(tc.fns, tc.w, nil, logstats.PlanOptions{})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want it to say %q", err, tc.want)
				}
			})
		}
	})
}

func TestLogsBatchValidate(t *testing.T) {
	w := metrics.Window{End: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Days: 15}
	ok := logstats.Batch{Account: "1", Region: "r", Format: logstats.LogFormatText, Window: w,
		Groups: []logstats.GroupRef{{Name: "/g", Functions: []string{"1/r/g"}}}}
	tooMany := ok
	tooMany.Groups = nil
	for i := range 51 {
		tooMany.Groups = append(tooMany.Groups, logstats.GroupRef{Name: fmt.Sprint("/g", i), Functions: []string{"x"}})
	}
	for _, tc := range []struct {
		name string
		mod  func(b *logstats.Batch)
		want string
	}{
		{"valid", func(*logstats.Batch) {}, ""},
		{"51 groups", func(b *logstats.Batch) { *b = tooMany }, "51 log groups, at most 50"},
		{"format", func(b *logstats.Batch) { b.Format = "text" }, `got "text"`},
		{"no account", func(b *logstats.Batch) { b.Account = "" }, "account and region are required"},
		{"twice", func(b *logstats.Batch) { b.Groups = append(b.Groups, b.Groups[0]) }, "listed twice"},
		{"group without functions", func(b *logstats.Batch) { b.Groups = []logstats.GroupRef{{Name: "/g"}} }, "needs a name and functions"},
		{"window", func(b *logstats.Batch) { b.Window.Days = 0 }, "days must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ok
			b.Groups = slices.Clone(ok.Groups)
			tc.mod(&b)
			err := b.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
