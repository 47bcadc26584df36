package fleet

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// RegionAnomaly is the one anomaly kind that labels an account-region
// rather than a function.
const RegionAnomaly = "concurrency-near-limit"

// Prices the generator sizes its functions with (us-east-1, first tier;
// AWS-FACTS.md).
const (
	priceGBsX86   = 0.0000166667
	priceGBsARM   = 0.0000133334
	priceRequest  = 0.20 / 1e6
	daysPerMonth  = 30.4375
	healthyX86Max = 1.5 // $/month of duration a healthy x86_64 function stays under (rule: $5; brief: < $2)
)

// Word lists of generated names: <prefix><team>-<service>-<verb>-<i>.
var (
	genTeams    = []string{"payments", "orders", "search", "identity", "catalog", "shipping", "billing", "growth", "platform", "data"}
	genServices = []string{"api", "worker", "ingest", "export", "notify", "sync", "auth", "report", "stream", "cart", "ledger", "media"}
	genVerbs    = []string{"get", "put", "list", "process", "handle", "resize", "index", "dispatch", "reconcile", "transform", "publish", "scan"}
	// longest team + service + verb + separators + index digits must fit 64
	// with the prefix: 8+1+6+1+9+1+6 = 32.
	maxPrefixLen = 64 - 32

	namePrefixRe = regexp.MustCompile(`^[a-zA-Z0-9_-]*$`)

	// Healthy runtimes: none deprecated nor within 180 days of it from
	// 2026-11 on; all available on arm64.
	healthyRuntimes = []weighted[string]{
		{"nodejs24.x", 30}, {"python3.13", 25}, {"python3.14", 10}, {"java21", 15}, {"ruby3.4", 5}, {"provided.al2023", 15},
	}
	deprecatedRuntimes = []string{"python3.8", "nodejs16.x", "java8", "go1.x", "ruby2.7"}
	genEnvs            = []weighted[string]{{"prod", 70}, {"staging", 20}, {"dev", 10}}

	// Healthy workload classes.
	invLevels = [3][]float64{
		{60, 120, 240, 480, 720, 1200, 1800},
		{2400, 3600, 6000, 9600, 14400, 24000, 36000, 48000},
		{72000, 96000, 144000, 216000, 288000},
	}
	memLevels = [3][]int{{128, 256, 512}, {256, 512, 1024}, {512, 1024, 1536, 2048}}
	p50Levels = [3][]float64{{12, 20, 35, 50, 80, 120, 180, 250}, {35, 50, 80, 120, 180, 250, 350, 500}, {80, 120, 180, 250, 350, 500, 700, 900}}
	// Duration shapes: min, p99 and max as multiples of p50 (max of p99).
	durShapes = [][3]float64{{0.4, 2.0, 1.3}, {0.5, 2.5, 1.4}, {0.3, 3.0, 1.5}}
	timeouts  = []int{3, 5, 10, 15, 30, 60, 120, 300, 900}
	// Healthy max memory used as a share of the memory size (50–80 %).
	memFracs = []float64{0.56, 0.62, 0.68, 0.74}
	// Healthy init durations (ms): max < 800 so that p95 stays under it
	// even with fewer than 20 cold starts (then p95 is the max).
	initLight = Dist{Min: 90, P50: 180, P95: 320, Max: 420}
	initMid   = Dist{Min: 150, P50: 260, P95: 480, Max: 620}
	initJava  = Dist{Min: 300, P50: 450, P95: 650, Max: 760}
	// Healthy shares of invocations.
	coldRates  = []float64{0.002, 0.005, 0.01, 0.015}
	errorRates = []float64{0, 0, 0.0005, 0.001, 0.002}
)

type weighted[T any] struct {
	v T
	w int
}

// rng is splitmix64: tiny, fast, and stable across Go releases, so a
// generated fleet does not change with the toolchain.
type rng uint64

func newRng(seed int64, stream uint64) *rng {
	r := rng(uint64(seed)*0x9e3779b97f4a7c15 ^ (stream+1)*0xd1b54a32d192ed03)
	r.next()
	return &r
}

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a uniform value in [lo, hi].
func (r *rng) between(lo, hi float64) float64 {
	return lo + (hi-lo)*float64(r.next()>>11)/float64(1<<53-1)
}

func (r *rng) chance(pct int) bool { return r.intn(100) < pct }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

