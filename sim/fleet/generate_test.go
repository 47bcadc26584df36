package fleet

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

// testNow is the simulated clock of the tests (simtest.Now).
var testNow = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)

// mixAll gives every anomaly kind a share.
func mixAll(share float64) map[string]float64 {
	m := map[string]float64{}
	for _, k := range AnomalyKinds {
		m[k] = share
	}
	return m
}

func genSpec(t testing.TB, seed int64, n int, accounts, regions []string, mix map[string]float64) *Spec {
	t.Helper()
	s := &Spec{Seed: seed, Generate: &GeneratorSpec{Functions: n, Accounts: accounts, Regions: regions, Mix: mix}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

func buildGen(t testing.TB, seed int64, n int, accounts, regions []string, mix map[string]float64) *Fleet {
	t.Helper()
	f, err := Build(genSpec(t, seed, n, accounts, regions, mix), testNow)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestGenerator(t *testing.T) {
	for _, tc := range []struct {
		name     string
		seed     int64
		n        int
		accounts []string
		regions  []string
		mix      map[string]float64
	}{
		{"every kind once in 60", 1, 60, nil, nil, mixAll(0.001)},
		{"2 accounts x 2 regions, 2 % each", 42, 800, []string{"111111111111", "222222222222"}, []string{"us-east-1", "eu-west-1"}, mixAll(0.02)},
		{"3 regions, 5 % each", 7, 600, []string{"333333333333"}, []string{"us-east-1", "us-west-2", "ap-southeast-2"}, mixAll(0.05)},
		{"healthy only", 3, 300, nil, []string{"eu-central-1"}, nil},
		{"one function, one kind", 9, 1, nil, nil, map[string]float64{"cost-spike": 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := buildGen(t, tc.seed, tc.n, tc.accounts, tc.regions, tc.mix)
			if got := f.NumFunctions(); got != tc.n {
				t.Fatalf("functions = %d, want %d", got, tc.n)
			}
			tr := f.Truth(testNow)
			want := map[string]int{}
			for k, share := range tc.mix {
				if share > 0 && k != RegionAnomaly {
					want[k] = max(1, int(math.Round(share*float64(tc.n))))
				}
			}
			got := map[string]int{}
			names := map[string]bool{}
			for i := range tr.Functions {
				ft := &tr.Functions[i]
				if names[ft.Name] {
					t.Errorf("duplicate name %s", ft.Name)
				}
				names[ft.Name] = true
				if len(ft.Name) > 64 || !functionNameRe.MatchString(ft.Name) {
					t.Errorf("bad name %q", ft.Name)
				}
				for _, tag := range []string{"team", "service", "env"} {
					if ft.Config.Tags[tag] == "" {
						t.Errorf("%s: no %s tag", ft.Name, tag)
					}
				}
				if len(ft.Days) != f.Days {
					t.Errorf("%s: %d days of truth, want %d", ft.Name, len(ft.Days), f.Days)
				}
				fnd, err := clearFindings(ft, testNow)
				if err != nil {
					t.Error(err)
				}
				if ft.Anomaly == "" {
					if err := checkHealthy(ft); err != nil {
						t.Errorf("healthy %s: %v", ft.Name, err)
					}
					if len(fnd) > 0 {
						t.Errorf("healthy %s triggers %v", ft.Name, fnd)
					}
					continue
				}
				got[ft.Anomaly]++
				if fnd[ft.Anomaly] == "" {
					t.Errorf("%s labelled %s triggers %v", ft.Name, ft.Anomaly, fnd)
				}
				for k := range fnd {
					if k != ft.Anomaly && !strings.Contains(strings.Join(impliedBy[ft.Anomaly], " "), k) {
						t.Errorf("%s labelled %s also triggers %s (%v)", ft.Name, ft.Anomaly, k, fnd)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("labels %v, want %v", got, want)
			}
			// Regions: the labelled ones near the limit, the others far below.
			wantRegions := 0
			if s := tc.mix[RegionAnomaly]; s > 0 {
				wantRegions = max(1, int(math.Round(s*float64(len(tr.Regions)))))
			}
			gotRegions := 0
			for i := range tr.Regions {
				rt := &tr.Regions[i]
				fnd := checkRegion(rt, testNow, 1)
				if s := checkRegion(rt, testNow, 1.01); s.String() != fnd.String() {
					t.Errorf("%s/%s at the boundary: %v vs %v", rt.Account, rt.Region, fnd, s)
				}
				if rt.Anomaly == RegionAnomaly {
					gotRegions++
					if fnd[RegionAnomaly] == "" {
						t.Errorf("%s/%s labelled %s triggers %v", rt.Account, rt.Region, rt.Anomaly, fnd)
					}
					continue
				}
				if len(fnd) > 0 {
					t.Errorf("%s/%s triggers %v", rt.Account, rt.Region, fnd)
				}
				for _, d := range rt.Days {
					if d.ConcurrentExecutionsMax != nil && *d.ConcurrentExecutionsMax >= 0.8*float64(rt.ConcurrencyLimit) {
						t.Errorf("%s/%s %s: concurrency %v of %d", rt.Account, rt.Region, d.Date, *d.ConcurrentExecutionsMax, rt.ConcurrencyLimit)
					}
				}
			}
			for _, a := range f.Accounts {
				most := 0
				for _, r := range a.Regions {
					most = max(most, len(r.Functions))
				}
				if want := (max(1000, 3*most) + 99) / 100 * 100; a.ConcurrencyLimit != want {
					t.Errorf("account %s: limit %d, want %d", a.ID, a.ConcurrencyLimit, want)
				}
			}
			if gotRegions != wantRegions {
				t.Errorf("%d regions labelled, want %d", gotRegions, wantRegions)
			}
		})
	}
}

// TestGeneratorLarge checks, on 20,000 functions in one region, that the
// concurrency limit keeps the region below 80 % (the truth of a region
// is the sum of its functions' hourly concurrency).
func TestGeneratorLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	f := buildGen(t, 5, 20000, nil, nil, map[string]float64{"cost-spike": 0.001, "cold-starts": 0.01})
	r := f.Accounts[0].Regions[0]
	if lim := r.Account.ConcurrencyLimit; lim != 60000 {
		t.Errorf("limit = %d, want 60000", lim)
	}
	for d := 1; d <= f.Days; d++ {
		if c := r.ConcurrencyMax(d); c >= 0.8*float64(r.Account.ConcurrencyLimit) || c < 20000 {
			t.Errorf("day %d: ConcurrencyMax %v of %d", d, c, r.Account.ConcurrencyLimit)
		}
	}
}

func TestGeneratorErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"too many anomalies", "generate: {functions: 5, mix: {near-timeout: 0.3, timeouts: 0.3, error-rate: 0.1, throttles: 0.1, iterator-age: 0.1}}", "generate.mix: the anomaly shares need 7 functions"},
		{"bad prefix", "generate: {functions: 5, namePrefix: 'a b'}", "generate.namePrefix: must be at most 32"},
		{"long prefix", "generate: {functions: 5, namePrefix: " + strings.Repeat("x", 33) + "}", "generate.namePrefix"},
		{"unknown kind", "generate: {functions: 5, mix: {slow: 0.1}}", `line 1: generate.mix: unknown anomaly kind "slow"`},
		{"region share apart", "generate: {functions: 5, mix: {concurrency-near-limit: 0.5, timeouts: 0.6}}", ""},
		{"shares over 1", "generate: {functions: 5, mix: {near-timeout: 0.6, timeouts: 0.6}}", "generate.mix: shares add up to 1.2"},
		{"bad region", "generate: {functions: 5, regions: [useast1]}", `generate.regions[0]: not a region name: "useast1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.yaml))
			if err == nil {
				_, err = Build(s, testNow)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestGeneratorDeterministic(t *testing.T) {
	mix := mixAll(0.01)
	a := buildGen(t, 11, 2000, nil, []string{"us-east-1", "eu-west-1"}, mix)
	b := buildGen(t, 11, 2000, nil, []string{"us-east-1", "eu-west-1"}, mix)
	c := buildGen(t, 12, 2000, nil, []string{"us-east-1", "eu-west-1"}, mix)
	sig := func(f *Fleet) string {
		var sb strings.Builder
		for _, r := range f.Accounts[0].Regions {
			for _, fn := range r.Functions {
				fmt.Fprintf(&sb, "%s %s %s %d %d %s %v %v|", fn.Name, fn.Anomaly, fn.Runtime, fn.MemoryMB, fn.TimeoutS, fn.Architecture, *fn.Profile.Duration, fn.Profile.Invocations.Const)
			}
		}
		return sb.String()
	}
	if sig(a) != sig(b) {
		t.Error("same seed, different fleets")
	}
	if sig(a) == sig(c) {
		t.Error("different seeds, same fleet")
	}
}

// BenchmarkGenerate100k builds a generated fleet of 100,000 functions.
// It reports the heap in use once the fleet is built (heap-MB) and per
// function (heap-B/fn).
func BenchmarkGenerate100k(b *testing.B) {
	s := genSpec(b, 42, 100000, []string{"111111111111", "222222222222"}, []string{"us-east-1", "eu-west-1"}, mixAll(0.005))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(s, testNow); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f, _ := Build(s, testNow)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	heap := float64(m1.HeapAlloc) - float64(m0.HeapAlloc)
	b.ReportMetric(heap/(1<<20), "heap-MB")
	b.ReportMetric(heap/float64(f.NumFunctions()), "heap-B/fn")
	runtime.KeepAlive(f)
}

// BenchmarkDatapoints500 answers 500 metric/stat queries over 15 daily
// datapoints from a 10,000-function fleet: one GetMetricData call.
func BenchmarkDatapoints500(b *testing.B) {
	f := buildGen(b, 42, 10000, nil, nil, mixAll(0.005))
	r := f.Accounts[0].Regions[0]
	type q struct {
		m  MetricID
		st Stat
	}
	metrics := []string{"Invocations", "Errors", "Duration", "Duration", "Duration", "Duration", "ConcurrentExecutions"}
	stats := []string{"Sum", "Sum", "SampleCount", "Maximum", "p99", "Average", "Maximum"}
	var qs []q
	for i := 0; len(qs) < 500; i++ {
		fn := r.Functions[(i/len(metrics)*37)%len(r.Functions)]
		st, _ := ParseStat(stats[i%len(metrics)])
		qs = append(qs, q{MetricID{NSLambda, metrics[i%len(metrics)], []Dim{{"FunctionName", fn.Name}}}, st})
	}
	now := f.Anchor.Add(6 * time.Hour)
	start := f.Anchor.Add(-14 * 24 * time.Hour)
	end := f.Anchor.Add(24 * time.Hour)
	b.ReportAllocs()
	points := 0
	for b.Loop() {
		f.days.init(8192) // a cold cache: every call rebuilds its days
		points = 0
		for _, x := range qs {
			points += len(r.Datapoints(x.m, x.st, start, end, 24*time.Hour, now))
		}
	}
	if points < 500*14 { // 14 complete days and today until 06:00
		b.Fatalf("%d datapoints, want 500 × 15", points)
	}
	b.ReportMetric(float64(points), "datapoints/op")
}
