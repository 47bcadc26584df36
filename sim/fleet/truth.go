package fleet

import (
	"encoding/json"
	"io"
	"math"
	"time"
)

// TruthSchemaVersion is the "schemaVersion" of the truth JSON. It changes
// when a field changes meaning or goes away; new fields keep it.
const TruthSchemaVersion = 1

// Truth is the ground truth of a fleet: what the simulated account serves
// for every function and region over the complete days before now,
// computed from the day model (Day blocks and WeightedPercentile), never
// from the metric endpoints, so tests can compare the two and compute the
// expected insights independently of the scanner.
//
// JSON (WriteJSON), field names camelCase:
//
//	{
//	  "schemaVersion": 1,
//	  "seed": 42,                         // the spec's seed
//	  "anchor": "2026-11-21T00:00:00Z",   // 00:00 UTC of the build's "today"
//	  "now": "2026-11-21T06:00:00Z",      // the clock the truth was taken at
//	  "days": 14,                         // complete days covered, ending the day before now
//	  "regions": [RegionTruth…],          // accounts in spec order, their regions in spec order
//	  "functions": [FunctionTruth…]       // same order, then the region's functions in order
//	}
type Truth struct {
	SchemaVersion int             `json:"schemaVersion"`
	Seed          int64           `json:"seed"`
	Anchor        time.Time       `json:"anchor"`
	Now           time.Time       `json:"now"`
	Days          int             `json:"days"`
	Regions       []RegionTruth   `json:"regions"`
	Functions     []FunctionTruth `json:"functions"`
}

// RegionTruth is one account-region:
//
//	{"account": "123456789012", "accountName": "prod", "region": "us-east-1",
//	 "disabled": true,                  // omitted when false: an opt-in region not enabled
//	 "concurrencyLimit": 1000,          // GetAccountSettings' ConcurrentExecutions limit
//	 "anomaly": "concurrency-near-limit", // generator label, omitted when none
//	 "functions": 12,                   // functions in the region
//	 "days": [RegionDayTruth…]}         // oldest first; only days of the fleet's history
type RegionTruth struct {
	Account          string           `json:"account"`
	AccountName      string           `json:"accountName,omitempty"`
	Region           string           `json:"region"`
	Disabled         bool             `json:"disabled,omitempty"`
	ConcurrencyLimit int              `json:"concurrencyLimit"`
	Anomaly          string           `json:"anomaly,omitempty"`
	Functions        int              `json:"functions"`
	Days             []RegionDayTruth `json:"days"`
}

// RegionDayTruth is one UTC day of the region's no-dimension AWS/Lambda
// metrics (period 86400):
//
//	{"date": "2026-11-20", "daysAgo": 1,
//	 "concurrentExecutionsMax": 37,   // ConcurrentExecutions Maximum; omitted when no datapoint
//	 "invocations": 1000, "errors": 3, "throttles": 0}   // Sum; 0 when no datapoint
type RegionDayTruth struct {
	Date                    string   `json:"date"`
	DaysAgo                 int      `json:"daysAgo"`
	ConcurrentExecutionsMax *float64 `json:"concurrentExecutionsMax,omitempty"`
	Invocations             int64    `json:"invocations"`
	Errors                  int64    `json:"errors"`
	Throttles               int64    `json:"throttles"`
}

// FunctionTruth is one function:
//
//	{"account": "123456789012", "region": "us-east-1", "name": "orders-api",
//	 "arn": "arn:aws:lambda:us-east-1:123456789012:function:orders-api",
//	 "config": FunctionConfigTruth,
//	 "anomaly": "near-timeout",   // generator label, omitted when healthy or hand-written
//	 "days": [DayTruth…]}         // oldest first; days before the function existed are absent
type FunctionTruth struct {
	Account string              `json:"account"`
	Region  string              `json:"region"`
	Name    string              `json:"name"`
	ARN     string              `json:"arn"`
	Config  FunctionConfigTruth `json:"config"`
	Anomaly string              `json:"anomaly,omitempty"`
	Days    []DayTruth          `json:"days"`
}

