package sim

// CloudWatch metrics: GetMetricData, GetMetricStatistics and ListMetrics
// over Smithy RPC v2 CBOR, awsJson1.0 and awsQuery. Each protocol is
// parsed into one request tree (cloudwatch_wire.go), validated into one
// request struct, answered by one implementation from the fleet model and
// written back in the caller's protocol.

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// CloudWatch limits (AWS-FACTS.md and the CloudWatch API reference).
const (
	cwMaxQueries        = 500
	cwMaxDatapoints     = 100800 // GetMetricData per call before NextToken
	cwMaxGMSDatapoints  = 1440   // GetMetricStatistics per call
	cwListPage          = 500
	cwMaxDimensions     = 30
	cwMaxDimFilters     = 10
	cwMaxStatistics     = 5
	cwMaxExtendedStats  = 10
	cwRecentWindow      = 3 * time.Hour       // datapoint quota band, RecentlyActive
	cwListWindow        = 14 * 24 * time.Hour // ListMetrics: data in the last two weeks
	cwStatsPerBilledMet = 5                   // statistics of one metric billed as one
	// cwPageWork bounds the periods one GetMetricData page computes.
	cwPageWork = 1_000_000
)

var (
	cwIDRe       = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	cwTimezoneRe = regexp.MustCompile(`^[+-](0\d|1[0-4])[0-5]\d$`)
)

// cwStandardUnits is the StandardUnit enum.
var cwStandardUnits = func() map[string]bool {
	m := map[string]bool{}
	for _, u := range []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
		"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
		"Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
		"Gigabits/Second", "Terabits/Second", "Count/Second", "None"} {
		m[u] = true
	}
	return m
}()

// cwUnitOf is the unit a metric is published with.
func cwUnitOf(m fleet.MetricID) string {
	switch m.Namespace {
	case fleet.NSLambda:
		switch m.Name {
		case "Duration", "PostRuntimeExtensionsDuration", "IteratorAge", "AsyncEventAge":
			return "Milliseconds"
		case "ProvisionedConcurrencyUtilization":
			return "None"
		}
		return "Count"
	case fleet.NSInsights:
		switch m.Name {
		case "memory_utilization":
			return "Percent"
		case "used_memory_max", "total_memory":
			return "Megabytes"
		case "init_duration", "cpu_total_time":
			return "Milliseconds"
		case "rx_bytes", "tx_bytes":
			return "Bytes"
		}
	case fleet.NSLogs:
		if m.Name == "IncomingBytes" {
			return "Bytes"
		}
	}
	return "None"
}

// serveCloudWatch answers the CloudWatch metrics APIs in the caller's protocol.
func (s *Server) serveCloudWatch(w http.ResponseWriter, r *http.Request, c *call) {
	body, rerr := readBody(r)
	if rerr != nil {
		c.api = cwOpHint(c.proto, r)
		s.fail(w, c, rerr)
		return
	}
	op, tree, perr := cwOperation(c.proto, r, body)
	switch op {
	case "GetMetricData", "GetMetricStatistics", "ListMetrics":
		c.api = op
	case "":
		if perr == nil {
			perr = cwUnknownOp(c.proto, op)
		}
		s.fail(w, c, perr)
		return
	default:
		s.fail(w, c, cwUnknownOp(c.proto, op))
		return
	}
	if e := s.admit(r.Context(), c); e != nil {
		s.fail(w, c, e)
		return
	}
	if perr != nil {
		s.fail(w, c, perr)
		return
	}
	t := &cwTree{proto: c.proto}
	switch op {
	case "GetMetricData":
		s.cwGetMetricData(w, c, t, tree)
	case "GetMetricStatistics":
		s.cwGetMetricStatistics(w, c, t, tree)
	default:
		s.cwListMetrics(w, c, t, tree)
	}
}

// cwOpHint names the operation from the path or target header alone.
func cwOpHint(p protocol, r *http.Request) string {
	switch p {
	case protoCBOR:
		return strings.TrimPrefix(r.URL.Path, cwCBORPrefix)
	case protoJSON10:
		return strings.TrimPrefix(r.Header.Get("X-Amz-Target"), cwTargetPrefix)
	}
	return r.URL.Query().Get("Action")
}

func missingParam(path string) *apiError {
	return &apiError{Status: 400, Code: "MissingParameter", Shape: "MissingRequiredParameterException", Message: fmt.Sprintf("The parameter %s is required.", path)}
}

func cwInvalid(format string, a ...any) *apiError {
	return invalidParam(svcCloudWatch, fmt.Sprintf(format, a...))
}

func cwCombination(format string, a ...any) *apiError {
	return &apiError{Status: 400, Code: "InvalidParameterCombination", Shape: "InvalidParameterCombinationException", Message: fmt.Sprintf(format, a...)}
}

func cwBadToken(msg string) *apiError {
	return &apiError{Status: 400, Code: "InvalidNextToken", Message: "The next token specified is invalid: " + msg}
}

// validPeriod: 1, 5, 10, 20, 30 (high resolution) or a multiple of 60.
func validPeriod(p int64) bool {
	switch p {
	case 1, 5, 10, 20, 30:
		return true
	}
	return p >= 60 && p%60 == 0
}

