package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// Server is the simulated AWS account: one HTTP endpoint serving Lambda,
// CloudWatch, CloudWatch Logs, STS, the Resource Groups Tagging API, EC2
// DescribeRegions and Organizations ListAccounts for a fleet, under AWS's quotas, with latency, faults and accounting.
type Server struct {
	fleet   *fleet.Fleet
	clock   func() time.Time
	log     *slog.Logger
	quotas  Quotas
	latency Latency
	lim     *limiters
	faults  *faults
	acct    *accounting
	creds   *credStore
	queries *queryManager
	seed    uint64
	reqSeq  atomic.Uint64
	maxBody int64
	qtime   QueryTime
	// qclock is the clock Logs Insights queries run on; nil: real time,
	// with queries evaluated in the background.
	qclock func() time.Time
}

// Latency is the simulated service time of each call: Default, or the
// API's entry in PerAPI ("GetMetricData", "ListFunctions", …).
type Latency struct {
	Default time.Duration            `json:"default"`
	PerAPI  map[string]time.Duration `json:"perApi"`
}

// DefaultLatency is in the tens of milliseconds, like AWS from nearby.
func DefaultLatency() Latency {
	return Latency{Default: 20 * time.Millisecond, PerAPI: map[string]time.Duration{
		"GetMetricData":       40 * time.Millisecond,
		"GetMetricStatistics": 20 * time.Millisecond,
		"ListMetrics":         30 * time.Millisecond,
		"ListFunctions":       30 * time.Millisecond,
		"StartQuery":          30 * time.Millisecond,
		"GetQueryResults":     20 * time.Millisecond,
		"AssumeRole":          30 * time.Millisecond,
	}}
}

// For returns the latency of an API.
func (l Latency) For(api string) time.Duration {
	if d, ok := l.PerAPI[api]; ok {
		return d
	}
	return l.Default
}

// QueryTime is how long a Logs Insights query runs: Base plus PerGB for
// every 2^30 bytes scanned.
type QueryTime struct {
	Base  time.Duration `json:"base"`
	PerGB time.Duration `json:"perGb"`
}

// Option configures a Server.
type Option func(*Server) error

// WithClock sets the simulated clock (default time.Now). Data exists up to
// the clock's reading; quotas and latency use real time.
func WithClock(now func() time.Time) Option {
	return func(s *Server) error {
		if now == nil {
			return errors.New("sim: WithClock: nil clock")
		}
		s.clock = now
		return nil
	}
}

// WithQuotas replaces the default quotas.
func WithQuotas(q Quotas) Option {
	return func(s *Server) error {
		for name, v := range map[string]float64{"GetMetricData": q.GetMetricData, "LambdaControl": q.LambdaControl, "StartQuery": q.StartQuery, "STS": q.STS} {
			if v < 0 {
				return fmt.Errorf("sim: quota %s: must not be negative, got %v", name, v)
			}
		}
		if q.ConcurrentQueries < 0 {
			return fmt.Errorf("sim: quota ConcurrentQueries: must not be negative, got %d", q.ConcurrentQueries)
		}
		s.quotas = q
		return nil
	}
}

// WithLatency replaces the default latency.
func WithLatency(l Latency) Option {
	return func(s *Server) error {
		if l.Default < 0 {
			return fmt.Errorf("sim: latency: must not be negative, got %v", l.Default)
		}
		s.latency = l
		return nil
	}
}

// WithQueryTime sets how long Logs Insights queries run (default 300 ms
// plus 2 s per GB).
func WithQueryTime(q QueryTime) Option {
	return func(s *Server) error {
		if q.Base < 0 || q.PerGB < 0 {
			return errors.New("sim: query time must not be negative")
		}
		s.qtime = q
		return nil
	}
}