// FunctionConfigTruth is the function's configuration as ListFunctions
// and its companions serve it (current values):
//
//	{"runtime": "nodejs24.x",          // omitted for Image functions
//	 "architecture": "x86_64", "memoryMB": 512, "timeoutS": 30, "ephemeralMB": 512,
//	 "packageType": "Zip", "handler": "index.handler",
//	 "logGroup": "/aws/lambda/orders-api", "logFormat": "Text",   // or "JSON"
//	 "logGroupClass": "DELIVERY",      // omitted for STANDARD
//	 "capacityProviderArn": "arn:…:capacity-provider:cp",  // Lambda Managed Instances; omitted on demand
//	 "tags": {"team": "orders"}, "layers": ["arn:…:layer:x:3"],
//	 "provisionedConcurrency": 10,     // on alias "live"; omitted when 0
//	 "reservedConcurrency": 5,         // omitted when unset
//	 "lambdaInsights": true,
//	 "async": {"maximumRetryAttempts": 2, "maximumEventAgeSeconds": 21600,
//	           "onFailureDestination": "arn:…", "onSuccessDestination": "arn:…",
//	           "deadLetterTarget": "arn:…"},   // omitted without an event invoke config
//	 "publishedVersions": 2, "createdDaysAgo": 14,
//	 "memoryChange": {"daysAgo": 3, "fromMB": 1024},  // before daysAgo days ago memory was fromMB
//	 "lastModified": "2026-11-07T05:12:00Z"}
type FunctionConfigTruth struct {
	Runtime      string `json:"runtime,omitempty"`
	Architecture string `json:"architecture"`
	MemoryMB     int    `json:"memoryMB"`
	TimeoutS     int    `json:"timeoutS"`
	EphemeralMB  int    `json:"ephemeralMB"`
	PackageType  string `json:"packageType"`
	Handler      string `json:"handler,omitempty"`
	LogGroup     string `json:"logGroup"`
	LogFormat    string `json:"logFormat"`
	// LogGroupClass is omitted for STANDARD; CapacityProviderARN for an
	// on-demand function.
	LogGroupClass          string            `json:"logGroupClass,omitempty"`
	CapacityProviderARN    string            `json:"capacityProviderArn,omitempty"`
	Tags                   map[string]string `json:"tags,omitempty"`
	Layers                 []string          `json:"layers,omitempty"`
	ProvisionedConcurrency int               `json:"provisionedConcurrency,omitempty"`
	ReservedConcurrency    *int              `json:"reservedConcurrency,omitempty"`
	LambdaInsights         bool              `json:"lambdaInsights"`
	Async                  *AsyncTruth       `json:"async,omitempty"`
	PublishedVersions      int               `json:"publishedVersions,omitempty"`
	CreatedDaysAgo         int               `json:"createdDaysAgo"`
	MemoryChange           *MemoryChangeJSON `json:"memoryChange,omitempty"`
	LastModified           time.Time         `json:"lastModified"`
}

// AsyncTruth is the event invoke configuration.
type AsyncTruth struct {
	MaximumRetryAttempts   int    `json:"maximumRetryAttempts"`
	MaximumEventAgeSeconds int    `json:"maximumEventAgeSeconds,omitempty"`
	OnFailureDestination   string `json:"onFailureDestination,omitempty"`
	OnSuccessDestination   string `json:"onSuccessDestination,omitempty"`
	DeadLetterTarget       string `json:"deadLetterTarget,omitempty"`
}

// MemoryChangeJSON is a memory setting change.
type MemoryChangeJSON struct {
	DaysAgo int `json:"daysAgo"`
	FromMB  int `json:"fromMB"`
}

