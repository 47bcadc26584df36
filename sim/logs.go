package sim

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/logsql"
)

// Logs Insights limits (AWS-FACTS.md; cloudwatchlogs v1.92 docs): a
// StartQuery limit of up to 100,000 rows (default 10,000, as before the
// raise), returned by GetQueryResults in pages of at most 10,000 with a
// nextToken.
const (
	maxQueryGroups     = 50
	maxQueryLimit      = 100000
	defaultQueryLimit  = 10000
	maxResultsPageSize = 10000
	queryRetention     = 15 * time.Minute // results kept after completion
	describePageSize   = 50
)

// Query statuses.
const (
	qScheduled = "Scheduled"
	qRunning   = "Running"
	qComplete  = "Complete"
	qFailed    = "Failed"
	qCancelled = "Cancelled"
	qTimeout   = "Timeout"
)

// query is one Logs Insights query.
type query struct {
	id              string
	account, region string
	started         time.Time // on the query clock (real time by default)
	runFor          time.Duration
	fail, timeout   bool
	bytes           int64

	mu       sync.Mutex
	done     bool // evaluation finished
	stopped  bool
	result   *logsql.Result
	err      error
	finished time.Time // query-clock time the query left the running set
	counted  bool
}

// queryManager runs queries and enforces the concurrent-query limit.
type queryManager struct {
	s       *Server
	mu      sync.Mutex
	queries map[string]*query
	seq     int
	sem     chan struct{} // bounds evaluation CPU
}

func newQueryManager(s *Server) *queryManager {
	return &queryManager{s: s, queries: map[string]*query{}, sem: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
}

// status derives a query's status from the query clock and its evaluation.
func (q *query) status(now time.Time) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.stopped:
		return qCancelled
	case now.Sub(q.started) < q.runFor/5:
		return qScheduled
	case now.Sub(q.started) < q.runFor || !q.done:
		return qRunning
	case q.timeout:
		return qTimeout
	case q.fail || q.err != nil:
		return qFailed
	}
	return qComplete
}

// running counts the account-region's queries still holding a slot, and
// forgets old ones.
func (m *queryManager) running(account, region string, now time.Time) int {
	n := 0
	for id, q := range m.queries {
		st := q.status(now)
		active := st == qScheduled || st == qRunning
		if !active {
			q.mu.Lock()
			if q.finished.IsZero() {
				q.finished = now
			}
			old := now.Sub(q.finished) > queryRetention
			q.mu.Unlock()
			if old {
				delete(m.queries, id)
			}
			continue
		}
		if q.account == account && q.region == region {
			n++
		}
	}
	return n
}

// logsRequest is the union of the Logs request members the simulator reads.
type logsRequest struct {
	LogGroupName        *string  `json:"logGroupName"`
	LogGroupNames       []string `json:"logGroupNames"`
	LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	QueryString         *string  `json:"queryString"`
	QueryLanguage       *string  `json:"queryLanguage"`
	Limit               *int32   `json:"limit"`
	QueryID             *string  `json:"queryId"`
	LogGroupNamePrefix  *string  `json:"logGroupNamePrefix"`
	LogGroupNamePattern *string  `json:"logGroupNamePattern"`
	NextToken           *string  `json:"nextToken"`
	MaxItems            *int32   `json:"maxItems"`
	LogGroupClass       *string  `json:"logGroupClass"`
}