// cwMetricIn reads a Metric structure (Namespace, MetricName, Dimensions).
func cwMetricIn(t *cwTree, m map[string]any, path string, required bool) (fleet.MetricID, *apiError) {
	var id fleet.MetricID
	ns, hasNS := t.str(m, "Namespace", path)
	name, hasName := t.str(m, "MetricName", path)
	dl, _ := t.list(m, "Dimensions", path)
	if t.err != nil {
		return id, t.err
	}
	if required && !hasNS {
		return id, missingParam(member(path, "Namespace"))
	}
	if required && !hasName {
		return id, missingParam(member(path, "MetricName"))
	}
	if hasNS {
		if len(ns) < 1 || len(ns) > 255 || strings.HasPrefix(ns, ":") {
			return id, cwInvalid("The parameter %s must be 1 to 255 characters and must not start with a colon.", member(path, "Namespace"))
		}
	}
	if hasName && (len(name) < 1 || len(name) > 255) {
		return id, cwInvalid("The parameter %s must be 1 to 255 characters.", member(path, "MetricName"))
	}
	if len(dl) > cwMaxDimensions {
		return id, cwInvalid("The collection %s must not have a size greater than %d.", member(path, "Dimensions"), cwMaxDimensions)
	}
	id.Namespace, id.Name = ns, name
	if len(dl) > 0 {
		id.Dims = make([]fleet.Dim, 0, len(dl))
	}
	for i, item := range dl {
		dn, dv, _, err := t.dimension(item, itemPath(member(path, "Dimensions"), i), true)
		if err != nil {
			return id, err
		}
		for _, d := range id.Dims {
			if d.Name == dn {
				return id, cwInvalid("The dimension name %s appears more than once in %s.", dn, member(path, "Dimensions"))
			}
		}
		id.Dims = append(id.Dims, fleet.Dim{Name: dn, Value: dv})
	}
	return id, nil
}

// metricKey is a metric's identity regardless of dimension order.
func metricKey(m fleet.MetricID) string {
	var b strings.Builder
	b.WriteString(m.Namespace)
	b.WriteByte(0)
	b.WriteString(m.Name)
	dims := m.Dims
	if len(dims) > 1 {
		dims = append([]fleet.Dim(nil), dims...)
		sort.Slice(dims, func(i, j int) bool { return dims[i].Name < dims[j].Name })
	}
	for _, d := range dims {
		b.WriteByte(0)
		b.WriteString(d.Name)
		b.WriteByte('=')
		b.WriteString(d.Value)
	}
	return b.String()
}

// --- GetMetricData ---

// cwQuery is one validated MetricDataQuery with a MetricStat.
type cwQuery struct {
	id         string
	metric     fleet.MetricID
	key        string // metricKey
	stat       fleet.Stat
	period     int64 // seconds
	unit       string
	label      string
	returnData bool
	accountID  string
}

type gmdRequest struct {
	queries    []cwQuery
	start, end time.Time
	ascending  bool
	maxDP      int
	token      string
	hasToken   bool
	hash       uint64
}