// DayTruth is one complete UTC day of a function. Every value equals what
// Region.Datapoints serves for the day with period 86400 (start 00:00 UTC):
//
//	"date", "daysAgo"      the UTC day (YYYY-MM-DD) and its distance from the anchor
//	"invocations"          AWS/Lambda Invocations Sum (0 = no datapoint)
//	"errors"               Errors Sum (timeouts and out-of-memory ends included)
//	"timeouts"             REPORT lines with Status: timeout
//	"outOfMemory"          REPORT lines with Runtime.OutOfMemory
//	"throttles"            Throttles Sum
//	"coldStarts"           REPORT lines with an Init Duration
//	"duration"             Duration {sum, average, minimum, maximum, p50, p90, p95, p99} in ms
//	                       over every REPORT line; omitted without invocations
//	"billedDurationSum"    Σ Billed Duration, ms (INIT included where billed)
//	"gbSeconds"            billedDurationSum × memorySize / 1024 / 1000
//	"memoryUsed"           Max Memory Used {max, p99, p50}, MB, over every REPORT line
//	                       (= LambdaInsights used_memory_max); omitted without invocations
//	"memorySize"           the day's configured memory, MB
//	"init"                 Init Duration {count, sum, p95, max}, ms (= LambdaInsights
//	                       init_duration); omitted without cold starts
//	"concurrencyMax"       ConcurrentExecutions Maximum; omitted without invocations
//	"iteratorAgeMax"       IteratorAge Maximum, ms; only for stream consumers with invocations
//	"asyncEventsReceived", "asyncEventsDropped", "deadLetterErrors",
//	"destinationDeliveryFailures"   Sums; omitted when 0
//	"asyncEventAgeMax"     AsyncEventAge Maximum, ms; only for async functions with invocations
//	"provisionedUtilizationMax"     ProvisionedConcurrencyUtilization Maximum (0–1); only
//	                       with provisioned concurrency and invocations
//	"provisionedInvocations", "provisionedSpillover"  Sums; omitted when 0
//	"recursiveDropped"     RecursiveInvocationsDropped Sum; omitted when 0
//	"logBytes", "logEvents"  what the log group received that day (= AWS/Logs
//	                       IncomingBytes and IncomingLogEvents Sums, = Function.LogBytes)
type DayTruth struct {
	Date                        string         `json:"date"`
	DaysAgo                     int            `json:"daysAgo"`
	Invocations                 int64          `json:"invocations"`
	Errors                      int64          `json:"errors"`
	Timeouts                    int64          `json:"timeouts"`
	OutOfMemory                 int64          `json:"outOfMemory"`
	Throttles                   int64          `json:"throttles"`
	ColdStarts                  int64          `json:"coldStarts"`
	Duration                    *DurationTruth `json:"duration,omitempty"`
	BilledDurationSum           int64          `json:"billedDurationSum"`
	GBSeconds                   float64        `json:"gbSeconds"`
	MemoryUsed                  *MemoryTruth   `json:"memoryUsed,omitempty"`
	MemorySize                  int            `json:"memorySize"`
	Init                        *InitTruth     `json:"init,omitempty"`
	ConcurrencyMax              *float64       `json:"concurrencyMax,omitempty"`
	IteratorAgeMax              *float64       `json:"iteratorAgeMax,omitempty"`
	AsyncEventsReceived         int64          `json:"asyncEventsReceived,omitempty"`
	AsyncEventAgeMax            *float64       `json:"asyncEventAgeMax,omitempty"`
	AsyncEventsDropped          int64          `json:"asyncEventsDropped,omitempty"`
	DeadLetterErrors            int64          `json:"deadLetterErrors,omitempty"`
	DestinationDeliveryFailures int64          `json:"destinationDeliveryFailures,omitempty"`
	ProvisionedUtilizationMax   *float64       `json:"provisionedUtilizationMax,omitempty"`
	ProvisionedInvocations      int64          `json:"provisionedInvocations,omitempty"`
	ProvisionedSpillover        int64          `json:"provisionedSpillover,omitempty"`
	RecursiveDropped            int64          `json:"recursiveDropped,omitempty"`
	LogBytes                    int64          `json:"logBytes"`
	LogEvents                   int64          `json:"logEvents"`
}

// DurationTruth is the day's Duration statistics, ms.
type DurationTruth struct {
	Sum     float64 `json:"sum"`
	Average float64 `json:"average"`
	Minimum float64 `json:"minimum"`
	Maximum float64 `json:"maximum"`
	P50     float64 `json:"p50"`
	P90     float64 `json:"p90"`
	P95     float64 `json:"p95"`
	P99     float64 `json:"p99"`
}

// MemoryTruth is the day's Max Memory Used statistics, MB.
type MemoryTruth struct {
	Max float64 `json:"max"`
	P99 float64 `json:"p99"`
	P50 float64 `json:"p50"`
}

// InitTruth is the day's Init Duration statistics over cold starts, ms.
type InitTruth struct {
	Count int64   `json:"count"`
	Sum   float64 `json:"sum"`
	P95   float64 `json:"p95"`
	Max   float64 `json:"max"`
}