func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request, c *call) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "Logs_20140328.")
	if r.Method != http.MethodPost || !ok {
		s.fail(w, c, serviceError(c.svc, errUnknownOperation, "missing or unknown X-Amz-Target "+strconv.Quote(target)))
		return
	}
	c.api = op
	switch op {
	case "StartQuery", "GetQueryResults", "StopQuery", "DescribeLogGroups":
	default:
		s.fail(w, c, serviceError(c.svc, errUnknownOperation, "the simulator does not serve Logs "+op))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, c, &apiError{Status: 413, Code: "RequestEntityTooLargeException", Message: "request body too large"})
			return
		}
		s.fail(w, c, &apiError{Status: 400, Code: "SerializationException", Message: "cannot read the request body"})
		return
	}
	var req logsRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if len(body) == 0 {
		dec = json.NewDecoder(strings.NewReader("{}"))
	}
	if err := dec.Decode(&req); err != nil {
		s.fail(w, c, &apiError{Status: 400, Code: "SerializationException", Message: "cannot parse the JSON request: " + err.Error()})
		return
	}
	if op == "StartQuery" {
		c.targets = queryTargets(c, &req)
	}
	if e := s.admit(r.Context(), c); e != nil {
		s.fail(w, c, e)
		return
	}
	var out any
	var e *apiError
	switch op {
	case "StartQuery":
		out, e = s.startQuery(c, &req)
	case "GetQueryResults":
		out, e = s.getQueryResults(c, &req)
	case "StopQuery":
		out, e = s.stopQuery(c, &req)
	case "DescribeLogGroups":
		out, e = s.describeLogGroups(c, &req)
	}
	if e != nil {
		s.fail(w, c, e)
		return
	}
	s.succeed(c, nil)
	writeJSON(w, c, "application/x-amz-json-1.1", out)
}

// queryTargets are the log groups a StartQuery names and their functions.
func queryTargets(c *call, req *logsRequest) []faultTarget {
	var names []string
	if req.LogGroupName != nil {
		names = append(names, *req.LogGroupName)
	}
	names = append(names, req.LogGroupNames...)
	for _, g := range req.LogGroupIdentifiers {
		names = append(names, groupName(g))
	}
	out := make([]faultTarget, 0, len(names))
	for _, g := range names {
		t := faultTarget{logGroup: g}
		if fn := c.fleetRegion.LogGroup(g); fn != nil {
			t.function = fn.Name
		}
		out = append(out, t)
	}
	return out
}

func logsInvalid(msg string) *apiError {
	return &apiError{Status: 400, Code: "InvalidParameterException", Message: msg}
}

// groupName accepts a log group name or ARN ("arn:aws:logs:r:a:log-group:name[:*]").
func groupName(id string) string {
	if rest, ok := strings.CutPrefix(id, "arn:"); ok {
		if i := strings.Index(rest, ":log-group:"); i >= 0 {
			return strings.TrimSuffix(rest[i+len(":log-group:"):], ":*")
		}
	}
	return id
}