func parseGetMetricData(t *cwTree, m map[string]any) (*gmdRequest, *apiError) {
	ql, hasQ := t.list(m, "MetricDataQueries", "")
	start, hasStart := t.timestamp(m, "StartTime", "")
	end, hasEnd := t.timestamp(m, "EndTime", "")
	token, hasToken := t.str(m, "NextToken", "")
	scanBy, hasScan := t.str(m, "ScanBy", "")
	maxDP, hasMax := t.integer(m, "MaxDatapoints", "")
	lo, _ := t.structure(m, "LabelOptions", "")
	var tz string
	var hasTZ bool
	if lo != nil {
		tz, hasTZ = t.str(lo, "Timezone", "LabelOptions")
	}
	if t.err != nil {
		return nil, t.err
	}
	switch {
	case !hasQ:
		return nil, missingParam("MetricDataQueries")
	case !hasStart:
		return nil, missingParam("StartTime")
	case !hasEnd:
		return nil, missingParam("EndTime")
	}
	req := &gmdRequest{start: start, end: end, token: token, hasToken: hasToken, maxDP: cwMaxDatapoints}
	switch {
	case len(ql) == 0:
		return nil, cwInvalid("The collection MetricDataQueries must not have a size less than 1.")
	case len(ql) > cwMaxQueries:
		return nil, cwInvalid("The collection MetricDataQueries must not have a size greater than %d.", cwMaxQueries)
	}
	if !start.Before(end) {
		return nil, cwInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	if hasScan {
		switch scanBy {
		case "TimestampDescending":
		case "TimestampAscending":
			req.ascending = true
		default:
			return nil, cwInvalid("The value %s for parameter ScanBy is not valid (TimestampDescending or TimestampAscending).", trunc(scanBy, 64))
		}
	}
	if hasMax {
		if maxDP < 1 {
			return nil, cwInvalid("The parameter MaxDatapoints must be greater than 0.")
		}
		if maxDP < cwMaxDatapoints {
			req.maxDP = int(maxDP)
		}
	}
	if hasTZ && !cwTimezoneRe.MatchString(tz) {
		return nil, cwInvalid("The value %s for parameter LabelOptions.Timezone is not valid: use +HHMM or -HHMM.", trunc(tz, 32))
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d/%t", start.UnixNano(), end.UnixNano(), req.ascending)
	seen := make(map[string]int, len(ql))
	var scratch []byte
	req.queries = make([]cwQuery, 0, len(ql))
	for i, item := range ql {
		path := itemPath("MetricDataQueries", i)
		qm, ok := item.(map[string]any)
		if !ok {
			t.typeErr(path, "a structure", item)
			return nil, t.err
		}
		q, e := parseQuery(t, qm, path)
		if e != nil {
			return nil, e
		}
		if j, dup := seen[q.id]; dup {
			return nil, cwInvalid("The values for parameter id in MetricDataQueries are not unique: %s is the Id of queries %d and %d.", q.id, j+1, i+1)
		}
		seen[q.id] = i
		scratch = strconv.AppendInt(append(scratch[:0], '|'), q.period, 10)
		scratch = strconv.AppendBool(append(scratch, '|'), q.returnData)
		h.Write(scratch)
		for _, f := range [...]string{q.id, q.key, q.stat.Name, q.unit, q.label, q.accountID} {
			h.Write([]byte{0})
			h.Write([]byte(f))
		}
		req.queries = append(req.queries, q)
	}
	req.hash = h.Sum64()
	return req, nil
}

func parseQuery(t *cwTree, qm map[string]any, path string) (cwQuery, *apiError) {
	var q cwQuery
	id, hasID := t.str(qm, "Id", path)
	ms, hasMS := t.structure(qm, "MetricStat", path)
	expr, hasExpr := t.str(qm, "Expression", path)
	label, hasLabel := t.str(qm, "Label", path)
	rd, hasRD := t.boolean(qm, "ReturnData", path)
	acct, hasAcct := t.str(qm, "AccountId", path)
	t.integer(qm, "Period", path) // for expressions only; type-checked
	if t.err != nil {
		return q, t.err
	}
	if !hasID {
		return q, missingParam(path + ".Id")
	}
	if len(id) > 255 || !cwIDRe.MatchString(id) {
		return q, cwInvalid("The value %s for parameter %s is not valid: an Id must start with a lowercase letter and contain only letters, numbers and underscores.", trunc(id, 64), path+".Id")
	}
	q.id = id
	switch {
	case hasMS && hasExpr:
		return q, cwInvalid("Exactly one element of the MetricStat or the Expression must be specified for the metric data query with Id %s, not both.", id)
	case !hasMS && !hasExpr:
		return q, cwInvalid("Exactly one element of the MetricStat or the Expression must be specified for the metric data query with Id %s.", id)
	case hasExpr:
		return q, cwInvalid("The simulator does not evaluate metric math or Metrics Insights expressions: query %s has Expression %q. Use MetricStat queries.", id, trunc(expr, 80))
	}
	if hasAcct && (len(acct) < 1 || len(acct) > 255) {
		return q, cwInvalid("The parameter %s must be 1 to 255 characters.", path+".AccountId")
	}
	q.accountID = acct
	q.returnData = !hasRD || rd
	sp := path + ".MetricStat"
	mm, hasMetric := t.structure(ms, "Metric", sp)
	period, hasPeriod := t.integer(ms, "Period", sp)
	stat, hasStat := t.str(ms, "Stat", sp)
	unit, hasUnit := t.str(ms, "Unit", sp)
	if t.err != nil {
		return q, t.err
	}
	switch {
	case !hasMetric:
		return q, missingParam(sp + ".Metric")
	case !hasPeriod:
		return q, missingParam(sp + ".Period")
	case !hasStat:
		return q, missingParam(sp + ".Stat")
	}
	mid, e := cwMetricIn(t, mm, sp+".Metric", true)
	if e != nil {
		return q, e
	}
	if period < 1 {
		return q, cwInvalid("The parameter %s must be greater than 0.", sp+".Period")
	}
	if !validPeriod(period) {
		return q, cwInvalid("The parameter %s must be 1, 5, 10, 20, 30 or a multiple of 60, got %d.", sp+".Period", period)
	}
	st, err := fleet.ParseStat(stat)
	if err != nil {
		return q, cwInvalid("The value %s for parameter %s is not a valid statistic: %v", trunc(stat, 64), sp+".Stat", err)
	}
	if hasUnit && !cwStandardUnits[unit] {
		return q, cwInvalid("The value %s for parameter %s is not a valid unit.", trunc(unit, 64), sp+".Unit")
	}
	q.metric, q.key, q.stat, q.period, q.unit = mid, metricKey(mid), st, period, unit
	q.label = mid.Name
	if hasLabel {
		q.label = label
	}
	return q, nil
}

// gmdToken is a GetMetricData page position: query index and offset
// within its datapoints, bound to the request by a hash.
func gmdToken(hash uint64, q, off int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "gmd1:%d:%d:%016x", q, off, hash))
}

