package fanout_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/fanout"
)

// query stands for one GetMetricData query: weight 1 query and its
// datapoints.
type query struct {
	id         int
	datapoints int
}

func queryWeight(q query) []int { return []int{1, q.datapoints} }

func queries(n, datapoints int) []query {
	qs := make([]query, n)
	for i := range qs {
		qs[i] = query{i, datapoints}
	}
	return qs
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func TestPackDensity(t *testing.T) {
	caps := []int{500, 100800} // GetMetricData: queries, datapoints
	tests := []struct {
		name  string
		items []query
		want  int
	}{
		{"empty", nil, 0},
		{"one query", queries(1, 15), 1},
		{"one bin exactly", queries(500, 15), 1},
		{"one over a bin", queries(501, 15), 2},
		// 10,000 functions × 7 queries, 15 daily datapoints each: the
		// query cap binds.
		{"10k functions, queries bind", queries(70000, 15), ceilDiv(70000, 500)},
		{"prime count, queries bind", queries(7919, 15), ceilDiv(7919, 500)},
		// 1,440 datapoints a query (a day at 60 s): 70 fit in 100,800,
		// so the datapoint cap binds.
		{"datapoints bind", queries(1000, 1440), ceilDiv(1000*1440, 100800)},
		{"datapoints bind, uneven", queries(333, 1000), ceilDiv(333, 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bins, err := fanout.Pack(tt.items, caps, queryWeight)
			if err != nil {
				t.Fatal(err)
			}
			if len(bins) != tt.want {
				t.Errorf("%d bins, want %d", len(bins), tt.want)
			}
			checkBins(t, tt.items, bins, caps, queryWeight)
		})
	}
}

func TestPackSeveralCaps(t *testing.T) {
	// Logs Insights-like: ≤ 3 groups and ≤ 10 "bytes" a bin; the binding
	// cap changes from bin to bin.
	type group struct {
		name  string
		bytes int
	}
	w := func(g group) []int { return []int{1, g.bytes} }
	caps := []int{3, 10}
	items := []group{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 6}, {"e", 4}, {"f", 9}, {"g", 0}, {"h", 2}, {"i", 10}, {"j", 1}}
	bins, err := fanout.Pack(items, caps, w)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bins {
		var names []string
		for _, g := range b {
			names = append(names, g.name)
		}
		got = append(got, strings.Join(names, ""))
	}
	// abc: count cap reached; de: bytes cap reached exactly; fg: h would
	// overflow bytes; h then i would overflow; i: bytes exactly; j.
	want := []string{"abc", "de", "fg", "h", "i", "j"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bins %v, want %v", got, want)
	}
	checkBins(t, items, bins, caps, w)
}

func TestPackErrors(t *testing.T) {
	unit := func(int) []int { return []int{1} }
	tests := []struct {
		name   string
		items  []int
		caps   []int
		weight func(int) []int
		want   string
	}{
		{"oversize item", []int{1, 2, 600, 3}, []int{500}, func(x int) []int { return []int{x} }, "item 2 weighs 600 in dimension 0, over the cap 500"},
		{"oversize in the second cap", []int{0, 1}, []int{5, 10}, func(x int) []int { return []int{1, 11 * x} }, "item 1 weighs 11 in dimension 1, over the cap 10"},
		{"negative weight", []int{0, -1}, []int{5}, func(x int) []int { return []int{x} }, "item 1 has a negative weight -1"},
		{"wrong number of weights", []int{0}, []int{5, 5}, unit, "item 0 has 1 weights for 2 caps"},
		{"no caps", []int{0}, nil, unit, "no caps"},
		{"zero cap", []int{0}, []int{0}, unit, "cap 0 is 0, must be positive"},
		{"nil weight", []int{0}, []int{1}, nil, "nil weight function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bins, err := fanout.Pack(tt.items, tt.caps, tt.weight)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Pack: %v, %v; want an error containing %q", bins, err, tt.want)
			}
			if bins != nil {
				t.Errorf("bins %v with an error", bins)
			}
		})
	}
	_, err := fanout.Pack([]int{7, 9}, []int{8}, func(x int) []int { return []int{x} })
	var oe *fanout.OversizeError
	if !errors.As(err, &oe) || oe.Index != 1 || oe.Weight != 9 || oe.Cap != 8 {
		t.Errorf("error %v: want *OversizeError{Index: 1, Weight: 9, Cap: 8}", err)
	}
}