func pickW[T any](r *rng, xs []weighted[T]) T {
	total := 0
	for _, x := range xs {
		total += x.w
	}
	n := r.intn(total)
	for _, x := range xs {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return xs[len(xs)-1].v
}

// permutation is a Fisher–Yates shuffle of 0..n-1.
func permutation(n int, r *rng) []int32 {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32(i)
	}
	for i := n - 1; i > 0; i-- {
		j := r.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// gen holds the generator's interned values: generated functions share
// their Dist, Series, tag maps and async configs, which nothing mutates
// after validation, so a 100,000-function fleet stays small.
type gen struct {
	s      *Spec
	dists  map[Dist]*Dist
	series map[seriesKey]*Series
	tags   map[[3]string]map[string]string
	asyncs map[string]*AsyncSpec
	layers map[[3]string][]string
	ints   map[int]*int
	means  map[meanKey]float64
}

type seriesKey struct {
	v      float64
	rate   bool
	spikeF float64
}

func (g *gen) dist(d Dist) *Dist {
	if p := g.dists[d]; p != nil {
		return p
	}
	p := new(Dist)
	*p = d
	g.dists[d] = p
	return p
}

// count is a constant per-day series.
func (g *gen) count(v float64) *Series { return g.ser(seriesKey{v: v}) }

// rate is a share of each day's invocations.
func (g *gen) rate(v float64) *Series { return g.ser(seriesKey{v: v, rate: true}) }

func (g *gen) ser(k seriesKey) *Series {
	if p := g.series[k]; p != nil {
		return p
	}
	s := &Series{set: true}
	if k.rate {
		s.Rate, s.IsRate = k.v, true
	} else {
		s.Const = k.v
	}
	if k.spikeF != 0 {
		s.Spike = &Spike{DaysAgo: 1, Factor: k.spikeF}
	}
	g.series[k] = s
	return s
}

func (g *gen) intp(v int) *int {
	if p := g.ints[v]; p != nil {
		return p
	}
	p := new(int)
	*p = v
	g.ints[v] = p
	return p
}

// generate adds the spec's generated functions to the fleet: function i
// goes to account-region i mod (accounts × regions), gets a name, tags,
// a configuration and a profile drawn from (seed, i), and either an
// anomaly label of the mix or none (healthy). Every generated function
// passes the same validation as a hand-written one.
func generate(f *Fleet, s *Spec) error {
	gs := s.Generate
	if gs == nil {
		return nil
	}
	n := gs.Functions
	if len(gs.NamePrefix) > maxPrefixLen || !namePrefixRe.MatchString(gs.NamePrefix) {
		return s.fail("generate.namePrefix", "must be at most %d letters, digits, - or _, got %q", maxPrefixLen, gs.NamePrefix)
	}
	accts, regions := gs.Accounts, gs.Regions
	if len(accts) == 0 {
		accts = []string{DefaultAccount}
	}
	if len(regions) == 0 {
		regions = []string{DefaultRegion}
	}
	nAR := len(accts) * len(regions)

	// Anomaly labels: exactly max(1, round(share × n)) functions per kind,
	// by a seeded permutation. Label k+1 is AnomalyKinds[k]; 0 is healthy.
	counts := make([]int, len(AnomalyKinds))
	total := 0
	for k, kind := range AnomalyKinds {
		if share := gs.Mix[kind]; share > 0 && kind != RegionAnomaly {
			counts[k] = max(1, int(math.Round(share*float64(n))))
			total += counts[k]
		}
	}
	if total > n {
		return s.fail("generate.mix", "the anomaly shares need %d functions (at least one per kind), more than generate.functions (%d)", total, n)
	}
	labels := make([]uint8, n)
	perm := permutation(n, newRng(s.Seed, 1<<40))
	pos := 0
	for k, c := range counts {
		for _, i := range perm[pos : pos+c] {
			labels[i] = uint8(k + 1)
		}
		pos += c
	}

	g := &gen{s: s, dists: map[Dist]*Dist{}, series: map[seriesKey]*Series{}, tags: map[[3]string]map[string]string{},
		asyncs: map[string]*AsyncSpec{}, layers: map[[3]string][]string{}, ints: map[int]*int{}, means: map[meanKey]float64{}}
	ars := make([]*Region, nAR)
	for k := range ars {
		a := f.account(accts[k/len(regions)])
		r := f.region(a, regions[k%len(regions)])
		if len(r.Functions) == 0 {
			per := n/nAR + 1
			r.Functions = make([]*Function, 0, per)
			r.byName = make(map[string]*Function, per)
			r.byLog = make(map[string]*Function, per)
		}
		ars[k] = r
	}
	for i := 0; i < n; i++ {
		r := ars[i%nAR]
		label := ""
		if labels[i] > 0 {
			label = AnomalyKinds[labels[i]-1]
		}
		fs := g.function(i, r, label)
		if err := s.validateFunction("generate", &fs); err != nil {
			return fmt.Errorf("generated function %d (%s): %w", i, fs.Name, err)
		}
		if err := r.add(fs, label); err != nil {
			return err
		}
	}

	// Concurrency limit: every active function has ConcurrentExecutions
	// ≥ 1, so a healthy region stays under 80 % of a limit of three per
	// function.
	for _, id := range accts {
		a := f.account(id)
		most := 0
		for _, r := range a.Regions {
			most = max(most, len(r.Functions))
		}
		lim := (max(1000, 3*most) + 99) / 100 * 100
		a.ConcurrencyLimit = max(a.ConcurrencyLimit, lim)
	}
	if share := gs.Mix[RegionAnomaly]; share > 0 {
		c := min(nAR, max(1, int(math.Round(share*float64(nAR)))))
		for _, k := range permutation(nAR, newRng(s.Seed, 1<<41))[:c] {
			r := ars[k]
			r.concOver = g.count(math.Round(0.92 * float64(r.Account.ConcurrencyLimit)))
			r.Anomaly = RegionAnomaly
		}
	}
	return nil
}

// function draws function i's configuration and profile.
func (g *gen) function(i int, r *Region, label string) FunctionSpec {
	rn := newRng(g.s.Seed, uint64(i))
	team, svc, verb := pick(rn, genTeams), pick(rn, genServices), pick(rn, genVerbs)
	env := pickW(rn, genEnvs)
	prefix := g.s.Generate.NamePrefix
	var b strings.Builder
	b.Grow(12 + len(prefix) + len(team) + len(svc) + len(verb) + 10)
	b.WriteString("/aws/lambda/")
	b.WriteString(prefix)
	b.WriteString(team)
	b.WriteByte('-')
	b.WriteString(svc)
	b.WriteByte('-')
	b.WriteString(verb)
	b.WriteByte('-')
	b.WriteString(strconv.Itoa(i))
	lg := b.String()

	fs := FunctionSpec{Name: lg[len("/aws/lambda/"):], LogGroup: lg, PackageType: PkgZip, LogFormat: FormatTxt, EphemeralMB: 512}
	tk := [3]string{team, svc, env}
	if fs.Tags = g.tags[tk]; fs.Tags == nil {
		fs.Tags = map[string]string{"team": team, "service": svc, "env": env}
		g.tags[tk] = fs.Tags
	}
	fs.Runtime = pickW(rn, healthyRuntimes)
	if label == "deprecated-runtime" {
		fs.Runtime = pick(rn, deprecatedRuntimes)
	}
	if label == "arm64-candidate" {
		for IsCustomRuntime(fs.Runtime) {
			fs.Runtime = pickW(rn, healthyRuntimes)
		}
	}
	fs.Handler = handlerFor(fs.Runtime)
	if rn.chance(30) {
		fs.LogFormat = FormatJSN
	}
	if rn.chance(5) {
		fs.LogGroup = "/teams/" + team + "/" + fs.Name
	}
	fs.LambdaInsights = rn.chance(15)
	if rn.chance(20) {
		fs.PublishedVersions = 1 + rn.intn(5)
	}
	if rn.chance(15) {
		key := [3]string{r.Account.ID, r.Name, team}
		if fs.Layers = g.layers[key]; fs.Layers == nil {
			fs.Layers = []string{fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s-common:%d", r.Name, r.Account.ID, team, 1+len(g.layers)%9)}
			g.layers[key] = fs.Layers
		}
	}
	if rn.chance(5) {
		fs.EphemeralMB = 1024
	}
	p := &fs.Profile
	p.Hourly = "steady"
	if rn.chance(40) {
		p.Hourly = "diurnal"
	}

	// Healthy base: a workload class, then memory, durations, timeout.
	class := 0
	switch c := rn.intn(100); {
	case c >= 88:
		class = 2
	case c >= 55:
		class = 1
	}
	inv := pick(rn, invLevels[class])
	fs.MemoryMB = pick(rn, memLevels[class])
	if strings.HasPrefix(fs.Runtime, "java") {
		fs.MemoryMB = max(fs.MemoryMB, 512)
	}
	p50 := pick(rn, p50Levels[class])
	sh := pick(rn, durShapes)
	dur := Dist{Min: math.Round(p50 * sh[0]), P50: p50, P99: math.Round(p50 * sh[1]), Max: math.Round(p50 * sh[1] * sh[2])}
	fs.TimeoutS = timeoutFor(dur.Max, rn.chance(50))
	memFrac := pick(rn, memFracs)
	init := initLight
	switch {
	case strings.HasPrefix(fs.Runtime, "java"):
		init = initJava
	case rn.chance(50):
		init = initMid
	}
	coldRate, errRate := pick(rn, coldRates), pick(rn, errorRates)
	cold, errs := -1.0, -1.0 // -1: from the rates once inv is final
	var memUsed Dist
	healthyMem := true
	arch := "" // "" = x86_64 when cheap enough, else arm64
	preferX86 := rn.chance(60)
	if rn.chance(10) && label != "iterator-age" && label != "async-failures" {
		p.IteratorAgeMs = g.count(pick(rn, []float64{250, 1000, 4000, 15000}))
	} else if rn.chance(11) && label != "iterator-age" && label != "async-failures" {
		fs.Async = g.async(r, team, "dest")
		p.AsyncEventsReceived = g.rate(1)
		p.AsyncEventsDropped = g.count(0)
		p.AsyncEventAgeMs = g.count(pick(rn, []float64{20, 80, 300}))
	}

	warn := rn.chance(50) // warning or critical variant
	switch label {
	case "near-timeout":
		inv = pick(rn, []float64{120, 480, 1200, 2400, 6000})
		fs.TimeoutS = pick(rn, []int{3, 5, 10, 15, 30, 60})
		t := float64(fs.TimeoutS) * 1000
		lo, hi := 0.85, 0.90
		if !warn {
			lo, hi = 0.96, 0.97
		}
		mx := clamp(math.Round(t*rn.between(lo, hi)), math.Ceil(t*lo), math.Floor(t*hi))
		dur = Dist{P50: math.Round(mx * 0.35), P99: math.Round(mx * 0.8), Max: mx}
		dur.Min = math.Round(dur.P50 * 0.5)
	case "timeouts":
		inv = pick(rn, []float64{1200, 2400, 3600, 6000, 9600})
		if warn {
			p.Timeouts = g.count(float64(1 + rn.intn(3)))
		} else {
			p.Timeouts = g.count(math.Ceil(inv * rn.between(0.12, 0.15)))
		}
		errs = 0
	case "memory-near-limit":
		inv = pick(rn, []float64{2400, 3600, 6000, 9600, 14400})
		fs.MemoryMB = pick(rn, []int{512, 1024, 1536, 2048})
		m := float64(fs.MemoryMB)
		switch {
		case warn:
			memUsed = memDist(m, 0.92, 0.95, rn)
			healthyMem = false
		case rn.chance(50):
			memUsed = memDist(m, 0.98, 0.99, rn)
			healthyMem = false
		default:
			p.OutOfMemory = g.count(float64(1 + rn.intn(3)))
		}
		errs = 0
	case "memory-overprovisioned":
		inv = pick(rn, []float64{240, 480, 1200, 2400, 6000})
		fs.MemoryMB = pick(rn, []int{1024, 1536, 2048, 3008})
		memUsed = memDist(float64(fs.MemoryMB), 0.20, 0.35, rn)
		healthyMem = false
	case "cold-starts": // warning only: two variants
		if warn { // share 8–20 %
			inv = pick(rn, []float64{720, 1200, 2400, 6000, 9600, 14400})
			cold = math.Round(inv * rn.between(0.08, 0.20))
		} else { // p95 init 1.2–2.5 s, at least 20 cold starts a day
			inv = pick(rn, []float64{2400, 6000, 9600, 14400})
			cold = math.Floor(inv * rn.between(0.01, 0.02))
			p95 := math.Round(rn.between(1200, 2500))
			init = Dist{P50: math.Round(p95 * 0.6), P95: p95, Max: math.Round(p95 * 1.15)}
			init.Min = math.Round(init.P50 * 0.6)
		}
	case "cost-spike":
		arch = ArchARM
		p.Hourly = "steady"
		fs.MemoryMB = pick(rn, []int{1024, 1536, 2048})
		p50 = pick(rn, []float64{400, 500, 600})
		dur = Dist{Min: math.Round(p50 * 0.8), P50: p50, P99: math.Round(p50 * 1.8), Max: math.Round(p50 * 2.2)}
		fs.TimeoutS = timeoutFor(dur.Max, false)
		factor, need := pick(rn, []float64{3, 4}), 2.0 // $/day above the median
		if !warn {
			factor, need = 6, 20
		}
		perInv := meanOf(200000, &dur)/1000*float64(fs.MemoryMB)/1024*priceGBsARM + priceRequest
		inv = max(200000, math.Ceil(need/((factor-1)*perInv)/10000)*10000)
		p.Invocations = g.ser(seriesKey{v: inv, spikeF: factor})
		p.ColdStarts = g.rate(0.003)
		p.Errors = g.rate(0.0005)
	case "error-rate":
		inv = pick(rn, []float64{1200, 2400, 6000, 9600, 24000})
		lo, hi := 0.03, 0.07
		if !warn {
			lo, hi = 0.12, 0.15
		}
		errs = math.Round(inv * rn.between(lo, hi))
	case "throttles":
		inv = pick(rn, []float64{1200, 2400, 6000, 9600, 24000})
		lo, hi := 0.03, 0.07
		if !warn {
			lo, hi = 0.12, 0.15
		}
		sh := rn.between(lo, hi)
		p.Throttles = g.count(math.Round(inv * sh / (1 - sh)))
		fs.ReservedConcurrency = g.intp(pick(rn, []int{2, 5, 10}))
	case "deprecated-runtime":
		arch = ArchX86
		inv = pick(rn, invLevels[0])
		fs.MemoryMB = pick(rn, memLevels[0])
		p50 = pick(rn, p50Levels[0])
		dur = Dist{Min: math.Round(p50 * sh[0]), P50: p50, P99: math.Round(p50 * sh[1]), Max: math.Round(p50 * sh[1] * sh[2])}
		fs.TimeoutS = timeoutFor(dur.Max, false)
	case "arm64-candidate":
		arch = ArchX86
		fs.MemoryMB = pick(rn, []int{1024, 1536, 2048})
		p50 = pick(rn, []float64{150, 250, 400})
		dur = Dist{Min: math.Round(p50 * 0.5), P50: p50, P99: math.Round(p50 * 2), Max: math.Round(p50 * 2.6)}
		fs.TimeoutS = timeoutFor(dur.Max, false)
		target := math.Round(rn.between(10, 16)) / daysPerMonth / priceGBsX86 // GB-s a day
		cold = 0
		perInv := (meanOf(20000, &dur) + 0.5) / 1000 * float64(fs.MemoryMB) / 1024
		inv = math.Round(target/perInv/100) * 100
		p.ColdStarts = g.rate(0.002)
	case "iterator-age":
		lo, hi := 45.0, 90.0
		if !warn {
			lo, hi = 150, 180
		}
		p.IteratorAgeMs = g.count(math.Round(rn.between(lo, hi)) * 60000)
	case "async-failures":
		p.AsyncEventsReceived = g.rate(1)
		p.AsyncEventAgeMs = g.count(pick(rn, []float64{200, 2000, 30000}))
		if warn {
			fs.Async = g.async(r, team, "dlq")
			p.DeadLetterErrors = g.count(float64(1 + rn.intn(5)))
		} else {
			fs.Async = g.async(r, team, "dest")
			p.AsyncEventsDropped = g.count(float64(1 + rn.intn(20)))
		}
	case "provisioned-concurrency-idle":
		arch = ArchARM
		inv = pick(rn, invLevels[1])
		fs.ProvisionedConcurrency = 10 + rn.intn(41)
		p.ProvisionedUtilization = g.count(math.Round(rn.between(0.2, 0.4)*100) / 100)
		cold = 0
	case "recursive-loop":
		p.RecursiveInvocationsDropped = g.count(float64(1 + rn.intn(50)))
	}
	if cold < 0 {
		cold = math.Floor(inv * coldRate)
	}
	if errs < 0 {
		errs = math.Floor(inv * errRate)
	}
	if healthyMem {
		memUsed = memDist(float64(fs.MemoryMB), memFrac, memFrac, rn)
	}
	if p.Invocations == nil {
		p.Invocations = g.count(inv)
	}
	if p.ColdStarts == nil {
		p.ColdStarts = g.count(cold)
	}
	if p.Errors == nil {
		p.Errors = g.count(errs)
	}
	p.Duration = g.dist(dur)
	p.MemoryUsed = g.dist(memUsed)
	p.InitDuration = g.dist(init)
	if arch == "" {
		arch = ArchARM
		if preferX86 && g.monthlyGBs(&fs, inv, cold)*priceGBsX86 < healthyX86Max {
			arch = ArchX86
		}
	}
	fs.Architecture = arch
	return fs
}

func (g *gen) async(r *Region, team, kind string) *AsyncSpec {
	key := r.Account.ID + r.Name + team + kind
	if a := g.asyncs[key]; a != nil {
		return a
	}
	arn := fmt.Sprintf("arn:aws:sqs:%s:%s:%s-%s", r.Name, r.Account.ID, team, kind)
	a := &AsyncSpec{MaximumRetryAttempts: 2, MaximumEventAgeSeconds: 21600}
	if kind == "dlq" {
		a.DeadLetterTarget = arn
	} else {
		a.OnFailureDestination = arn
	}
	g.asyncs[key] = a
	return a
}

func handlerFor(runtime string) string {
	switch {
	case strings.HasPrefix(runtime, "nodejs"):
		return "index.handler"
	case strings.HasPrefix(runtime, "python"):
		return "app.handler"
	case strings.HasPrefix(runtime, "java"):
		return "com.example.Handler::handleRequest"
	case strings.HasPrefix(runtime, "ruby"):
		return "app.handler"
	case runtime == "go1.x":
		return "main"
	}
	return "bootstrap"
}

// timeoutFor is the smallest usual timeout (s) at least twice maxMs, or
// the next one up.
func timeoutFor(maxMs float64, bump bool) int {
	for k, t := range timeouts {
		if float64(t)*1000*0.5 >= maxMs {
			if bump && k+1 < len(timeouts) {
				return timeouts[k+1]
			}
			return t
		}
	}
	return timeouts[len(timeouts)-1]
}

// memDist is a memory-used distribution whose max is a share in [lo, hi]
// of the memory size, in whole MB.
func memDist(mem, lo, hi float64, rn *rng) Dist {
	mx := clamp(math.Round(mem*rn.between(lo, hi)), math.Ceil(mem*lo), math.Floor(mem*hi))
	if lo == hi {
		mx = math.Round(mem * lo)
	}
	d := Dist{Max: mx, P50: math.Round(mx * 0.8)}
	d.P99 = math.Round((d.P50 + mx) / 2)
	d.Min = math.Round(d.P50 * 0.85)
	return d
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// meanOf is meanOf, memoized: generated distributions and invocation
// counts repeat.
func (g *gen) meanOf(m int64, d *Dist) float64 {
	k := meanKey{m, d}
	if v, ok := g.means[k]; ok {
		return v
	}
	v := meanOf(m, d)
	g.means[k] = v
	return v
}

type meanKey struct {
	m int64
	d *Dist
}

// meanOf is the mean duration of m successful invocations laid out the
// way Function.blocks lays them out.
func meanOf(m int64, d *Dist) float64 {
	bs := rankBlocks(m, []anchor{{1, d.Min}, {pctRank(m, .5), d.P50}, {pctRank(m, .99), d.P99}, {m, d.Max}}, 4, round2)
	var sum float64
	for _, b := range bs {
		sum += float64(b.n) * b.v
	}
	return sum / float64(m)
}

// monthlyGBs bounds a function's duration GB-s per month from above:
// every successful invocation billed its mean duration plus 1 ms of
// rounding, every timeout its timeout, every out-of-memory end the
// largest duration, every cold start the largest init.
func (g *gen) monthlyGBs(fs *FunctionSpec, inv, cold float64) float64 {
	p := &fs.Profile
	if inv <= 0 {
		return 0
	}
	to, oom := p.Timeouts.at(1, 14, inv), p.OutOfMemory.at(1, 14, inv)
	ms := to*float64(fs.TimeoutS)*1000 + oom*p.Duration.Max + cold*p.InitDuration.Max
	if ok := inv - to - oom; ok > 0 {
		ms += ok * (g.meanOf(int64(ok), p.Duration) + 1)
	}
	return ms / 1000 * float64(fs.MemoryMB) / 1024 * daysPerMonth
}