func parseGMDToken(tok string, hash uint64, nq int) (q, off int, e *apiError) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) > 96 {
		return 0, 0, cwBadToken("not a token issued by this service")
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 4 || parts[0] != "gmd1" {
		return 0, 0, cwBadToken("not a token issued by this service")
	}
	q, err1 := strconv.Atoi(parts[1])
	off, err2 := strconv.Atoi(parts[2])
	h, err3 := strconv.ParseUint(parts[3], 16, 64)
	if err1 != nil || err2 != nil || err3 != nil || q < 0 || q >= nq || off < 0 {
		return 0, 0, cwBadToken("not a token issued by this service")
	}
	if h != hash {
		return 0, 0, cwBadToken("the token belongs to a different request (queries, StartTime, EndTime and ScanBy must not change between pages)")
	}
	return q, off, nil
}

// cwResult is one MetricDataResult of a page.
type cwResult struct {
	q        *cwQuery
	dps      []fleet.Datapoint // ascending
	from, to int               // the page's slice of dps in scan order
	desc     bool
	status   string
	message  *[2]string // Code, Value
}

func (s *Server) cwGetMetricData(w http.ResponseWriter, c *call, t *cwTree, tree map[string]any) {
	req, e := parseGetMetricData(t, tree)
	if e != nil {
		s.fail(w, c, e)
		return
	}
	firstQ, firstOff := 0, 0
	if req.hasToken {
		if firstQ, firstOff, e = parseGMDToken(req.token, req.hash, len(req.queries)); e != nil {
			s.fail(w, c, e)
			return
		}
	}
	start := fleet.RoundStart(req.start, c.now)
	if !start.Before(req.end) {
		start = req.start
	}
	span := req.end.Unix() - start.Unix()
	var est int64
	for i := firstQ; i < len(req.queries); i++ {
		est += ceilDiv(max(span, 1), req.queries[i].period)
	}
	est = max(1, min(est-int64(firstOff), math.MaxInt32))
	if !s.lim.datapoints(c.account, c.region, int(est), c.now.Sub(start) <= cwRecentWindow, time.Now()) {
		s.fail(w, c, serviceError(svcCloudWatch, errThrottle, ""))
		return
	}
	budget := req.maxDP
	results := make([]cwResult, 0, min(len(req.queries)-firstQ, 64))
	next, last := "", len(req.queries)-1
	returned, work := 0, 0
	for i := firstQ; i < len(req.queries); i++ {
		q := &req.queries[i]
		if !q.returnData {
			continue
		}
		if work >= cwPageWork {
			// The page has looked at enough periods: a pathological
			// request (hundreds of one-minute queries over weeks of
			// idle metrics) continues on the next page.
			next, last = gmdToken(req.hash, i, 0), i-1
			break
		}
		res := cwResult{q: q, desc: !req.ascending, status: "Complete"}
		if q.accountID != "" && q.accountID != c.account {
			res.status = "Forbidden"
			res.message = &[2]string{"Forbidden", fmt.Sprintf("Account %s is not a source account of monitoring account %s: cross-account observability is not set up in the simulator.", q.accountID, c.account)}
			results = append(results, res)
			continue
		}
		var w int
		res.dps, w = s.cwSeries(c, q.metric, q.stat, start, req.end, q.period, q.unit)
		work += w
		off := 0
		if i == firstQ {
			off = min(firstOff, len(res.dps))
		}
		res.from, res.to = off, len(res.dps)
		if res.to > res.from && budget == 0 {
			// The page is full; queries without data still fit.
			next, last = gmdToken(req.hash, i, off), i-1
			break
		}
		if n := res.to - res.from; n > budget {
			res.to = res.from + budget
			res.status = "PartialData"
			next, last = gmdToken(req.hash, i, res.to), i
		}
		budget -= res.to - res.from
		returned += res.to - res.from
		results = append(results, res)
		if next != "" {
			break
		}
	}
	billed := 0
	if last >= firstQ {
		billed = billedMetrics(req.queries[firstQ : last+1])
	}
	cw := newCWWriter(c.proto, c.api, 256+returned*24)
	writeGMD(cw, results, next)
	s.succeed(c, func(k *Counters) {
		k.MetricsRequested += int64(billed)
		k.Datapoints += int64(returned)
	})
	writeCW(w, c.proto, c.api, c.reqID, cw)
}