// Truth computes the fleet's ground truth over the fleet's Days complete
// UTC days before now (normally now is the simulated clock; a now on the
// anchor's day covers daysAgo 1..Days).
func (f *Fleet) Truth(now time.Time) *Truth {
	t := &Truth{SchemaVersion: TruthSchemaVersion, Seed: f.Seed, Anchor: f.Anchor, Now: now.UTC(), Days: f.Days}
	for _, a := range f.Accounts {
		for _, r := range a.Regions {
			rt := RegionTruth{Account: a.ID, AccountName: a.Name, Region: r.Name, Disabled: r.Disabled,
				ConcurrencyLimit: a.ConcurrencyLimit, Anomaly: r.Anomaly, Functions: len(r.Functions)}
			first := len(t.Functions)
			for _, fn := range r.Functions {
				t.Functions = append(t.Functions, fn.TruthAt(now))
			}
			for _, day := range f.truthDays(now) {
				daysAgo := f.daysAgo(day)
				if daysAgo > f.Days {
					continue
				}
				rd := RegionDayTruth{Date: day.Format(time.DateOnly), DaysAgo: daysAgo}
				for _, ft := range t.Functions[first:] {
					for k := range ft.Days {
						if d := &ft.Days[k]; d.DaysAgo == daysAgo {
							rd.Invocations += d.Invocations
							rd.Errors += d.Errors
							rd.Throttles += d.Throttles
						}
					}
				}
				if c := r.ConcurrencyMax(daysAgo); c > 0 || rd.Invocations > 0 {
					rd.ConcurrentExecutionsMax = &c
				}
				rt.Days = append(rt.Days, rd)
			}
			t.Regions = append(t.Regions, rt)
		}
	}
	return t
}

// truthDays are the starts of the Days complete UTC days before now,
// oldest first.
func (f *Fleet) truthDays(now time.Time) []time.Time {
	today := now.UTC().Truncate(24 * time.Hour)
	out := make([]time.Time, 0, f.Days)
	for k := f.Days; k >= 1; k-- {
		out = append(out, today.Add(-time.Duration(k)*24*time.Hour))
	}
	return out
}

func (f *Fleet) daysAgo(day time.Time) int { return int(f.Anchor.Sub(day) / (24 * time.Hour)) }

// WriteJSON writes the truth as indented JSON (see Truth for the schema).
func (t *Truth) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(t)
}

// Truth is the function's ground truth at the fleet's anchor (daysAgo
// 1..Days), without building the rest of the fleet.
func (fn *Function) Truth() FunctionTruth { return fn.TruthAt(fn.Region.fleet.Anchor) }

// TruthAt is the function's ground truth over the fleet's Days complete
// UTC days before now.
func (fn *Function) TruthAt(now time.Time) FunctionTruth {
	f := fn.Region.fleet
	ft := FunctionTruth{Account: fn.Region.Account.ID, Region: fn.Region.Name, Name: fn.Name, ARN: fn.ARN,
		Anomaly: fn.Anomaly, Config: fn.configTruth()}
	ft.Days = make([]DayTruth, 0, f.Days)
	for _, day := range f.truthDays(now) {
		d := fn.Day(f.daysAgo(day))
		if d == nil {
			continue
		}
		ft.Days = append(ft.Days, fn.dayTruth(d, now))
	}
	return ft
}

func (fn *Function) configTruth() FunctionConfigTruth {
	c := FunctionConfigTruth{Runtime: fn.Runtime, Architecture: fn.Architecture, MemoryMB: fn.MemoryMB, TimeoutS: fn.TimeoutS,
		EphemeralMB: fn.EphemeralMB, PackageType: fn.PackageType, Handler: fn.Handler, LogGroup: fn.LogGroup, LogFormat: fn.LogFormat,
		Tags: fn.Tags, Layers: fn.Layers, ProvisionedConcurrency: fn.ProvisionedConcurrency, ReservedConcurrency: fn.ReservedConcurrency,
		LambdaInsights: fn.LambdaInsights, PublishedVersions: fn.PublishedVersions, CreatedDaysAgo: fn.CreatedDaysAgo,
		LastModified: fn.LastModified.UTC()}
	if a := fn.Async; a != nil {
		c.Async = &AsyncTruth{MaximumRetryAttempts: a.MaximumRetryAttempts, MaximumEventAgeSeconds: a.MaximumEventAgeSeconds,
			OnFailureDestination: a.OnFailureDestination, OnSuccessDestination: a.OnSuccessDestination, DeadLetterTarget: a.DeadLetterTarget}
	}
	if mc := fn.MemoryChange; mc != nil {
		c.MemoryChange = &MemoryChangeJSON{DaysAgo: mc.DaysAgo, FromMB: mc.FromMB}
	}
	if fn.LogGroupClass != ClassStandard {
		c.LogGroupClass = fn.LogGroupClass
	}
	c.CapacityProviderARN = fn.CapacityProviderARN()
	return c
}

