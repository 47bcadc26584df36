package fleet

import (
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"
)

// Record statuses of a REPORT line.
const (
	StatusOK      uint8 = iota
	StatusTimeout       // "Status: timeout"
	StatusOOM           // "Status: error" with Runtime.OutOfMemory
)

// Invocation is a block of W identical invocations: one weighted REPORT
// record. A day's blocks are ordered by duration, and their marginals hit
// the profile's percentiles exactly (nearest rank).
type Invocation struct {
	W        int64
	Duration float64 // ms, 2 decimals
	Billed   int64   // ms
	MemUsed  int32   // MB
	MemSize  int32   // MB configured
	Init     float64 // ms, 0 = warm start
	Status   uint8
	// Seq numbers the block within its day (stable), for request IDs.
	Seq int32
}

// Day is what a function did on one UTC day. Counts are exact.
type Day struct {
	DaysAgo     int
	Date        time.Time
	Invocations int64
	// Errors includes timeouts and out-of-memory ends.
	Errors, Timeouts, OOM, ColdStarts, Throttles int64
	fn                                           *Function
	hourWMax                                     float64
	blocksOnce, durOnce                          sync.Once
	blocks, durBlocks                            []Invocation
	MemSize                                      int
	// Gauges: daily maxima.
	ConcurrencyMax, IteratorAgeMax, AsyncEventAgeMax, PCUtilizationMax float64
	AsyncReceived, AsyncDropped, DeadLetterErrors, DestinationFailures int64
	RecursiveDropped, PCInvocations, PCSpillover                       int64
	hourW                                                              []float64
	hourCaps                                                           []int64
	hoursOnce                                                          sync.Once
	hourBlocks                                                         [][]Invocation
}

// hourly weight shapes.
var (
	diurnalMax = slices.Max(diurnalW)
	steadyW    = make24(func(int) float64 { return 1 })
	diurnalW   = make24(func(h int) float64 { return 1 + 0.8*math.Cos(2*math.Pi*float64(h-14)/24) })
)

func make24(f func(int) float64) []float64 {
	w := make([]float64, 24)
	for h := range w {
		w[h] = f(h)
	}
	return w
}

// Day returns the function's day daysAgo days before the anchor (0 =
// today, negative = later days, which repeat yesterday's profile), or nil
// when the function did not exist yet.
func (fn *Function) Day(daysAgo int) *Day {
	if daysAgo > fn.CreatedDaysAgo {
		return nil
	}
	return fn.Region.fleet.days.get(fn, daysAgo)
}

// build computes a day from the profile. Pure and deterministic.
func (fn *Function) build(daysAgo int) *Day {
	f := fn.Region.fleet
	p := &fn.Profile
	days := f.Days
	d := &Day{DaysAgo: daysAgo, Date: f.Anchor.Add(-time.Duration(daysAgo) * 24 * time.Hour), MemSize: fn.MemoryAt(daysAgo)}
	d.hourW, d.hourWMax = steadyW, 1
	if p.Hourly == "diurnal" {
		d.hourW, d.hourWMax = diurnalW, diurnalMax
	}
	inv := math.Round(p.Invocations.at(daysAgo, days, 0))
	d.Invocations = int64(inv)
	count := func(s *Series) int64 { return int64(math.Round(s.at(daysAgo, days, inv))) }
	d.Timeouts = count(p.Timeouts)
	d.OOM = count(p.OutOfMemory)
	d.Errors = count(p.Errors) + d.Timeouts + d.OOM
	if d.Errors > d.Invocations { // only reachable through today's repeats
		d.Errors = d.Invocations
	}
	d.Throttles = count(p.Throttles)
	d.ColdStarts = min(count(p.ColdStarts), d.Invocations)
	d.AsyncReceived = count(p.AsyncEventsReceived)
	d.AsyncDropped = count(p.AsyncEventsDropped)
	d.DeadLetterErrors = count(p.DeadLetterErrors)
	d.DestinationFailures = count(p.DestinationDeliveryFailures)
	d.RecursiveDropped = count(p.RecursiveInvocationsDropped)
	d.IteratorAgeMax = p.IteratorAgeMs.at(daysAgo, days, inv)
	d.AsyncEventAgeMax = p.AsyncEventAgeMs.at(daysAgo, days, inv)
	d.hourCaps = apportion(d.Invocations, d.hourW)
	d.fn = fn
	if p.Concurrency != nil {
		d.ConcurrencyMax = math.Round(p.Concurrency.at(daysAgo, days, inv))
	} else if d.Invocations > 0 {
		var peak int64
		for _, c := range d.hourCaps {
			peak = max(peak, c)
		}
		var durSum float64
		for _, b := range d.DurationBlocks() {
			durSum += float64(b.W) * b.Duration
		}
		avg := durSum / float64(d.Invocations) / 1000
		// Twice the busiest hour's mean concurrency: bursts within the hour.
		d.ConcurrencyMax = math.Max(1, math.Ceil(2*float64(peak)/3600*avg))
	}
	if fn.ProvisionedConcurrency > 0 && d.Invocations > 0 {
		d.PCUtilizationMax = p.ProvisionedUtilization.at(daysAgo, days, inv)
		if p.ProvisionedUtilization == nil {
			d.PCUtilizationMax = math.Min(1, d.ConcurrencyMax/float64(fn.ProvisionedConcurrency))
		}
		if d.PCUtilizationMax >= 1 {
			d.PCSpillover = d.Invocations / 20
		}
		d.PCInvocations = d.Invocations - d.PCSpillover
	}
	return d
}