// WithQueryClock makes Logs Insights queries run on now instead of real
// time: a query is Scheduled, Running and then done by now's readings
// (QueryTime still says for how long), and it is evaluated before
// StartQuery answers, so its status depends on the clock alone. Paired
// with the same clock and a sleep that advances it in the scan's Logs
// Insights runner, the number of GetQueryResults polls no longer
// depends on how fast the machine is.
func WithQueryClock(now func() time.Time) Option {
	return func(s *Server) error {
		if now == nil {
			return errors.New("sim: WithQueryClock: nil clock")
		}
		s.qclock = now
		return nil
	}
}

// queryNow is the time Logs Insights queries run on.
func (s *Server) queryNow() time.Time {
	if s.qclock != nil {
		return s.qclock()
	}
	return time.Now()
}

// WithFaults injects faults.
func WithFaults(fs ...Fault) Option {
	return func(s *Server) error {
		for i := range fs {
			if err := fs[i].Validate(); err != nil {
				return err
			}
		}
		s.faults.set(fs)
		return nil
	}
}

// WithLogger sets the structured logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) error {
		s.log = l
		return nil
	}
}

// WithSeed seeds fault injection so runs are reproducible.
func WithSeed(seed uint64) Option {
	return func(s *Server) error {
		s.seed = seed
		s.faults = newFaults(seed, s.faults.list)
		return nil
	}
}

// New builds a server for a fleet.
func New(f *fleet.Fleet, opts ...Option) (*Server, error) {
	if f == nil || len(f.Accounts) == 0 {
		return nil, errors.New("sim: a fleet with at least one account is required")
	}
	s := &Server{
		fleet:   f,
		clock:   time.Now,
		log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		quotas:  DefaultQuotas(),
		latency: DefaultLatency(),
		faults:  newFaults(1, nil),
		acct:    newAccounting(),
		creds:   newCredStore(f.Accounts[0].ID),
		maxBody: 1 << 20,
		qtime:   QueryTime{Base: 300 * time.Millisecond, PerGB: 2 * time.Second},
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.lim = newLimiters(s.quotas)
	s.queries = newQueryManager(s)
	return s, nil
}

// Fleet returns the served fleet.
func (s *Server) Fleet() *fleet.Fleet { return s.fleet }

// Now is the simulated clock's reading.
func (s *Server) Now() time.Time { return s.clock() }

// Quotas returns the enforced quotas.
func (s *Server) Quotas() Quotas { return s.quotas }

// LatencyConfig returns the simulated latencies.
func (s *Server) LatencyConfig() Latency { return s.latency }

// Accounting returns a snapshot of the calls so far.
func (s *Server) Accounting() Snapshot { return s.acct.snapshot() }

// ResetAccounting clears the counters.
func (s *Server) ResetAccounting() { s.acct.reset() }

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(fs ...Fault) error {
	for i := range fs {
		if err := fs[i].Validate(); err != nil {
			return err
		}
	}
	s.faults.set(fs)
	return nil
}

// call is one request on its way through the gate.
type call struct {
	svc, api string
	proto    protocol
	account  string
	region   string
	who      *principal
	reqID    string
	now      time.Time
	// fleetAccount is the signer's account; fleetRegion may be nil: an
	// enabled region where the account has nothing.
	fleetAccount *fleet.Account
	fleetRegion  *fleet.Region
	verdict      verdict
	// targets are the functions and log groups the call names, for
	// faults that match one function or log group.
	targets []faultTarget
	errCode string
	status  int
}

// ServeHTTP routes a request to its service by the SigV4 scope.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveDebug(w, r)
		return
	}
	defer func() {
		if v := recover(); v != nil {
			// A bug must not take the endpoint down nor hang a client.
			s.log.Error("sim: handler panic", "panic", v, "path", r.URL.Path)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	scope, signed := parseAuth(r)
	svc := scope.Service
	if !signed {
		svc = guessService(r)
	}
	c := &call{svc: svc, proto: protocolOf(svc, r), reqID: s.requestID(), now: s.clock(), region: scope.Region}
	if !signed {
		s.fail(w, c, serviceError(svc, errMissingAuth, "Missing Authentication Token"))
		return
	}
	who := s.creds.lookup(scope.AccessKey)
	switch {
	case who == nil:
		s.fail(w, c, serviceError(svc, errUnrecognizedClient, "The security token included in the request is invalid."))
		return
	case !who.Expires.IsZero() && !c.now.Before(who.Expires):
		s.fail(w, c, serviceError(svc, errExpiredToken, "The security token included in the request is expired"))
		return
	}
	c.who, c.account = who, who.Account
	c.fleetAccount = s.fleet.Account(who.Account)
	c.fleetRegion = c.fleetAccount.Region(scope.Region)
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	switch svc {
	case svcLambda:
		s.serveLambda(w, r, c)
	case svcCloudWatch:
		s.serveCloudWatch(w, r, c)
	case svcLogs:
		s.serveLogs(w, r, c)
	case svcSTS:
		s.serveSTS(w, r, c)
	case svcTagging:
		s.serveTagging(w, r, c)
	case svcEC2:
		s.serveEC2(w, r, c)
	case svcOrganizations:
		s.serveOrganizations(w, r, c)
	case svcPricing:
		s.servePricing(w, r, c)
	default:
		c.svc = svcLambda
		s.fail(w, c, &apiError{Status: 400, Code: "UnknownServiceException", Message: fmt.Sprintf("the simulator does not serve %q", svc)})
	}
}

func protocolOf(svc string, r *http.Request) protocol {
	switch svc {
	case svcLambda:
		return protoRestJSON
	case svcLogs, svcTagging, svcOrganizations, svcPricing:
		return protoJSON11
	case svcEC2:
		return protoEC2
	case svcCloudWatch:
		switch {
		case r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor" || strings.HasPrefix(r.URL.Path, "/service/"):
			return protoCBOR
		case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "GraniteServiceVersion20100801."):
			return protoJSON10
		}
	}
	return protoQuery
}