// dayTruth derives a day's values from its blocks, accumulating in block
// order exactly as the metric endpoints do, so sums agree to the bit:
// whole-day Duration statistics over Day.DurationBlocks (the same
// multiset as Blocks), everything else over Blocks.
func (fn *Function) dayTruth(d *Day, now time.Time) DayTruth {
	t := DayTruth{Date: d.Date.Format(time.DateOnly), DaysAgo: d.DaysAgo, Invocations: d.Invocations, Errors: d.Errors,
		Timeouts: d.Timeouts, OutOfMemory: d.OOM, Throttles: d.Throttles, ColdStarts: d.ColdStarts, MemorySize: d.MemSize,
		AsyncEventsReceived: d.AsyncReceived, AsyncEventsDropped: d.AsyncDropped, DeadLetterErrors: d.DeadLetterErrors,
		DestinationDeliveryFailures: d.DestinationFailures, RecursiveDropped: d.RecursiveDropped,
		ProvisionedInvocations: d.PCInvocations, ProvisionedSpillover: d.PCSpillover}
	if len(d.Blocks()) > 0 {
		dur := make([]wsample, 0, len(d.Blocks()))
		mem := make([]wsample, 0, len(d.Blocks()))
		var ini []wsample
		var n, sum, iniN, iniSum float64
		dt := &DurationTruth{Minimum: math.Inf(1), Maximum: math.Inf(-1)}
		it := &InitTruth{Max: math.Inf(-1)}
		mt := &MemoryTruth{Max: math.Inf(-1)}
		for _, b := range d.DurationBlocks() {
			w := float64(b.W)
			n += w
			sum += b.Duration * w
			dt.Minimum = math.Min(dt.Minimum, b.Duration)
			dt.Maximum = math.Max(dt.Maximum, b.Duration)
			dur = append(dur, wsample{b.Duration, w})
		}
		for i := range d.Blocks() {
			b := &d.Blocks()[i]
			w := float64(b.W)
			mem = append(mem, wsample{float64(b.MemUsed), w})
			mt.Max = math.Max(mt.Max, float64(b.MemUsed))
			t.BilledDurationSum += b.Billed * b.W
			if b.Init > 0 {
				iniN += w
				iniSum += b.Init * w
				it.Max = math.Max(it.Max, b.Init)
				ini = append(ini, wsample{b.Init, w})
			}
		}
		dt.Sum, dt.Average = sum, sum/n
		dt.P50 = WeightedPercentile(dur, 50)
		dt.P90 = WeightedPercentile(dur, 90)
		dt.P95 = WeightedPercentile(dur, 95)
		dt.P99 = WeightedPercentile(dur, 99)
		t.Duration = dt
		mt.P99 = WeightedPercentile(mem, 99)
		mt.P50 = WeightedPercentile(mem, 50)
		t.MemoryUsed = mt
		if iniN > 0 {
			it.Count, it.Sum, it.P95 = int64(iniN), iniSum, WeightedPercentile(ini, 95)
			t.Init = it
		}
	}
	t.GBSeconds = float64(t.BilledDurationSum) * float64(d.MemSize) / 1024 / 1000
	// Gauges: the maximum over the day's active hours, as served.
	gauge := func(has bool, g float64) *float64 {
		if !has {
			return nil
		}
		var v *float64
		for h := 0; h < 24; h++ {
			if d.hourCaps[h] > 0 {
				x := d.gaugeAt(g, h)
				if v == nil || x > *v {
					v = &x
				}
			}
		}
		return v
	}
	t.ConcurrencyMax = gauge(true, d.ConcurrencyMax)
	t.IteratorAgeMax = gauge(lambdaMetrics["IteratorAge"].has(fn), d.IteratorAgeMax)
	t.AsyncEventAgeMax = gauge(isAsync(fn), d.AsyncEventAgeMax)
	t.ProvisionedUtilizationMax = gauge(hasPC(fn), d.PCUtilizationMax)
	start := d.Date
	t.LogBytes, t.LogEvents = fn.LogBytes(start, start.Add(24*time.Hour), now)
	return t
}