// rankBlock is a run of consecutive ranks holding one value.
type rankBlock struct {
	n int64
	v float64
}

// anchor pins the value at a 1-based rank.
type anchor struct {
	rank int64
	v    float64
}

// rankBlocks lays m ranks out as constant-value blocks so that each anchor
// rank holds exactly its value, and the gaps between anchors interpolate
// in up to sub blocks. Later anchors win on a shared rank.
func rankBlocks(m int64, anchors []anchor, sub int64, round func(float64) float64) []rankBlock {
	if m <= 0 {
		return nil
	}
	// Deduplicate ranks; later anchors take precedence.
	var as []anchor
	for _, a := range anchors {
		a.rank = max(1, min(m, a.rank))
		if n := len(as); n > 0 && as[n-1].rank >= a.rank {
			// keep order monotone: a later anchor replaces earlier ones at or above its rank
			for len(as) > 0 && as[len(as)-1].rank >= a.rank {
				as = as[:len(as)-1]
			}
		}
		as = append(as, a)
	}
	var out []rankBlock
	prevRank, prevV := int64(0), as[0].v
	for _, a := range as {
		gap := a.rank - prevRank - 1
		if gap > 0 {
			k := min(sub, gap)
			for i := int64(0); i < k; i++ {
				lo := gap * i / k
				hi := gap * (i + 1) / k
				// A block holds the value at its lower end, so a
				// percentile just past an anchor reads the anchor.
				pos := float64(lo) / float64(gap)
				v := prevV
				if prevRank > 0 {
					v = prevV + (a.v-prevV)*pos
				} else {
					v = a.v // no anchor below: the gap is below the first anchor
				}
				out = append(out, rankBlock{hi - lo, round(v)})
			}
		}
		out = append(out, rankBlock{1, round(a.v)})
		prevRank, prevV = a.rank, a.v
	}
	return out
}