func ceilDiv(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// billedMetrics counts GetMetricData's billed metrics: distinct metrics,
// each with up to five distinct statistics per billed metric.
func billedMetrics(qs []cwQuery) int {
	stats := map[string]map[string]bool{}
	for i := range qs {
		m := stats[qs[i].key]
		if m == nil {
			m = map[string]bool{}
			stats[qs[i].key] = m
		}
		m[qs[i].stat.Name] = true
	}
	n := 0
	for _, m := range stats {
		n += (len(m) + cwStatsPerBilledMet - 1) / cwStatsPerBilledMet
	}
	return n
}

// cwSeries answers one metric and statistic from the fleet with the
// periods it had to look at (the work). It clamps the window to where data
// can exist: CloudWatch keeps data of a period that is not a multiple of
// 60 s for 3 hours, of 60 s for 15 days, of 300 s for 63 days, of 3600 s
// for 455 days; nothing exists before the fleet's history or after now;
// a function's metrics are empty on days it was idle. Clamping keeps
// bucket boundaries, so the answer equals Region.Datapoints over the whole
// window.
func (s *Server) cwSeries(c *call, m fleet.MetricID, st fleet.Stat, start, end time.Time, period int64, unit string) ([]fleet.Datapoint, int) {
	r := c.fleetRegion
	if r == nil || period <= 0 {
		return nil, 0
	}
	if unit != "" && unit != cwUnitOf(m) {
		return nil, 0 // CloudWatch returns nothing for a unit the data was not published with
	}
	p := time.Duration(period) * time.Second
	var keep time.Duration
	switch {
	case period%60 != 0:
		keep = 3 * time.Hour
	case period%300 != 0:
		keep = 15 * 24 * time.Hour
	case period%3600 != 0:
		keep = 63 * 24 * time.Hour
	default:
		keep = 455 * 24 * time.Hour
	}
	earliest := c.now.Add(-keep)
	if history := s.fleet.Anchor.Add(-time.Duration(s.fleet.Days+1) * 24 * time.Hour); history.After(earliest) {
		earliest = history
	}
	// grid rounds t down (up) to a bucket boundary of the window.
	grid := func(t time.Time, up bool) time.Time {
		k := t.Sub(start) / p
		if up && start.Add(k*p).Before(t) {
			k++
		}
		return start.Add(k * p)
	}
	lo, hi := start, end
	if earliest.After(lo) {
		lo = grid(earliest, false)
	}
	if c.now.Before(hi) {
		if g := grid(c.now, true); g.Before(hi) {
			hi = g
		}
	}
	if !lo.Before(hi) {
		return nil, 0
	}
	fn := cwFunctionOf(r, m)
	if fn == nil {
		return r.Datapoints(m, st, lo, hi, p, c.now), int(ceilDiv(int64(hi.Sub(lo)/time.Second), period))
	}
	// Only the buckets overlapping the function's active days.
	var out []fleet.Datapoint
	work := 0
	var rs, re time.Time
	flush := func() {
		if rs.Before(re) {
			if dps := r.Datapoints(m, st, rs, re, p, c.now); out == nil {
				out = dps
			} else {
				out = append(out, dps...)
			}
			work += int(ceilDiv(int64(re.Sub(rs)/time.Second), period))
		}
	}
	fn.ActiveDays(lo, hi, func(d time.Time) bool {
		ds, de := d, d.Add(24*time.Hour)
		if ds.Before(lo) {
			ds = lo
		}
		if de.After(hi) {
			de = hi
		}
		bs, be := grid(ds, false), grid(de, true)
		if be.After(hi) {
			be = hi
		}
		if rs.Before(re) && !bs.After(re) {
			re = be // contiguous with the pending range
			return true
		}
		flush()
		rs, re = bs, be
		return true
	})
	flush()
	return out, work
}

// cwFunctionOf is the function whose metric m is, or nil (region-level
// or unknown metrics).
func cwFunctionOf(r *fleet.Region, m fleet.MetricID) *fleet.Function {
	if len(m.Dims) != 1 {
		return nil
	}
	d := m.Dims[0]
	switch {
	case m.Namespace == fleet.NSLambda && d.Name == "FunctionName", m.Namespace == fleet.NSInsights && d.Name == "function_name":
		if fn := r.Function(d.Value); fn != nil && fn.Name == d.Value {
			return fn
		}
	case m.Namespace == fleet.NSLogs && d.Name == "LogGroupName":
		return r.LogGroup(d.Value)
	}
	return nil
}

func writeGMD(cw cwWriter, results []cwResult, next string) {
	n := 2
	if next != "" {
		n++
	}
	cw.beginStruct(n)
	cw.field("MetricDataResults")
	cw.beginList(len(results))
	for i := range results {
		r := &results[i]
		cw.beginStruct(6)
		cw.field("Id")
		cw.str(r.q.id)
		cw.field("Label")
		cw.str(r.q.label)
		cw.field("Timestamps")
		cw.beginList(r.to - r.from)
		for k := r.from; k < r.to; k++ {
			cw.ts(r.at(k).Time)
		}
		cw.endList()
		cw.field("Values")
		cw.beginList(r.to - r.from)
		for k := r.from; k < r.to; k++ {
			cw.num(r.at(k).Value)
		}
		cw.endList()
		cw.field("StatusCode")
		cw.str(r.status)
		cw.field("Messages")
		if r.message == nil {
			cw.beginList(0)
		} else {
			cw.beginList(1)
			cw.beginStruct(2)
			cw.field("Code")
			cw.str(r.message[0])
			cw.field("Value")
			cw.str(r.message[1])
			cw.endStruct()
		}
		cw.endList()
		cw.endStruct()
	}
	cw.endList()
	if next != "" {
		cw.field("NextToken")
		cw.str(next)
	}
	cw.field("Messages")
	cw.beginList(0)
	cw.endList()
	cw.endStruct()
}

// at is the k-th datapoint in scan order.
func (r *cwResult) at(k int) *fleet.Datapoint {
	if r.desc {
		return &r.dps[len(r.dps)-1-k]
	}
	return &r.dps[k]
}

// --- GetMetricStatistics ---

var cwSimpleStats = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

type gmsRequest struct {
	metric     fleet.MetricID
	start, end time.Time
	period     int64
	stats      []string // simple statistics, in output order
	extended   []fleet.Stat
	unit       string
}

func parseGetMetricStatistics(t *cwTree, m map[string]any) (*gmsRequest, *apiError) {
	start, hasStart := t.timestamp(m, "StartTime", "")
	end, hasEnd := t.timestamp(m, "EndTime", "")
	period, hasPeriod := t.integer(m, "Period", "")
	sl, hasStats := t.list(m, "Statistics", "")
	xl, hasExt := t.list(m, "ExtendedStatistics", "")
	unit, hasUnit := t.str(m, "Unit", "")
	if t.err != nil {
		return nil, t.err
	}
	mid, e := cwMetricIn(t, m, "", true)
	if e != nil {
		return nil, e
	}
	switch {
	case !hasStart:
		return nil, missingParam("StartTime")
	case !hasEnd:
		return nil, missingParam("EndTime")
	case !hasPeriod:
		return nil, missingParam("Period")
	}
	req := &gmsRequest{metric: mid, start: start, end: end, period: period}
	if period < 1 {
		return nil, cwInvalid("The parameter Period must be greater than 0.")
	}
	if !validPeriod(period) {
		return nil, cwInvalid("The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60, got %d.", period)
	}
	if !start.Before(end) {
		return nil, cwInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	if len(sl) == 0 && len(xl) == 0 {
		if hasStats || hasExt {
			return nil, cwInvalid("The collections Statistics and ExtendedStatistics must not both be empty.")
		}
		return nil, cwCombination("At least one of the parameters Statistics and ExtendedStatistics must be specified.")
	}
	if len(sl) > cwMaxStatistics {
		return nil, cwInvalid("The collection Statistics must not have a size greater than %d.", cwMaxStatistics)
	}
	if len(xl) > cwMaxExtendedStats {
		return nil, cwInvalid("The collection ExtendedStatistics must not have a size greater than %d.", cwMaxExtendedStats)
	}
	want := map[string]bool{}
	for i, v := range sl {
		p := itemPath("Statistics", i)
		name, ok := v.(string)
		if !ok {
			t.typeErr(p, "a string", v)
			return nil, t.err
		}
		valid := false
		for _, s := range cwSimpleStats {
			valid = valid || s == name
		}
		if !valid {
			return nil, cwInvalid("The value %s for parameter %s is not valid (SampleCount, Average, Sum, Minimum or Maximum).", trunc(name, 64), p)
		}
		want[name] = true
	}
	for _, s := range cwSimpleStats {
		if want[s] {
			req.stats = append(req.stats, s)
		}
	}
	seenX := map[string]bool{}
	for i, v := range xl {
		p := itemPath("ExtendedStatistics", i)
		name, ok := v.(string)
		if !ok {
			t.typeErr(p, "a string", v)
			return nil, t.err
		}
		st, err := fleet.ParseStat(name)
		if err != nil || st.Kind != "p" {
			return nil, cwInvalid("The value %s for parameter %s is not a valid extended statistic: the simulator serves percentiles pNN.NN.", trunc(name, 64), p)
		}
		if !seenX[name] {
			seenX[name] = true
			req.extended = append(req.extended, st)
		}
	}
	if hasUnit {
		if !cwStandardUnits[unit] {
			return nil, cwInvalid("The value %s for parameter Unit is not a valid unit.", trunc(unit, 64))
		}
		req.unit = unit
	}
	return req, nil
}

type gmsRow struct {
	t      time.Time
	simple [5]float64
	ext    []float64
}

func (s *Server) cwGetMetricStatistics(w http.ResponseWriter, c *call, t *cwTree, tree map[string]any) {
	req, e := parseGetMetricStatistics(t, tree)
	if e != nil {
		s.fail(w, c, e)
		return
	}
	start := fleet.RoundStart(req.start, c.now)
	if !start.Before(req.end) {
		start = req.start
	}
	if n := ceilDiv(req.end.Unix()-start.Unix(), req.period); n > cwMaxGMSDatapoints {
		s.fail(w, c, cwCombination("You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n, cwMaxGMSDatapoints))
		return
	}
	unit := cwUnitOf(req.metric)
	var rows []gmsRow
	index := map[int64]int{}
	row := func(ts time.Time) *gmsRow {
		k := ts.UnixNano()
		if i, ok := index[k]; ok {
			return &rows[i]
		}
		index[k] = len(rows)
		rows = append(rows, gmsRow{t: ts, ext: make([]float64, len(req.extended))})
		return &rows[len(rows)-1]
	}
	for _, name := range req.stats {
		st, _ := fleet.ParseStat(name)
		si := 0
		for i, n := range cwSimpleStats {
			if n == name {
				si = i
			}
		}
		dps, _ := s.cwSeries(c, req.metric, st, start, req.end, req.period, req.unit)
		for _, dp := range dps {
			row(dp.Time).simple[si] = dp.Value
		}
	}
	for xi, st := range req.extended {
		dps, _ := s.cwSeries(c, req.metric, st, start, req.end, req.period, req.unit)
		for _, dp := range dps {
			row(dp.Time).ext[xi] = dp.Value
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].t.Before(rows[j].t) })

	cw := newCWWriter(c.proto, c.api, 256+len(rows)*64)
	cw.beginStruct(2)
	cw.field("Label")
	cw.str(req.metric.Name)
	cw.field("Datapoints")
	cw.beginList(len(rows))
	n := 2 + len(req.stats)
	if len(req.extended) > 0 {
		n++
	}
	for i := range rows {
		r := &rows[i]
		cw.beginStruct(n)
		cw.field("Timestamp")
		cw.ts(r.t)
		for si, name := range cwSimpleStats {
			for _, want := range req.stats {
				if want == name {
					cw.field(name)
					cw.num(r.simple[si])
				}
			}
		}
		cw.field("Unit")
		cw.str(unit)
		if len(req.extended) > 0 {
			cw.field("ExtendedStatistics")
			cw.beginMap(len(req.extended))
			for xi, st := range req.extended {
				cw.mapKey(st.Name)
				cw.num(r.ext[xi])
			}
			cw.endMap()
		}
		cw.endStruct()
	}
	cw.endList()
	cw.endStruct()
	s.succeed(c, func(k *Counters) { k.Datapoints += int64(len(rows)) })
	writeCW(w, c.proto, c.api, c.reqID, cw)
}

// --- ListMetrics ---

type dimFilter struct {
	name, value string
	hasValue    bool
}

type lmRequest struct {
	namespace, name string
	dims            []dimFilter
	recent          bool
	linked          bool
	owner           string
	token           string
	hasToken        bool
	hash            uint64
}

func parseListMetrics(t *cwTree, m map[string]any, c *call) (*lmRequest, *apiError) {
	ns, hasNS := t.str(m, "Namespace", "")
	name, hasName := t.str(m, "MetricName", "")
	dl, _ := t.list(m, "Dimensions", "")
	token, hasToken := t.str(m, "NextToken", "")
	ra, hasRA := t.str(m, "RecentlyActive", "")
	linked, _ := t.boolean(m, "IncludeLinkedAccounts", "")
	owner, hasOwner := t.str(m, "OwningAccount", "")
	if t.err != nil {
		return nil, t.err
	}
	req := &lmRequest{namespace: ns, name: name, linked: linked, owner: owner, token: token, hasToken: hasToken}
	if hasNS && (len(ns) < 1 || len(ns) > 255 || strings.HasPrefix(ns, ":")) {
		return nil, cwInvalid("The parameter Namespace must be 1 to 255 characters and must not start with a colon.")
	}
	if hasName && (len(name) < 1 || len(name) > 255) {
		return nil, cwInvalid("The parameter MetricName must be 1 to 255 characters.")
	}
	if hasRA {
		if ra != "PT3H" {
			return nil, cwInvalid("The value %s for parameter RecentlyActive is not valid (PT3H).", trunc(ra, 32))
		}
		req.recent = true
	}
	if hasOwner && (len(owner) < 1 || len(owner) > 255) {
		return nil, cwInvalid("The parameter OwningAccount must be 1 to 255 characters.")
	}
	if len(dl) > cwMaxDimFilters {
		return nil, cwInvalid("The collection Dimensions must not have a size greater than %d.", cwMaxDimFilters)
	}
	for i, item := range dl {
		dn, dv, hasDV, err := t.dimension(item, itemPath("Dimensions", i), false)
		if err != nil {
			return nil, err
		}
		req.dims = append(req.dims, dimFilter{dn, dv, hasDV})
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s/%s|%s|%t|%t|%s", c.account, c.region, ns, name, req.recent, linked, owner)
	for _, d := range req.dims {
		fmt.Fprintf(h, "|%s=%t:%s", d.name, d.hasValue, d.value)
	}
	req.hash = h.Sum64()
	return req, nil
}

func (f *lmRequest) match(m *fleet.MetricID) bool {
	if f.namespace != "" && m.Namespace != f.namespace {
		return false
	}
	if f.name != "" && m.Name != f.name {
		return false
	}
	for _, want := range f.dims {
		found := false
		for _, d := range m.Dims {
			if d.Name == want.name && (!want.hasValue || d.Value == want.value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func lmToken(hash uint64, p fleet.MetricPos) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "lm1:%d:%d:%016x", p.Function, p.Slot, hash))
}

func parseLMToken(tok string, hash uint64) (fleet.MetricPos, *apiError) {
	bad := cwInvalid("The parameter NextToken is not valid: not a token issued by this service for these filters.")
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) > 96 {
		return fleet.MetricPos{}, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 4 || parts[0] != "lm1" {
		return fleet.MetricPos{}, bad
	}
	fi, err1 := strconv.Atoi(parts[1])
	si, err2 := strconv.Atoi(parts[2])
	h, err3 := strconv.ParseUint(parts[3], 16, 64)
	if err1 != nil || err2 != nil || err3 != nil || fi < 0 || si < 0 || h != hash {
		return fleet.MetricPos{}, bad
	}
	return fleet.MetricPos{Function: fi, Slot: si}, nil
}

func (s *Server) cwListMetrics(w http.ResponseWriter, c *call, t *cwTree, tree map[string]any) {
	req, e := parseListMetrics(t, tree, c)
	if e != nil {
		s.fail(w, c, e)
		return
	}
	var from fleet.MetricPos
	if req.hasToken {
		if from, e = parseLMToken(req.token, req.hash); e != nil {
			s.fail(w, c, e)
			return
		}
	}
	window := cwListWindow
	if req.recent {
		window = cwRecentWindow
	}
	since := c.now.Add(-window)
	r := c.fleetRegion
	var page []fleet.MetricID
	next := ""
	known := req.namespace == "" || req.namespace == fleet.NSLambda || req.namespace == fleet.NSInsights || req.namespace == fleet.NSLogs
	if r != nil && known && (req.owner == "" || req.owner == c.account) {
		// A dimension filter naming a function or log group narrows the
		// enumeration to that function's metrics.
		only := -1
		for _, d := range req.dims {
			if !d.hasValue {
				continue
			}
			var fn *fleet.Function
			switch d.name {
			case "FunctionName", "function_name":
				if fn = r.Function(d.value); fn != nil && fn.Name != d.value {
					fn = nil
				}
			case "LogGroupName":
				fn = r.LogGroup(d.value)
			default:
				continue
			}
			if fn == nil {
				only = -2 // nothing matches
				break
			}
			if only >= 0 && only != fn.Index {
				only = -2
				break
			}
			only = fn.Index
		}
		if only >= 0 && from.Function < only {
			from = fleet.MetricPos{Function: only}
		}
		activeFn, active := -1, false
		regionActive := -1 // unknown
		if only != -2 {
			r.MetricsFrom(from, func(p fleet.MetricPos, m fleet.MetricID) bool {
				if only >= 0 && p.Function != only {
					return false
				}
				if !req.match(&m) {
					return true
				}
				if p.Function < len(r.Functions) {
					if p.Function != activeFn {
						activeFn, active = p.Function, r.Functions[p.Function].ActiveBetween(since, c.now)
					}
					if !active {
						return true
					}
				} else {
					if regionActive < 0 {
						regionActive = 0
						if r.ActiveBetween(since, c.now) {
							regionActive = 1
						}
					}
					if regionActive == 0 {
						return false
					}
				}
				if len(page) == cwListPage {
					next = lmToken(req.hash, p)
					return false
				}
				page = append(page, m)
				return true
			})
		}
	}
	n := 1
	if next != "" {
		n++
	}
	if req.linked {
		n++
	}
	cw := newCWWriter(c.proto, c.api, 256+len(page)*128)
	cw.beginStruct(n)
	cw.field("Metrics")
	cw.beginList(len(page))
	for i := range page {
		m := &page[i]
		cw.beginStruct(3)
		cw.field("Namespace")
		cw.str(m.Namespace)
		cw.field("MetricName")
		cw.str(m.Name)
		cw.field("Dimensions")
		cw.beginList(len(m.Dims))
		for _, d := range m.Dims {
			cw.beginStruct(2)
			cw.field("Name")
			cw.str(d.Name)
			cw.field("Value")
			cw.str(d.Value)
			cw.endStruct()
		}
		cw.endList()
		cw.endStruct()
	}
	cw.endList()
	if next != "" {
		cw.field("NextToken")
		cw.str(next)
	}
	if req.linked {
		// Every metric is the caller's own: no source accounts are linked.
		cw.field("OwningAccounts")
		cw.beginList(len(page))
		for range page {
			cw.str(c.account)
		}
		cw.endList()
	}
	cw.endStruct()
	s.succeed(c, nil)
	writeCW(w, c.proto, c.api, c.reqID, cw)
}

// dimension reads one {Name, Value} structure at path: Name is required,
// Value only when valueRequired (ListMetrics filters may omit it).
func (t *cwTree) dimension(item any, path string, valueRequired bool) (name, value string, hasValue bool, err *apiError) {
	dm, ok := item.(map[string]any)
	if !ok {
		t.typeErr(path, "a structure", item)
		return "", "", false, t.err
	}
	name, hasName := t.str(dm, "Name", path)
	value, hasValue = t.str(dm, "Value", path)
	switch {
	case t.err != nil:
		return "", "", false, t.err
	case !hasName:
		return "", "", false, missingParam(path + ".Name")
	case valueRequired && !hasValue:
		return "", "", false, missingParam(path + ".Value")
	case len(name) < 1 || len(name) > 255:
		return "", "", false, cwInvalid("The parameter %s must be 1 to 255 characters.", path+".Name")
	case hasValue && (len(value) < 1 || len(value) > 1024):
		return "", "", false, cwInvalid("The parameter %s must be 1 to 1024 characters.", path+".Value")
	}
	return name, value, hasValue, nil
}