func (s *Server) startQuery(c *call, req *logsRequest) (any, *apiError) {
	var groups []string
	set := 0
	if req.LogGroupName != nil {
		groups = append(groups, *req.LogGroupName)
		set++
	}
	if req.LogGroupNames != nil {
		groups = append(groups, req.LogGroupNames...)
		set++
	}
	if req.LogGroupIdentifiers != nil {
		for _, g := range req.LogGroupIdentifiers {
			groups = append(groups, groupName(g))
		}
		set++
	}
	switch {
	case req.QueryString == nil || *req.QueryString == "":
		return nil, logsInvalid("1 validation error detected: Value null at 'queryString' failed to satisfy constraint: Member must not be null")
	case req.StartTime == nil || req.EndTime == nil:
		return nil, logsInvalid("startTime and endTime are required")
	case set == 0:
		return nil, logsInvalid("Log group names or identifiers must be specified (the simulator does not evaluate SOURCE)")
	case set > 1:
		return nil, logsInvalid("Only one of logGroupName, logGroupNames or logGroupIdentifiers may be specified")
	case len(groups) > maxQueryGroups:
		return nil, logsInvalid(fmt.Sprintf("1 validation error detected: Value at 'logGroupNames' failed to satisfy constraint: Member must have length less than or equal to %d", maxQueryGroups))
	case *req.EndTime < *req.StartTime:
		return nil, logsInvalid("End time should not be before the start time")
	case *req.StartTime < 0:
		return nil, logsInvalid("startTime must not be negative")
	}
	if req.QueryLanguage != nil && *req.QueryLanguage != "CWLI" {
		return nil, logsInvalid("the simulator evaluates queryLanguage CWLI only, got " + *req.QueryLanguage)
	}
	limit := defaultQueryLimit
	if req.Limit != nil {
		if *req.Limit < 1 || *req.Limit > maxQueryLimit {
			return nil, logsInvalid(fmt.Sprintf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to %d", *req.Limit, maxQueryLimit))
		}
		limit = int(*req.Limit)
	}
	q, err := logsql.Parse(*req.QueryString)
	if err != nil {
		return nil, &apiError{Status: 400, Code: "MalformedQueryException", Message: err.Error()}
	}
	fns := make([]*fleet.Function, 0, len(groups))
	seen := map[string]bool{}
	for _, g := range groups {
		fn := c.fleetRegion.LogGroup(g)
		if fn == nil {
			return nil, &apiError{Status: 400, Code: "ResourceNotFoundException", Message: fmt.Sprintf("Log group '%s' does not exist for account ID '%s'", g, c.account)}
		}
		if fn.LogGroupClass == fleet.ClassDelivery {
			// The shape AWS answers with is unconfirmed (no public source
			// quotes it): InvalidParameterException naming the group.
			return nil, logsInvalid(fmt.Sprintf("Log group '%s' is in the DELIVERY log class, which does not support Logs Insights queries", g))
		}
		if !seen[g] {
			seen[g] = true
			fns = append(fns, fn)
		}
	}
	start := time.Unix(*req.StartTime, 0).UTC()
	end := time.Unix(*req.EndTime, 0).UTC().Add(time.Second) // endTime is inclusive
	m := s.queries
	m.mu.Lock()
	qnow := s.queryNow()
	if n := m.running(c.account, c.region, qnow); s.quotas.ConcurrentQueries > 0 && n >= s.quotas.ConcurrentQueries {
		m.mu.Unlock()
		return nil, &apiError{Status: 400, Code: "LimitExceededException", Message: fmt.Sprintf("Account maximum query concurrency limit of [%d] reached.", s.quotas.ConcurrentQueries)}
	}
	m.seq++
	id := fmt.Sprintf("%08x-%04x-4000-8000-%012x", uint32(s.seed), m.seq%0xffff, m.seq)
	var bytes int64
	for _, fn := range fns {
		bytes += groupBytes(fn, start, end, c.now)
	}
	qq := &query{id: id, account: c.account, region: c.region, started: qnow, bytes: bytes,
		runFor:  s.qtime.Base + time.Duration(float64(s.qtime.PerGB)*float64(bytes)/(1<<30)),
		fail:    c.verdict.queryFail,
		timeout: c.verdict.queryTimeout,
	}
	m.queries[id] = qq
	n := m.running(c.account, c.region, qnow)
	m.mu.Unlock()
	s.acct.peak(c.account, c.region, n)
	if s.qclock != nil {
		m.evaluate(qq, q, fns, start, end, c.now, limit)
	} else {
		go m.evaluate(qq, q, fns, start, end, c.now, limit)
	}
	return map[string]string{"queryId": id}, nil
}

// groupBytes is what a query over the range scans in one log group.
func groupBytes(fn *fleet.Function, start, end, now time.Time) int64 {
	b, _ := fn.LogBytes(start, end, now)
	return b
}

// evaluate runs the query over the groups' weighted events.
func (m *queryManager) evaluate(qq *query, q *logsql.Query, fns []*fleet.Function, start, end, now time.Time, limit int) {
	m.sem <- struct{}{}
	defer func() { <-m.sem }()
	res := 24 * time.Hour
	if b := q.MinBin(); b > 0 && b < res {
		res = time.Hour
		if b < time.Hour {
			res = time.Minute
		}
	}
	if !q.HasStats() {
		res = time.Minute // rows carry real timestamps
	}
	startMs, endMs := start.UnixMilli(), end.UnixMilli()
	records := func(yield func(logsql.Record) bool) {
		for _, fn := range fns {
			stop := false
			fn.Events(start, end, now, res, func(e *fleet.LogEvent) bool {
				if e.TimeMs < startMs || e.TimeMs >= endMs {
					return true
				}
				if !yield(logRecord{e}) {
					stop = true
					return false
				}
				return true
			})
			if stop {
				return
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := q.Run(ctx, records, limit)
	qq.mu.Lock()
	qq.result, qq.err, qq.done = out, err, true
	qq.mu.Unlock()
	if err != nil {
		m.s.log.Warn("sim: logs query failed", "query", qq.id, "err", err)
	}
}

// logRecord adapts a fleet log event to the query evaluator.
type logRecord struct{ e *fleet.LogEvent }

func (r logRecord) Field(name string) (logsql.Value, bool) {
	num, str, isNum, ok := r.e.Field(name)
	switch {
	case !ok:
		return logsql.Value{}, false
	case isNum:
		return logsql.Num(num), true
	}
	return logsql.Str(str), true
}

func (r logRecord) Weight() int64    { return r.e.W }
func (r logRecord) Timestamp() int64 { return r.e.TimeMs }

func (s *Server) lookupQuery(c *call, req *logsRequest) (*query, *apiError) {
	if req.QueryID == nil || *req.QueryID == "" {
		return nil, logsInvalid("1 validation error detected: Value null at 'queryId' failed to satisfy constraint: Member must not be null")
	}
	s.queries.mu.Lock()
	q := s.queries.queries[*req.QueryID]
	s.queries.mu.Unlock()
	if q == nil || q.account != c.account || q.region != c.region {
		return nil, &apiError{Status: 400, Code: "ResourceNotFoundException", Message: "Query does not exist: " + *req.QueryID}
	}
	return q, nil
}

type resultField struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

func (s *Server) getQueryResults(c *call, req *logsRequest) (any, *apiError) {
	q, e := s.lookupQuery(c, req)
	if e != nil {
		return nil, e
	}
	page := maxResultsPageSize
	if req.MaxItems != nil {
		if *req.MaxItems < 1 || *req.MaxItems > maxResultsPageSize {
			return nil, logsInvalid(fmt.Sprintf("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and %d", *req.MaxItems, maxResultsPageSize))
		}
		page = int(*req.MaxItems)
	}
	from := 0
	if req.NextToken != nil {
		n, ok := decodeResultsToken(q.id, *req.NextToken)
		if !ok {
			return nil, logsInvalid("The specified nextToken is invalid.")
		}
		from = n
	}
	st := q.status(s.queryNow())
	rows := [][]resultField{}
	stats := map[string]float64{"recordsMatched": 0, "recordsScanned": 0, "bytesScanned": 0}
	out := map[string]any{}
	if st == qComplete {
		q.mu.Lock()
		res := q.result
		first := !q.counted
		q.counted = true
		q.mu.Unlock()
		if from > len(res.Rows) {
			return nil, logsInvalid("The specified nextToken is invalid.")
		}
		to := min(len(res.Rows), from+page)
		if to < len(res.Rows) {
			out["nextToken"] = encodeResultsToken(q.id, to)
		}
		for _, row := range res.Rows[from:to] {
			fields := make([]resultField, len(row))
			for i, f := range row {
				fields[i] = resultField{f.Field, f.Value}
			}
			rows = append(rows, fields)
		}
		stats = map[string]float64{"recordsMatched": res.RecordsMatched, "recordsScanned": res.RecordsScanned, "bytesScanned": float64(q.bytes)}
		if first {
			s.acct.update(CallKey{c.account, c.region, svcLogs, "StartQuery"}, func(k *Counters) {
				k.QueriesStarted++
				k.BytesScanned += q.bytes
				k.RecordsScanned += int64(res.RecordsScanned)
			})
		}
	}
	out["results"], out["statistics"], out["status"] = rows, stats, st
	return out, nil
}

// encodeResultsToken is GetQueryResults' nextToken: the query and the
// first row of the next page.
func encodeResultsToken(id string, from int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("gqr:" + id + ":" + strconv.Itoa(from)))
}

// decodeResultsToken reads a nextToken of query id.
func decodeResultsToken(id, tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), "gqr:"+id+":")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n > 0
}

func (s *Server) stopQuery(c *call, req *logsRequest) (any, *apiError) {
	q, e := s.lookupQuery(c, req)
	if e != nil {
		return nil, e
	}
	st := q.status(s.queryNow())
	if st != qScheduled && st != qRunning {
		return nil, logsInvalid("Query " + q.id + " is not running: " + st)
	}
	q.mu.Lock()
	q.stopped = true
	q.mu.Unlock()
	return map[string]bool{"success": true}, nil
}

func (s *Server) describeLogGroups(c *call, req *logsRequest) (any, *apiError) {
	limit := describePageSize
	if req.Limit != nil {
		if *req.Limit < 1 || *req.Limit > describePageSize {
			return nil, logsInvalid(fmt.Sprintf("limit must be between 1 and %d", describePageSize))
		}
		limit = int(*req.Limit)
	}
	if req.LogGroupNamePrefix != nil && req.LogGroupNamePattern != nil {
		return nil, logsInvalid("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive")
	}
	class := ""
	if req.LogGroupClass != nil {
		switch class = *req.LogGroupClass; class {
		case fleet.ClassStandard, fleet.ClassInfrequentAccess, fleet.ClassDelivery, "ESSENTIALS":
		default:
			return nil, logsInvalid(fmt.Sprintf("1 validation error detected: Value '%s' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY, ESSENTIALS]", class))
		}
	}
	var names []string
	if c.fleetRegion != nil {
		names = c.fleetRegion.LogGroupNames()
	}
	if p := req.LogGroupNamePrefix; p != nil {
		i := sort.SearchStrings(names, *p)
		j := i
		for j < len(names) && strings.HasPrefix(names[j], *p) {
			j++
		}
		names = names[i:j]
	}
	if p := req.LogGroupNamePattern; p != nil {
		var keep []string
		for _, n := range names {
			if strings.Contains(strings.ToLower(n), strings.ToLower(*p)) {
				keep = append(keep, n)
			}
		}
		names = keep
	}
	if class != "" {
		// INFREQUENT_ACCESS and ESSENTIALS select both classes (SDK docs).
		infrequent := class == fleet.ClassInfrequentAccess || class == "ESSENTIALS"
		var keep []string
		for _, n := range names {
			gc := c.fleetRegion.LogGroup(n).LogGroupClass
			if gc == class || (infrequent && gc == fleet.ClassInfrequentAccess) {
				keep = append(keep, n)
			}
		}
		names = keep
	}
	from := 0
	if req.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*req.NextToken)
		name, ok := strings.CutPrefix(string(b), "dlg:")
		if err != nil || !ok {
			return nil, logsInvalid("The specified nextToken is invalid.")
		}
		from = sort.SearchStrings(names, name)
	}
	type group struct {
		Name          string `json:"logGroupName"`
		CreationTime  int64  `json:"creationTime"`
		Retention     *int   `json:"retentionInDays,omitempty"`
		MetricFilters int    `json:"metricFilterCount"`
		ARN           string `json:"arn"`
		LogGroupARN   string `json:"logGroupArn"`
		StoredBytes   int64  `json:"storedBytes"`
		Class         string `json:"logGroupClass"`
	}
	out := map[string]any{}
	groups := []group{}
	for i := from; i < len(names) && len(groups) < limit; i++ {
		fn := c.fleetRegion.LogGroup(names[i])
		arn := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", c.region, c.account, names[i])
		stored, _ := fn.LogBytes(fn.Created(), c.now, c.now)
		groups = append(groups, group{Name: names[i], CreationTime: fn.Created().UnixMilli(), ARN: arn + ":*", LogGroupARN: arn, StoredBytes: stored, Class: cmp.Or(fn.LogGroupClass, fleet.ClassStandard)})
		if len(groups) == limit && i+1 < len(names) {
			out["nextToken"] = base64.RawURLEncoding.EncodeToString([]byte("dlg:" + names[i+1]))
		}
	}
	out["logGroups"] = groups
	return out, nil
}