func pctRank(m int64, q float64) int64 { return int64(math.Ceil(q * float64(m))) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// Blocks returns the day's weighted REPORT records, built on first use.
func (d *Day) Blocks() []Invocation {
	d.blocksOnce.Do(func() { d.blocks = d.fn.blocks(d, d.DaysAgo) })
	return d.blocks
}

// DurationBlocks returns the day's durations alone: the same multiset of
// Duration values as Blocks, far cheaper to build, for whole-day
// Duration statistics.
func (d *Day) DurationBlocks() []Invocation {
	d.durOnce.Do(func() {
		if d.Invocations == 0 {
			return
		}
		fn := d.fn
		p := &fn.Profile
		out := make([]Invocation, 0, 18)
		for _, r := range fn.durationRanks(d, d.DaysAgo) {
			out = append(out, Invocation{W: r.n, Duration: r.v})
		}
		if d.Timeouts > 0 {
			out = append(out, Invocation{W: d.Timeouts, Duration: float64(fn.TimeoutS) * 1000, Status: StatusTimeout})
		}
		if d.OOM > 0 {
			out = append(out, Invocation{W: d.OOM, Duration: fn.capDur(d.DaysAgo)(p.Duration.P50), Status: StatusOOM})
		}
		d.durBlocks = out
	})
	return d.durBlocks
}

// capDur scales a duration by the day's factor, below the timeout.
func (fn *Function) capDur(daysAgo int) func(float64) float64 {
	factor := 1.0
	if fn.Profile.DurationFactor != nil {
		factor = fn.Profile.DurationFactor.at(daysAgo, fn.Region.fleet.Days, 0)
	}
	timeoutMs := float64(fn.TimeoutS) * 1000
	return func(v float64) float64 { return math.Min(round2(v*factor), timeoutMs-0.01) }
}

// durationRanks lays out the successful invocations' durations.
func (fn *Function) durationRanks(d *Day, daysAgo int) []rankBlock {
	m := d.Invocations - d.Timeouts - d.OOM
	dd := fn.Profile.Duration
	return rankBlocks(m, []anchor{{1, dd.Min}, {pctRank(m, .5), dd.P50}, {pctRank(m, .99), dd.P99}, {m, dd.Max}}, 4, fn.capDur(daysAgo))
}

// blocks builds the day's weighted REPORT records: ranks of successful
// invocations carry the duration and memory distributions comonotonically,
// then timeouts and out-of-memory ends; cold starts are spread over all
// blocks in proportion and carry the init distribution.
func (fn *Function) blocks(d *Day, daysAgo int) []Invocation {
	n := d.Invocations
	if n == 0 {
		return nil
	}
	p := &fn.Profile
	timeoutMs := float64(fn.TimeoutS) * 1000
	factor := 1.0
	if p.DurationFactor != nil {
		factor = p.DurationFactor.at(daysAgo, fn.Region.fleet.Days, 0)
	}
	m := n - d.Timeouts - d.OOM
	dd := p.Duration
	capDur := func(v float64) float64 { return math.Min(round2(v*factor), timeoutMs-0.01) }
	durB := fn.durationRanks(d, daysAgo)
	md := p.MemoryUsed
	memLimit := float64(d.MemSize)
	memRound := func(v float64) float64 { return math.Min(math.Round(v), memLimit) }
	memB := rankBlocks(m, []anchor{{1, md.Min}, {pctRank(m, .5), md.P50}, {pctRank(m, .99), md.P99}, {m, md.Max}}, 4, memRound)

	var out []Invocation
	// Merge the two rank partitions.
	i, j := 0, 0
	var ri, rj int64 // consumed of current blocks
	for i < len(durB) && j < len(memB) {
		take := min(durB[i].n-ri, memB[j].n-rj)
		out = append(out, Invocation{W: take, Duration: durB[i].v, MemUsed: int32(memB[j].v)})
		ri += take
		rj += take
		if ri == durB[i].n {
			i, ri = i+1, 0
		}
		if rj == memB[j].n {
			j, rj = j+1, 0
		}
	}
	if d.Timeouts > 0 {
		out = append(out, Invocation{W: d.Timeouts, Duration: timeoutMs, MemUsed: int32(memRound(md.P50)), Status: StatusTimeout})
	}
	if d.OOM > 0 {
		out = append(out, Invocation{W: d.OOM, Duration: capDur(dd.P50), MemUsed: int32(d.MemSize), Status: StatusOOM})
	}
	// Cold starts: spread in proportion, then lay the init distribution
	// over the cold ranks in block order.
	if c := d.ColdStarts; c > 0 {
		cold := apportionCapped(c, out)
		id := p.InitDuration
		initB := rankBlocks(c, []anchor{{1, id.Min}, {pctRank(c, .5), id.P50}, {pctRank(c, .95), id.P95}, {c, id.Max}}, 4, round2)
		var split []Invocation
		bi, used := 0, int64(0)
		for k, b := range out {
			warm := b
			warm.W = b.W - cold[k]
			if warm.W > 0 {
				split = append(split, warm)
			}
			left := cold[k]
			for left > 0 {
				take := min(left, initB[bi].n-used)
				cb := b
				cb.W, cb.Init = take, initB[bi].v
				split = append(split, cb)
				left -= take
				used += take
				if used == initB[bi].n {
					bi, used = bi+1, 0
				}
			}
		}
		out = split
	}
	initBilled := fn.PackageType == PkgImage || IsCustomRuntime(fn.Runtime) || !d.Date.Before(initBillingStart)
	for k := range out {
		b := &out[k]
		b.MemSize = int32(d.MemSize)
		b.Seq = int32(k)
		billed := b.Duration
		if b.Init > 0 && initBilled {
			billed += b.Init
		}
		b.Billed = int64(math.Ceil(billed - 1e-9))
		if b.Billed < 1 {
			b.Billed = 1
		}
	}
	return out
}

// initBillingStart: INIT billed for on-demand ZIP functions on managed
// runtimes from this date (AWS-FACTS.md).
var initBillingStart = time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)

// apportionCapped spreads c over the blocks in proportion to their
// weights by cumulative rounding, never more than a block's weight.
func apportionCapped(c int64, bs []Invocation) []int64 {
	var total int64
	for _, b := range bs {
		total += b.W
	}
	out := make([]int64, len(bs))
	var cum, prev int64
	for i, b := range bs {
		cum += b.W
		next := mulDiv(c, cum, total)
		out[i] = next - prev
		prev = next
	}
	return out
}