func (s *Server) requestID() string {
	n := s.reqSeq.Add(1)
	return fmt.Sprintf("%08x-5151-4000-8000-%012x", uint32(s.seed), n)
}

// admit runs a parsed call through the account's gate: disabled region,
// access denied, latency, quota, injected throttles and server errors.
// A nil return admits the call.
func (s *Server) admit(ctx context.Context, c *call) *apiError {
	c.verdict = s.faults.judge(c.svc, c.api, c.account, c.region, c.targets)
	if !global(c.svc) && (c.verdict.disabled || (c.fleetRegion != nil && c.fleetRegion.Disabled)) {
		return serviceError(c.svc, errUnrecognizedClient, "The security token included in the request is invalid.")
	}
	if c.verdict.denied {
		on := ""
		switch t := c.verdict.deniedOn; {
		case c.svc == svcLogs && t.logGroup != "":
			on = fmt.Sprintf(" on resource: arn:aws:logs:%s:%s:log-group:%s:*", c.region, c.account, t.logGroup)
		case t.function != "":
			on = fmt.Sprintf(" on resource: arn:aws:%s:%s:%s:function:%s", iamPrefix(c.svc), c.region, c.account, t.function)
		}
		return serviceError(c.svc, errAccessDenied, fmt.Sprintf("User: %s is not authorized to perform: %s:%s%s because no identity-based policy allows the %s:%s action", c.who.ARN, iamPrefix(c.svc), c.api, on, iamPrefix(c.svc), c.api))
	}
	if d := time.Duration(float64(s.latency.For(c.api)) * c.verdict.latency); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return serviceError(c.svc, errInternal, "")
		case <-t.C:
		}
	}
	if !s.lim.allow(c.account, c.region, c.svc, c.api, time.Now()) {
		return serviceError(c.svc, errThrottle, "")
	}
	if c.verdict.throttle {
		s.acct.update(c.key(), func(k *Counters) { k.InjectedThrottles++ })
		return serviceError(c.svc, errThrottle, "")
	}
	if c.verdict.fail500 {
		return serviceError(c.svc, errInternal, "")
	}
	if c.verdict.fail503 {
		return serviceError(c.svc, errUnavailable, "")
	}
	return nil
}

