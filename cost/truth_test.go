package cost_test

import (
	"math"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/scanner/scantest"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// truthSpec has one function per way a day's cost is found: Text and JSON
// logs, LambdaInsights instead of logs (metrics only), a container image
// and a custom runtime (INIT always billed), arm64 with 2 GB of /tmp,
// provisioned concurrency, a function whose memory changed 5 days ago and
// one created yesterday; in two regions.
const truthSpec = `
days: 14
now: "2026-11-21T06:00:00Z"
accounts:
  - id: "111111111111"
    regions:
      - name: us-east-1
        functions:
          - {name: api, memoryMB: 512, timeoutS: 10,
             profile: {invocations: 200000, duration: {p50: 80, p99: 400, max: 900}, coldStarts: {rate: 0.01}, initDuration: {p50: 300, max: 700}}}
          - {name: worker, architecture: arm64, memoryMB: 1024, ephemeralMB: 2048, logFormat: JSON, timeoutS: 30,
             profile: {invocations: 50000, duration: {p50: 1200, max: 8000}, coldStarts: {rate: 0.02}}}
          - {name: insights, memoryMB: 256, lambdaInsights: true,
             profile: {invocations: 30000, duration: {p50: 40, max: 300}, coldStarts: {rate: 0.05}}}
          - {name: image, packageType: Image, memoryMB: 2048, timeoutS: 60,
             profile: {invocations: 8000, duration: {p50: 2500, max: 20000}, coldStarts: {rate: 0.03}, initDuration: {p50: 1500, max: 3000}}}
          - {name: custom, runtime: provided.al2023, memoryMB: 256,
             profile: {invocations: 40000, duration: {p50: 15, max: 120}, coldStarts: {rate: 0.01}}}
          - {name: provisioned, memoryMB: 1024, provisionedConcurrency: 5, publishedVersions: 1,
             profile: {invocations: 90000, duration: {p50: 200, max: 1500}, provisionedUtilization: 0.7}}
          - {name: resized, memoryMB: 2048, memoryChange: {daysAgo: 5, fromMB: 1024}, timeoutS: 30,
             profile: {invocations: 20000, duration: {p50: 600, max: 4000}, memoryUsed: {p50: 500, max: 800}, coldStarts: {rate: 0.01}}}
          - {name: newcomer, memoryMB: 384, createdDaysAgo: 1,
             profile: {invocations: 12000, duration: {p50: 90, max: 500}, coldStarts: {rate: 0.02}}}
      - name: eu-west-1
        functions:
          - {name: eu-api, memoryMB: 1024,
             profile: {invocations: 70000, duration: {p50: 150, max: 1200}, coldStarts: {rate: 0.01}}}
`

// truthCost is a function's cost on one day computed from the sim's
// ground truth alone, at us-east-1 list prices (the same in eu-west-1 for
// what these functions use): requests, GB-s of Billed Duration at the
// day's memory, /tmp above 512 MB over the billed time, and provisioned
// concurrency (enabled all day on days it served, its invocations at the
// provisioned duration rate).
func truthCost(fn fleet.FunctionTruth, d fleet.DayTruth) float64 {
	const req, x86, arm, eph, pcOn, pcDur = 0.0000002, 0.0000166667, 0.0000133334, 0.0000000309, 0.0000041667, 0.0000097222
	rate := x86
	if fn.Config.Architecture == "arm64" {
		rate = arm
	}
	c := float64(d.Invocations) * req
	share := 0.0
	if fn.Config.ProvisionedConcurrency > 0 && d.ProvisionedUtilizationMax != nil {
		share = float64(d.ProvisionedInvocations) / float64(d.Invocations)
		c += float64(fn.Config.ProvisionedConcurrency) * float64(d.MemorySize) / 1024 * 86400 * pcOn
	}
	c += d.GBSeconds * ((1-share)*rate + share*pcDur)
	if fn.Config.EphemeralMB > 512 {
		c += float64(fn.Config.EphemeralMB-512) / 1024 * float64(d.BilledDurationSum) / 1000 * eph
	}
	return c
}

// TestModelAgainstGroundTruth scans a fleet in the simulated account with
// the real engine and compares Model's daily costs, month to date and
// projection with costs computed independently from the fleet's truth:
// within 0.5 %.
func TestModelAgainstGroundTruth(t *testing.T) {
	env := simtest.Start(t, truthSpec)
	res := scantest.Scan(t, env, scanner.Targets{Regions: []string{"us-east-1", "eu-west-1"}},
		scanner.Settings{Logs: true, LogsSettings: logstats.Settings{InitialPoll: 20 * time.Millisecond}})
	costs, err := cost.Model(res, cost.Embedded(), cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	truth := env.Fleet.Truth(simtest.Now)
	byID := map[string]cost.FunctionCost{}
	for _, f := range costs.Functions {
		byID[f.ID] = f
	}
	within := func(t *testing.T, what string, got, want float64) {
		t.Helper()
		if want == 0 && got == 0 {
			return
		}
		if rel := math.Abs(got-want) / want; !(rel <= 0.005) {
			t.Errorf("%s: model $%.6f, truth $%.6f (%.3f %% off)", what, got, want, 100*rel)
		}
	}
	w := costs.Window
	month := w.DayStart(w.Days - 1).Format("2006-01")
	for _, ft := range truth.Functions {
		id := ft.Account + "/" + ft.Region + "/" + ft.Name
		t.Run(ft.Name, func(t *testing.T) {
			fc, ok := byID[id]
			if !ok {
				t.Fatalf("not in the costs")
			}
			days := map[string]fleet.DayTruth{}
			for _, d := range ft.Days {
				if d.Invocations > 0 {
					days[d.Date] = d
				}
			}
			var mtd float64
			var recent []float64
			for i := 0; i < w.Days; i++ {
				date := w.DayStart(i).Format(time.DateOnly)
				td, has := days[date]
				got := fc.Days[i]
				if !has {
					if got != nil {
						t.Errorf("%s: no invocations in the truth, but a cost of $%.4f (no data is not $0 either)", date, got.Total)
					}
					continue
				}
				if got == nil {
					t.Errorf("%s: no cost, truth $%.4f", date, truthCost(ft, td))
					continue
				}
				want := truthCost(ft, td)
				u := fc.Usage[i]
				if u.MemoryAssumed && td.MemorySize != u.MemoryMB {
					// The scan has only the current memory setting: the
					// day is flagged, and off by exactly the memory ratio
					// on its compute.
					if ft.Config.MemoryChange == nil {
						t.Errorf("%s: memory %d MB assumed, truth %d MB, but the function never changed", date, u.MemoryMB, td.MemorySize)
					}
					want = truthCost(ft, scaleMemory(td, u.MemoryMB))
				}
				within(t, date, got.Total, want)
				if date[:7] == month {
					mtd += truthCost(ft, td)
				}
				if i >= w.Days-7 {
					recent = append(recent, truthCost(ft, td))
				}
			}
			if ft.Config.MemoryChange != nil {
				// Before the change the scan's memory is wrong and says so;
				// after it, the days match the truth (checked above).
				if u := fc.Usage[w.Days-1]; u == nil || u.MemoryAssumed {
					t.Errorf("report day: usage %+v, want the current memory, not assumed", u)
				}
				before := fc.Usage[w.Days-1-ft.Config.MemoryChange.DaysAgo]
				switch {
				case before == nil:
					t.Errorf("a day before the change: no usage")
				case before.Source == "logs" && (before.MemoryAssumed || before.MemoryMB != ft.Config.MemoryChange.FromMB):
					// The REPORT lines carry the day's Memory Size.
					t.Errorf("a day before the change: usage %+v, want the REPORT lines' %d MB", before, ft.Config.MemoryChange.FromMB)
				case before.Source != "logs" && !before.MemoryAssumed:
					t.Errorf("a day before the change: usage %+v, want memory flagged as assumed", before)
				}
				return
			}
			if mtd > 0 {
				within(t, "month to date", fc.MonthToDate.Total, mtd)
				var rr float64
				for _, v := range recent {
					rr += v
				}
				rr /= float64(len(recent))
				// November: the window covers the 6th to the 20th; 15 days
				// are projected at the run rate.
				within(t, "projected month", *fc.ProjectedMonth, mtd+15*rr)
			}
			if ft.Config.CreatedDaysAgo == 1 {
				n := 0
				for _, b := range fc.Days {
					if b != nil {
						n++
					}
				}
				if n != 1 || fc.WindowDay == nil {
					t.Errorf("created yesterday: %d days with a cost, window day %v; want exactly the report day", n, fc.WindowDay)
				}
			}
		})
	}
	// Without logs, the duration comes from CloudWatch Duration Sum (plus
	// the expected 0.5 ms round-up per invocation) and INIT from
	// LambdaInsights; where neither has INIT the day says so and its cost
	// misses exactly the INIT.
	for i := range res.Functions {
		res.Functions[i].Logs = nil
	}
	costs, err = cost.Model(res, cost.Embedded(), cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, fc := range costs.Functions {
		ft := truthOf(truth, fc.ID)
		for d, u := range fc.Usage {
			td, ok := dayOf(ft, w.DayStart(d))
			if u == nil || !ok || u.MemoryAssumed {
				continue
			}
			if u.Source != "metrics" {
				t.Errorf("%s day %d: source %q without logs", fc.ID, d, u.Source)
			}
			want := truthCost(ft, td)
			if u.InitUnknown {
				if td.Init != nil {
					want -= td.Init.Sum / 1000 * float64(td.MemorySize) / 1024 * 0.0000166667
				}
			} else if !res.Functions[i].LambdaInsights && td.Init != nil && ft.Config.ProvisionedConcurrency == 0 {
				t.Errorf("%s day %d: INIT neither known nor flagged unknown", fc.ID, d)
			}
			within(t, fc.ID+" from metrics "+td.Date, fc.Days[d].Total, want)
		}
	}

	// The account-region totals are the sums of their functions.
	for _, r := range costs.Regions {
		var sum float64
		for _, f := range costs.Functions {
			if f.Account == r.Account && f.Region == r.Region && f.WindowDay != nil {
				sum += f.WindowDay.Total
			}
		}
		within(t, r.Account+"/"+r.Region+" window day", r.WindowDay.Total, sum)
	}
}

// scaleMemory is a day as it would have been billed at another memory
// size.
func scaleMemory(d fleet.DayTruth, mb int) fleet.DayTruth {
	d.GBSeconds = d.GBSeconds * float64(mb) / float64(d.MemorySize)
	d.MemorySize = mb
	return d
}

func truthOf(t *fleet.Truth, id string) fleet.FunctionTruth {
	for _, f := range t.Functions {
		if f.Account+"/"+f.Region+"/"+f.Name == id {
			return f
		}
	}
	return fleet.FunctionTruth{}
}

func dayOf(f fleet.FunctionTruth, day time.Time) (fleet.DayTruth, bool) {
	for _, d := range f.Days {
		if d.Date == day.Format(time.DateOnly) && d.Invocations > 0 {
			return d, true
		}
	}
	return fleet.DayTruth{}, false
}