// apportion splits n over weights by cumulative rounding: part i is
// floor(n·W≤i/W) − floor(n·W<i/W). The parts add up to n exactly, each is
// within one of its exact share, and no sort is needed.
func apportion(n int64, w []float64) []int64 {
	out := make([]int64, len(w))
	if n <= 0 {
		return out
	}
	var tw float64
	for _, x := range w {
		tw += x
	}
	var cw float64
	var prev int64
	for i, x := range w {
		cw += x
		next := int64(math.Floor(float64(n)*cw/tw + 1e-9))
		if i == len(w)-1 || next > n {
			next = n
		}
		out[i] = next - prev
		prev = next
	}
	return out
}

// splitBlocks deals blocks into buckets with exact capacities (Σcaps =
// Σweights): each block is spread over the remaining capacity by
// cumulative rounding, so both every block's and every bucket's totals are
// exact. A part never exceeds the bucket's remaining capacity because the
// block is at most the capacity left. Buckets are visited from a rotating
// start.
func splitBlocks(bs []Invocation, caps []int64) [][]Invocation {
	remain := append([]int64(nil), caps...)
	var left int64
	for _, c := range remain {
		left += c
	}
	out := make([][]Invocation, len(caps))
	n := len(caps)
	for k, b := range bs {
		if left == 0 {
			break
		}
		w := min(b.W, left)
		var cum, prev int64
		// Start each block at another bucket, so that small blocks (the
		// maximum, a few timeouts) do not all land in the last bucket.
		first := (k * 7) % max(n, 1)
		for j := 0; j < n; j++ {
			i := (first + j) % n
			c := remain[i]
			if c == 0 {
				continue
			}
			cum += c
			next := mulDiv(w, cum, left)
			if a := next - prev; a > 0 {
				nb := b
				nb.W = a
				out[i] = append(out[i], nb)
				remain[i] -= a
			}
			prev = next
		}
		left -= w
	}
	return out
}

// splitCount spreads a count over buckets, never more than a bucket's
// capacity when caps are given (errors within invocations).
func splitCount(n int64, caps []int64, w []float64) []int64 {
	if caps == nil {
		return apportion(n, w)
	}
	var total int64
	for _, c := range caps {
		total += c
	}
	if n > total {
		return apportion(n, w)
	}
	bs := splitBlocks([]Invocation{{W: n}}, caps)
	out := make([]int64, len(caps))
	for i, b := range bs {
		for _, x := range b {
			out[i] += x.W
		}
	}
	return out
}

// mulDiv returns a*b/c without overflow for the sizes
// used here (a, b ≤ 1e9·24).
func mulDiv(a, b, c int64) int64 {
	if c == 0 {
		return 0
	}
	hi, lo := mul64(uint64(a), uint64(b))
	q, _ := div128(hi, lo, uint64(c))
	return int64(q)
}

// dayCache keeps recently built days; building is cheap but GetMetricData
// asks for the same function-days several times per call.
type dayCache struct {
	mu  sync.Mutex
	m   map[dayKey]*Day
	cap int
}

type dayKey struct {
	fn      *Function
	daysAgo int
}

func (c *dayCache) init(n int) { c.m, c.cap = make(map[dayKey]*Day, n), n }

func (c *dayCache) get(fn *Function, daysAgo int) *Day {
	k := dayKey{fn, daysAgo}
	c.mu.Lock()
	d := c.m[k]
	c.mu.Unlock()
	if d != nil {
		return d
	}
	d = fn.build(daysAgo)
	c.mu.Lock()
	if len(c.m) >= c.cap { // random eviction: map order
		for k := range c.m {
			delete(c.m, k)
			if len(c.m) < c.cap*3/4 {
				break
			}
		}
	}
	c.m[k] = d
	c.mu.Unlock()
	return d
}

// HourCaps returns the invocations per hour of the day (exact split).
func (d *Day) HourCaps() []int64 { return d.hourCaps }

// Hour returns the blocks of hour h (0–23).
func (d *Day) Hour(h int) []Invocation {
	return d.hours()[h]
}

func (d *Day) hours() [][]Invocation {
	d.hoursOnce.Do(func() { d.hourBlocks = splitBlocks(d.Blocks(), d.hourCaps) })
	return d.hourBlocks
}

// Minute returns the blocks of minute mi (0–59) of hour h.
func (d *Day) Minute(h, mi int) []Invocation {
	hb := d.Hour(h)
	caps := apportion(d.hourCaps[h], uniform60)
	return splitBlocks(hb, caps)[mi]
}

var uniform60 = func() []float64 {
	w := make([]float64, 60)
	for i := range w {
		w[i] = 1
	}
	return w
}()

func mul64(a, b uint64) (hi, lo uint64) { return bits.Mul64(a, b) }

// div128 divides (hi, lo) by c; callers guarantee the quotient fits.
func div128(hi, lo, c uint64) (q, r uint64) {
	if hi >= c {
		return math.MaxInt64, 0
	}
	return bits.Div64(hi, lo, c)
}