// global reports whether a service answers the same in every region (STS,
// Organizations and the Price List), so a region that is not enabled does
// not refuse it.
func global(svc string) bool { return svc == svcSTS || svc == svcOrganizations || svc == svcPricing }

func iamPrefix(svc string) string {
	if svc == svcCloudWatch {
		return "cloudwatch"
	}
	return svc
}

func (c *call) key() CallKey {
	api := c.api
	if api == "" {
		api = "(unknown)"
	}
	return CallKey{Account: c.account, Region: c.region, Service: c.svc, API: api}
}

// fail writes an error and accounts for it.
func (s *Server) fail(w http.ResponseWriter, c *call, e *apiError) {
	c.errCode, c.status = e.Code, e.Status
	s.acct.update(c.key(), func(k *Counters) {
		k.Calls++
		switch {
		case isThrottle(e.Code):
			k.Throttled++
		case e.Status >= 500:
			k.ServerErrors++
		default:
			k.ClientErrors++
		}
	})
	s.log.Debug("sim: error", "service", c.svc, "api", c.api, "account", c.account, "region", c.region, "code", e.Code, "status", e.Status)
	writeError(w, c.proto, c.svc, c.reqID, e)
}

// succeed accounts for a successful call; extra adds API-specific counts.
func (s *Server) succeed(c *call, extra func(*Counters)) {
	c.status = 200
	s.acct.update(c.key(), func(k *Counters) {
		k.Calls++
		k.OK++
		if extra != nil {
			extra(k)
		}
	})
}

func isThrottle(code string) bool {
	switch code {
	case "Throttling", "ThrottlingException", "TooManyRequestsException", "ThrottledException", "RequestLimitExceeded":
		return true
	}
	return false
}

// serveDebug serves /_sim/: accounting, faults, truth and health.
func (s *Server) serveDebug(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	switch {
	case r.URL.Path == "/_sim/health":
		enc.Encode(map[string]any{"ok": true, "functions": s.fleet.NumFunctions(), "now": s.clock().UTC()})
	case r.URL.Path == "/_sim/accounting" && r.Method == http.MethodGet:
		enc.Encode(s.Accounting())
	case r.URL.Path == "/_sim/accounting/reset" && r.Method == http.MethodPost:
		s.ResetAccounting()
		enc.Encode(map[string]bool{"ok": true})
	case r.URL.Path == "/_sim/faults" && r.Method == http.MethodGet:
		s.faults.mu.Lock()
		list := append([]Fault{}, s.faults.list...)
		s.faults.mu.Unlock()
		enc.Encode(list)
	case r.URL.Path == "/_sim/faults" && r.Method == http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			enc.Encode(map[string]string{"error": "faults: " + err.Error()})
			return
		}
		fs, err := ParseFaultsJSON(body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			enc.Encode(map[string]string{"error": err.Error()})
			return
		}
		if err := s.SetFaults(fs...); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			enc.Encode(map[string]string{"error": err.Error()})
			return
		}
		enc.Encode(fs)
	default:
		w.WriteHeader(http.StatusNotFound)
		enc.Encode(map[string]string{"error": "unknown debug endpoint " + r.URL.Path + " (health, accounting, accounting/reset, faults)"})
	}
}

// Running is a started server.
type Running struct {
	// URL is the endpoint, e.g. http://127.0.0.1:4566.
	URL string
	srv *http.Server
	ln  net.Listener
	err chan error
}

// Close stops the server: it lets requests in flight finish for up to
// half a second, then closes every connection. (Shutdown alone waits 5 s
// for a connection a client opened but never used.)
func (r *Running) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		return r.srv.Close()
	}
	return nil
}

// Start listens on addr (default "127.0.0.1:0", loopback) and serves in
// the background.
func (s *Server) Start(addr string) (*Running, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	run := &Running{URL: "http://" + ln.Addr().String(), srv: srv, ln: ln, err: make(chan error, 1)}
	go func() { run.err <- srv.Serve(ln) }()
	return run, nil
}