func TestPackerStreaming(t *testing.T) {
	p, err := fanout.NewPacker([]int{3}, func(string) []int { return []int{1} })
	if err != nil {
		t.Fatal(err)
	}
	var emitted []string
	for i, s := range []string{"a", "b", "c", "d", "e"} {
		full, err := p.Add(s)
		if err != nil {
			t.Fatal(err)
		}
		// A bin comes out the moment it is full, not when the next item
		// arrives: the scan can start the call at once.
		if wantFull := i == 2; (len(full) == 1) != wantFull || len(full) > 1 {
			t.Errorf("Add(%q) returned %d bins", s, len(full))
		}
		for _, b := range full {
			emitted = append(emitted, strings.Join(b, ""))
		}
	}
	if last := p.Flush(); strings.Join(last, "") != "de" {
		t.Errorf("Flush = %v, want [d e]", last)
	}
	if again := p.Flush(); again != nil {
		t.Errorf("second Flush = %v, want nil", again)
	}
	if fmt.Sprint(emitted) != "[abc]" {
		t.Errorf("emitted %v, want [abc]", emitted)
	}

	// Two bins at once: the open bin is closed by an item that then
	// fills a bin on its own.
	p2, _ := fanout.NewPacker([]int{10}, func(x int) []int { return []int{x} })
	p2.Add(4)
	full, _ := p2.Add(10)
	if fmt.Sprint(full) != "[[4] [10]]" {
		t.Errorf("Add(10) after 4 = %v, want [[4] [10]]", full)
	}
	// An oversize item leaves the packer as it was.
	p2.Add(3)
	if _, err := p2.Add(11); err == nil {
		t.Error("Add(11) with cap 10: no error")
	}
	if last := p2.Flush(); fmt.Sprint(last) != "[3]" {
		t.Errorf("Flush after a refused item = %v, want [3]", last)
	}
}

// checkBins checks that the bins hold the items in order, each once, none
// empty, none over a cap, and that next-fit closed each bin for a reason:
// a cap reached, or the next bin's first item would have broken one.
func checkBins[T comparable](t *testing.T, items []T, bins [][]T, caps []int, weight func(T) []int) {
	t.Helper()
	var flat []T
	sums := make([][]int, len(bins))
	for i, b := range bins {
		if len(b) == 0 {
			t.Fatalf("bin %d is empty", i)
		}
		sums[i] = make([]int, len(caps))
		for _, it := range b {
			for d, w := range weight(it) {
				sums[i][d] += w
			}
		}
		for d := range caps {
			if sums[i][d] > caps[d] {
				t.Fatalf("bin %d weighs %d in dimension %d, over the cap %d", i, sums[i][d], d, caps[d])
			}
		}
		flat = append(flat, b...)
	}
	if len(flat) != len(items) {
		t.Fatalf("%d items in the bins, want %d", len(flat), len(items))
	}
	for i := range items {
		if flat[i] != items[i] {
			t.Fatalf("item %d is %v in the bins, want %v (lost, duplicated or reordered)", i, flat[i], items[i])
		}
	}
	for i := 0; i+1 < len(bins); i++ {
		next := weight(bins[i+1][0])
		closed := false
		for d := range caps {
			if sums[i][d] == caps[d] || sums[i][d]+next[d] > caps[d] {
				closed = true
			}
		}
		if !closed {
			t.Fatalf("bin %d (weights %v) was closed though the next item %v fits: not dense", i, sums[i], next)
		}
	}
}

func FuzzPack(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint8(10), uint8(12))
	f.Add([]byte{0, 0, 255, 9}, uint8(1), uint8(1))
	f.Add([]byte{}, uint8(3), uint8(200))
	f.Fuzz(func(t *testing.T, data []byte, c0, c1 uint8) {
		caps := []int{int(c0)%16 + 1, int(c1) + 1}
		// Each pair of bytes is an item; weights are kept within the caps
		// so that every item is packable (oversize is tested apart).
		type item struct{ i, w0, w1 int }
		var items []item
		for i := 0; i+1 < len(data); i += 2 {
			items = append(items, item{i / 2, int(data[i]) % (caps[0] + 1), int(data[i+1]) % (caps[1] + 1)})
		}
		w := func(x item) []int { return []int{x.w0, x.w1} }
		bins, err := fanout.Pack(items, caps, w)
		if err != nil {
			t.Fatal(err)
		}
		checkBins(t, items, bins, caps, w)
		// With unit weights in one dimension the count is the minimum.
		ones := make([]int, len(data))
		bins1, err := fanout.Pack(ones, caps[:1], func(int) []int { return []int{1} })
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(bins1), ceilDiv(len(ones), caps[0]); got != want {
			t.Fatalf("%d unit items, cap %d: %d bins, want %d", len(ones), caps[0], got, want)
		}
	})
}

func BenchmarkPack(b *testing.B) {
	// 100,000 GetMetricData queries of 15 datapoints: 200 calls.
	items := queries(100000, 15)
	caps := []int{500, 100800}
	b.ReportAllocs()
	var bins [][]query
	for b.Loop() {
		var err error
		bins, err = fanout.Pack(items, caps, queryWeight)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(bins)), "bins")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(items)), "ns/item")
}

func BenchmarkPacker(b *testing.B) {
	items := queries(100000, 15)
	b.ReportAllocs()
	for b.Loop() {
		p, _ := fanout.NewPacker([]int{500, 100800}, queryWeight)
		n := 0
		for _, q := range items {
			full, err := p.Add(q)
			if err != nil {
				b.Fatal(err)
			}
			n += len(full)
		}
		if p.Flush() != nil {
			n++
		}
		if n != 200 {
			b.Fatalf("%d bins, want 200", n)
		}
	}
}
