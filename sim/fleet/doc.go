// Package fleet owns the simulated account's fleet: the spec format, the
// generator, the deterministic day model and the ground truth.
//
// A Spec (YAML or JSON; Parse, ParseFile) lists accounts → regions →
// functions with their configuration and what they did each day, or asks
// the generator for a large fleet. Build(spec, now) turns it into an
// immutable Fleet anchored at 00:00 UTC of now. Everything the simulated
// AWS endpoints serve — ListFunctions pages, CloudWatch datapoints
// (Region.Datapoints), log events and Logs Insights rows (Function.Events)
// — is derived on demand from (spec, seed), so two builds of one spec
// serve the same bytes, and Fleet.Truth gives the exact values a test
// expects.
//
// # Days
//
// The fleet keeps Days complete UTC days of history (default 14, between
// 14 and 455). Days are counted back from the anchor, 00:00 UTC of the
// build's "today": daysAgo 1 is yesterday [anchor−24h, anchor), daysAgo
// Days the oldest day. Lists in the spec are oldest first, so their last
// value is yesterday. Today (daysAgo 0) and any later day the simulated
// clock reaches repeat yesterday's profile (spikes included); data stops
// at the clock's current minute. A function has no data before its
// createdDaysAgo (absent, not zero).
//
// # The spec file
//
// Top level:
//
//	seed: 42               # int; seeds request IDs, log stream names, code sizes and the generator's draws
//	days: 14               # complete days of history ending yesterday; default 14, 14–455
//	now: "2026-11-21T06:00:00Z"   # RFC 3339; pins the clock (Build's now is then ignored); default: Build's now
//	defaults: {…}          # a function spec whose fields fill every function's unset ones
//	accounts: [ … ]        # the hand-written fleet
//	generate: { … }        # the generated fleet (both may be given; generated functions are added after)
//
// A spec needs accounts or generate. Unknown fields are errors; every
// error names the field path and the line ("line 12:
// accounts[0].regions[1].functions[3].memoryMB: must be between 128 and
// 10240, got 64").
//
// An account:
//
//	accounts:
//	  - id: "111111111111"     # 12 digits, unique
//	    name: prod             # optional display name
//	    externalId: abc-123    # optional; sts:AssumeRole into the account must pass it
//	    roleName: lambdaudit-member   # the role lambdaudit assumes; default lambdaudit-member
//	    concurrencyLimit: 1000 # GetAccountSettings' concurrent executions limit per region;
//	                           # default 1000, at least 10
//	    regions: [ … ]
//
// A region:
//
//	regions:
//	  - name: us-east-1        # a region name, unique in the account
//	    disabled: true         # an opt-in region not enabled: every call fails (UnrecognizedClientException)
//	    concurrentExecutions: 930   # series; overrides the region's ConcurrentExecutions daily maximum
//	                           # (default: the sum of its functions' hourly concurrency)
//	    functions: [ … ]
//
// A function (only name is required):
//
//	functions:
//	  - name: orders-api       # 1–64 letters, digits, - or _; unique in the region
//	    runtime: nodejs24.x    # a managed runtime or provided*; default nodejs22.x (Zip), none for Image
//	    architecture: arm64    # default x86_64
//	    memoryMB: 512          # 128–10240 (128–32768 with capacityProvider), default 128
//	    timeoutS: 30           # 1–900 (1–5400 with capacityProvider), default 3
//	    ephemeralMB: 1024      # 512–10240, default 512
//	    packageType: Zip       # Zip (default) or Image
//	    handler: app.handler   # default index.handler (Zip on a managed runtime)
//	    logGroup: /custom/x    # LoggingConfig.LogGroup; default /aws/lambda/<name>
//	    logFormat: JSON        # Text (default) or JSON (platform.* records); JSON only with capacityProvider
//	    logGroupClass: DELIVERY  # STANDARD (default), INFREQUENT_ACCESS or DELIVERY (DescribeLogGroups
//	                           # logGroupClass); StartQuery over a DELIVERY group fails (InvalidParameterException
//	                           # naming it: the simulator's guess, AWS's exact answer is unconfirmed)
//	    capacityProvider: cp-1 # a Lambda Managed Instances function on this capacity provider (a name, or
//	                           # arn:aws:lambda:<region>:<account>:capacity-provider:<name>): ListFunctions shows
//	                           # CapacityProviderConfig; logFormat defaults to JSON
//	    tags: {team: orders}   # at most 50
//	    layers: [arn:…]        # layer version ARNs
//	    provisionedConcurrency: 10   # on alias "live"; default 0 = none
//	    reservedConcurrency: 5       # default unset
//	    lambdaInsights: true   # the LambdaInsights namespace has the function's metrics
//	    async: {maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600,
//	            onFailureDestination: arn:…, onSuccessDestination: arn:…, deadLetterTarget: arn:…}
//	    publishedVersions: 2   # numbered versions besides $LATEST; 0–100 (at least 1 with provisionedConcurrency)
//	    createdDaysAgo: 1      # no data before this (1 = created yesterday); default days
//	    memoryChange: {daysAgo: 5, fromMB: 1024}   # before 5 days ago the memory was 1024 MB
//	    profile: { … }
//
// Defaults apply to runtime, architecture, memoryMB, timeoutS,
// ephemeralMB, packageType, logFormat, logGroupClass, capacityProvider,
// handler, tags and the profile's
// invocations, hourly, duration, memoryUsed, coldStarts, initDuration and
// errors (an Image function never takes the default runtime).
//
// A profile (counts are per day):
//
//	profile:
//	  invocations: 2000          # series; default 0; not a rate
//	  hourly: diurnal            # split of every count over the hours: steady (default, flat)
//	                             # or diurnal (peak 14:00 UTC, trough 02:00)
//	  duration: {min: 20, p50: 60, p99: 180, max: 300}   # dist, ms, of successful invocations;
//	                             # default {p50: 50, max: 200}
//	  durationFactor: [1, 1, …, 1.5]   # series of factors scaling the duration dist per day; default 1
//	  memoryUsed: {p50: 250, max: 330} # dist, MB (Max Memory Used); default p50 50 %, max 60 % of memoryMB
//	  errors: {rate: 0.01}       # series; errors besides timeouts and out-of-memory ends
//	  timeouts: 2                # series; REPORT Status: timeout (JSON record.status "timeout"), Duration =
//	                             # the timeout; a "Task timed out after" line only on deprecated runtimes
//	                             # (nodejs ≤ 16, python ≤ 3.8, java8, dotnetcore*, dotnet6, go1.x, ruby2.x)
//	  outOfMemory: 1             # series; Runtime.OutOfMemory ends, Max Memory Used = memory size
//	  throttles: 300             # series
//	  coldStarts: {rate: 0.02}   # series; default 0
//	  initDuration: {p50: 250, p95: 420, max: 600}   # dist, ms, Init Duration of cold starts;
//	                             # default {p50: 250, max: 600}
//	  concurrency: 12            # series; ConcurrentExecutions daily max; default 2 × the busiest
//	                             # hour's mean concurrency, at least 1
//	  iteratorAgeMs: 5400000     # series; IteratorAge daily max (the function is a stream consumer)
//	  asyncEventsReceived: {rate: 1}   # series; the function is invoked asynchronously
//	  asyncEventAgeMs: 1500      # series; AsyncEventAge daily max
//	  asyncEventsDropped: 3      # series
//	  deadLetterErrors: 3        # series
//	  destinationDeliveryFailures: 1   # series
//	  provisionedUtilization: 0.3      # series, 0–1; ProvisionedConcurrencyUtilization daily max
//	                             # (needs provisionedConcurrency)
//	  recursiveInvocationsDropped: 12  # series
//	  appLogLines: 2             # application log lines per invocation besides START/END/REPORT;
//	                             # default 2, 0–100
//	  appLogBytes: 120           # bytes per application line; default 120
//
// Errors + timeouts + outOfMemory must not exceed a day's invocations,
// nor cold starts. Errors (the metric) = errors + timeouts + outOfMemory.
//
// A series is a per-day value in one of three forms:
//
//	errors: 12                           # a constant
//	errors: [0, 0, 1, …, 3]              # a list: exactly `days` values, oldest first, last = yesterday
//	errors: {perDay: 12}                 # a map with exactly one of perDay (constant), values (list)
//	errors: {rate: 0.05}                 #   or rate: a share (0–1) of the day's invocations (counts only)
//	invocations: {perDay: 2000, spike: {daysAgo: 1, factor: 4}}   # optional spike: × factor on one day
//
// Counts are rounded to whole numbers per day. Gauges (concurrency,
// iteratorAgeMs, asyncEventAgeMs, provisionedUtilization) are served at
// their value in the busiest hour and scaled by the hourly shape elsewhere.
//
// A dist is a distribution by points: {min, p50, p99, max} (init durations:
// {min, p50, p95, max}); p50 and max are required, min defaults to p50/2,
// p99 (p95) to the midpoint of p50 and max; min ≤ p50 ≤ p99 ≤ max, and a
// duration's max must not exceed the timeout, a memory max the memory size.
//
// # Exactness
//
// Numbers in the spec are served exactly. Each day, the m successful
// invocations are laid out by rank, duration and memory comonotonically:
// rank 1 holds min, rank ⌈0.5·m⌉ p50, rank ⌈0.99·m⌉ p99 and rank m max,
// the ranks between interpolate. So Duration Maximum is max exactly (times
// durationFactor, capped just under the timeout), and p50/p99 by nearest
// rank over the successful invocations are p50/p99 exactly — where the
// ranks differ: with fewer than 100 successful invocations p99's rank is
// max's, and the later point wins (p99 reads max). The same holds for
// Max Memory Used (MB) and, over the cold starts, Init Duration (p95 at
// rank ⌈0.95·c⌉). Timed-out invocations add REPORT lines at the timeout,
// out-of-memory ends lines at p50 with memory used = memory size; the
// metrics include them. Counts are exact too: the hourly and minute
// splits of every count add up to the day's, and errors never exceed
// invocations in any hour or minute. WeightedPercentile is the one
// percentile definition of the metrics, the Logs Insights pct() and the
// truth.
//
// # The generator
//
//	generate:
//	  functions: 10000        # 1–200000
//	  accounts: ["111111111111", "222222222222"]   # default [123456789012]
//	  regions: [us-east-1, eu-west-1]              # default [us-east-1]
//	  namePrefix: demo-       # prefixes every name; at most 32 of [A-Za-z0-9_-]
//	  mix:                    # share of functions per anomaly kind (AnomalyKinds), at most 1 in total
//	    near-timeout: 0.01
//	    cost-spike: 0.005
//	    concurrency-near-limit: 0.25   # share of account-regions, not of functions (not in the total)
//
// Function i goes to account-region i mod (accounts × regions) (regions
// vary fastest), is named <namePrefix><team>-<service>-<verb>-<i>, tagged
// team, service and env, and gets a configuration and a profile drawn from
// (seed, i). Exactly max(1, round(share × functions)) functions get each
// kind with a share > 0, chosen by a seeded permutation; the rest are
// healthy. Function.Anomaly holds the label, and each labelled function
// triggers its insight of INSIGHTS.md clearly, as a warning or a critical
// variant drawn per function (where the kind has both), and no other
// insight — except what the data implies: a timed-out invocation's
// Duration is the timeout (so "timeouts" also shows near-timeout), and
// timeouts of ≥ 12 % of a day are errors of ≥ 10 % (error-rate). Healthy
// functions trigger none with the default thresholds: current runtimes,
// max duration ≤ 50 % of the timeout, memory used 50–80 %, errors ≤ 0.2 %,
// cold starts ≤ 2 % with p95 init < 800 ms, constant daily invocations,
// x86_64 only under $1.50 a month of duration (heavier ones run on arm64),
// no provisioned concurrency, iterator age ≤ 15 s, no async failures.
// concurrency-near-limit labels round(share × account-regions) (at least
// one) account-regions (Region.Anomaly), whose ConcurrentExecutions peak
// at 92 % of the account's limit; a generated account's limit is
// max(1000, 3 × its largest region's functions) rounded up to 100, so
// other regions stay far below 80 %. Names, draws and labels use a
// built-in splitmix64, so a generated fleet does not change with the Go
// release. Generated functions share their Dist, Series, tags and async
// values: treat a Function's spec values as read-only.
//
// # Ground truth
//
// Fleet.Truth(now) and Function.Truth / TruthAt give, per function and
// region and per complete day, the values Region.Datapoints serves for a
// daily period (see Truth for the JSON schema): counts, duration, memory
// and init statistics, billed duration and GB-seconds, gauges, log bytes.
package fleet
