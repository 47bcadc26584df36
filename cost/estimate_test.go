package cost_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/cost"
)

// cents rounds a dollar amount to the cent, as AWS's examples state them.
func cents(v float64) string { return fmt.Sprintf("%.2f", math.Round(v*100)/100) }

func usEast1(t *testing.T, arch string) cost.Prices {
	t.Helper()
	p, err := cost.Embedded().Prices("us-east-1", arch)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEstimateAWSExamples reproduces the worked examples of AWS's Lambda
// pricing page (all in US East (N. Virginia)) to the cent. want holds the
// page's line amounts: requests, duration, provisioned concurrency
// (enabled), provisioned duration, total.
func TestEstimateAWSExamples(t *testing.T) {
	free := cost.Embedded().FreeTier
	cases := []struct {
		name string
		// rate overrides the x86_64 first-tier duration rate when the
		// example states an older one.
		rate  float64
		usage cost.Usage
		free  bool
		want  [5]string
	}{
		{
			// AWS-FACTS.md example 1 (current page, "Mobile application
			// backend"): 540,000 − 400,000 free GB-s → $2.33; 3M − 1M free
			// requests → $0.40; total $2.73.
			name:  "mobile backend 1536MB 3M x 120ms free tier",
			usage: cost.Usage{Architecture: "x86_64", MemoryMB: 1536, Requests: 3e6, DurationMs: 3e6 * 120},
			free:  true,
			want:  [5]string{"0.40", "2.33", "0.00", "0.00", "2.73"},
		},
		{
			// AWS-FACTS.md example 2: 7.44M requests of 2 s at 1024 MB, no
			// free tier: requests $1.49; 14.88M GB-s → $248.00; $249.49.
			name:  "1024MB 7.44M x 2s no free tier",
			usage: cost.Usage{Architecture: "x86_64", MemoryMB: 1024, Requests: 7.44e6, DurationMs: 7.44e6 * 2000},
			want:  [5]string{"1.49", "248.00", "0.00", "0.00", "249.49"},
		},
		{
			// The page's earlier example 1 (100 ms billing era, rate stated
			// as $0.00001667): 512 MB, 3M × 1 s, free tier: 1,100,000 GB-s →
			// $18.34; 2M requests → $0.40; total $18.74.
			name:  "2019 page example 1 512MB 3M x 1s free tier at $0.00001667",
			rate:  0.00001667,
			usage: cost.Usage{Architecture: "x86_64", MemoryMB: 512, Requests: 3e6, DurationMs: 3e6 * 1000},
			free:  true,
			want:  [5]string{"0.40", "18.34", "0.00", "0.00", "18.74"},
		},
		{
			// The page's earlier example 2: 128 MB, 30M × 200 ms, free tier:
			// 750,000 − 400,000 GB-s → $5.83; 29M requests → $5.80; $11.63
			// (the same to the cent at today's $0.0000166667).
			name:  "2019 page example 2 128MB 30M x 200ms free tier",
			usage: cost.Usage{Architecture: "x86_64", MemoryMB: 128, Requests: 30e6, DurationMs: 30e6 * 200},
			free:  true,
			want:  [5]string{"5.80", "5.83", "0.00", "0.00", "11.63"},
		},
		{
			// The page's provisioned concurrency example 1: 1024 MB, 1,000
			// provisioned for 2 hours (7.2M GB-s → $30.00), 1.2M requests of
			// 1 s on it (1.2M GB-s at $0.0000097222 → $11.67, requests
			// $0.24); total $41.91. The free tier does not apply.
			name: "provisioned concurrency 1000 x 1024MB for 2h, 1.2M x 1s",
			usage: cost.Usage{Architecture: "x86_64", MemoryMB: 1024, Requests: 1.2e6, DurationMs: 1.2e6 * 1000,
				ProvisionedShare: 1, ProvisionedConcurrency: 1000, ProvisionedSeconds: 2 * 3600},
			free: true,
			want: [5]string{"0.24", "0.00", "30.00", "11.67", "41.91"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := usEast1(t, c.usage.Architecture)
			if c.rate != 0 {
				p.Duration = []cost.Tier{{PerGBSecond: cost.Rate(c.rate)}}
			}
			var ft *cost.FreeTier
			if c.free {
				ft = &free
			}
			b, err := p.Estimate(c.usage, ft)
			if err != nil {
				t.Fatal(err)
			}
			got := [5]string{cents(b.Requests), cents(b.Duration + b.Init), cents(b.ProvisionedIdle), cents(b.ProvisionedDuration), cents(b.Total)}
			if got != c.want {
				t.Errorf("requests, duration, provisioned, provisioned duration, total = %v, want %v", got, c.want)
			}
		})
	}
}

// TestEstimateTiers crosses the x86_64 tier boundaries of one month:
// 6B GB-s at the first rate, 9B at the second, the rest at the third.
func TestEstimateTiers(t *testing.T) {
	p := usEast1(t, "x86_64")
	a := usEast1(t, "arm64")
	gbsMs := func(gbs float64) float64 { return gbs * 1000 } // at 1024 MB, GB-s × 1000 = ms
	cases := []struct {
		name string
		p    cost.Prices
		gbs  float64
		want float64
	}{
		{"x86 inside tier 1", p, 1e9, 1e9 * 0.0000166667},
		{"x86 exactly at the first boundary", p, 6e9, 6e9 * 0.0000166667},
		{"x86 into tier 2", p, 7e9, 6e9*0.0000166667 + 1e9*0.000015},
		{"x86 into tier 3", p, 20e9, 6e9*0.0000166667 + 9e9*0.000015 + 5e9*0.0000133334},
		{"arm64 into tier 3", a, 20e9, 7.5e9*0.0000133334 + 11.25e9*0.0000120001 + 1.25e9*0.0000106667},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.p.Estimate(cost.Usage{Architecture: c.p.Architecture, MemoryMB: 1024, DurationMs: gbsMs(c.gbs)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(b.Duration-c.want) > 1e-6*c.want {
				t.Errorf("duration = %.4f, want %.4f", b.Duration, c.want)
			}
		})
	}
}

func TestEstimateEphemeralAndInit(t *testing.T) {
	p := usEast1(t, "x86_64")
	// 2048 MB of /tmp: 1.5 GB above the free 512 MB, over 1M × 100 ms
	// plus 1,000 s of INIT = 101,000 s → 151,500 GB-s × $0.0000000309.
	u := cost.Usage{Architecture: "x86_64", MemoryMB: 1024, EphemeralMB: 2048, Requests: 1e6, DurationMs: 1e6 * 100, InitMs: 1e6}
	b, err := p.Estimate(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := 151500 * 0.0000000309; math.Abs(b.Ephemeral-want) > 1e-12 {
		t.Errorf("ephemeral = %v, want %v", b.Ephemeral, want)
	}
	if want := 1000 * 0.0000166667; math.Abs(b.Init-want) > 1e-9 {
		t.Errorf("init = %v, want %v", b.Init, want)
	}
	if want := 100000 * 0.0000166667; math.Abs(b.Duration-want) > 1e-9 {
		t.Errorf("duration = %v, want %v", b.Duration, want)
	}
}

func TestInitBilled(t *testing.T) {
	before := time.Date(2025, 7, 31, 0, 0, 0, 0, time.UTC)
	after := cost.InitBillingStart
	cases := []struct {
		name                 string
		runtime, packageType string
		day                  time.Time
		provisioned, want    bool
	}{
		{"zip managed runtime before 2025-08-01", "nodejs22.x", "Zip", before, false, false},
		{"zip managed runtime from 2025-08-01", "nodejs22.x", "Zip", after, false, true},
		{"container image before 2025-08-01", "", "Image", before, false, true},
		{"provided.al2023 before 2025-08-01", "provided.al2023", "Zip", before, false, true},
		{"provisioned concurrency before 2025-08-01", "python3.13", "Zip", before, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := cost.InitBilled(c.runtime, c.packageType, c.day, c.provisioned); got != c.want {
				t.Errorf("InitBilled = %v, want %v", got, c.want)
			}
		})
	}
}

func TestEstimateRefusesImpossibleUsage(t *testing.T) {
	p := usEast1(t, "x86_64")
	cases := []struct {
		name  string
		usage cost.Usage
		want  string
	}{
		{"negative requests", cost.Usage{MemoryMB: 128, Requests: -1}, "requests -1"},
		{"memory 0", cost.Usage{MemoryMB: 0, Requests: 1}, "memory 0 MB"},
		{"memory above 10240", cost.Usage{MemoryMB: 20000}, "memory 20000 MB"},
		{"negative duration", cost.Usage{MemoryMB: 128, DurationMs: -5}, "duration -5"},
		{"ephemeral above 10240", cost.Usage{MemoryMB: 128, EphemeralMB: 20480}, "ephemeral storage 20480 MB"},
		{"provisioned share above 1", cost.Usage{MemoryMB: 128, ProvisionedShare: 1.5}, "provisioned share 1.5"},
		{"negative provisioned concurrency", cost.Usage{MemoryMB: 128, ProvisionedConcurrency: -2}, "provisioned concurrency -2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := p.Estimate(c.usage, nil)
			if !errors.Is(err, cost.ErrInput) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrInput naming %q", err, c.want)
			}
		})
	}
}
