package opsgenie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify"
	"github.com/lambdaudit/lambdaudit/notify/digest"
	"github.com/lambdaudit/lambdaudit/store"
)

// NewRequest builds the HTTP request for r — purely: it sends
// nothing. baseURL is one of US, EU, JSM or another
// base; apiKey goes in the Authorization header only.
func NewRequest(ctx context.Context, baseURL, apiKey string, r AlertRequest) (*http.Request, error) {
	body, err := r.Body()
	if err != nil {
		return nil, err
	}
	if baseURL == "" {
		baseURL = US
	}
	u := strings.TrimRight(baseURL, "/") + r.Path()
	req, err := http.NewRequestWithContext(ctx, r.Method(), u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("opsgenie: %s %q: %w", r.Action, r.Alias, err)
	}
	req.Header.Set("Authorization", "GenieKey "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "lambdaudit")
	return req, nil
}

// Retry is how Client.Send retries a request that was rate
// limited (429) or failed on Opsgenie's side (5xx) or on the way (a
// network error). Creates and closes are safe to repeat: a create
// deduplicates by alias, a close of a closed alert does nothing.
type Retry struct {
	// Attempts is how many times a request is tried (default 5).
	Attempts int
	// Base is the first back-off (default 1 s), doubled on each retry up
	// to Max (default 30 s). A Retry-After header (seconds or an HTTP date)
	// wins over the back-off.
	Base, Max time.Duration
	// MaxWait is the longest wait the sender accepts; a longer Retry-After
	// fails the request at once (default 2 min).
	MaxWait time.Duration
	// MaxElapsed bounds one request's retries in time: a wait that would
	// end later than this after its first attempt fails it instead
	// (default 5 min).
	MaxElapsed time.Duration
	// Sleep waits d or until ctx ends (default: a timer); tests record.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p Retry) withDefaults() Retry {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.Base <= 0 {
		p.Base = time.Second
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	if p.MaxWait <= 0 {
		p.MaxWait = 2 * time.Minute
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 5 * time.Minute
	}
	if p.Sleep == nil {
		p.Sleep = notify.Sleep
	}
	return p
}

// Client sends alert requests to the Alert API with net/http.
type Client struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger
	retry  Retry
}

// New validates cfg and returns a sender using client (nil:
// a client whose attempts time out after notify.DefaultAttemptTimeout), logging
// to log (nil: discarded) and retrying per retry (zero: the defaults).
func New(cfg Config, client *http.Client, log *slog.Logger, retry Retry) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{Timeout: notify.DefaultAttemptTimeout}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, client: client, log: log, retry: retry.withDefaults()}, nil
}

// AlertResult is the outcome of one request.
type AlertResult struct {
	Action AlertAction `json:"action"`
	Alias  string      `json:"alias"`
	// Status is the last HTTP status (0: no answer); Attempts how many
	// times it was tried (0: not sent).
	Status   int `json:"status"`
	Attempts int `json:"attempts"`
	// RequestID is Opsgenie's id of an accepted request (202: processed
	// asynchronously; GET /v2/alerts/requests/{id} tells the outcome).
	RequestID string `json:"requestId,omitempty"`
	// Err is why it failed; nil when accepted.
	Err error `json:"-"`
}

func (r AlertResult) ok() bool { return r.Err == nil && r.Attempts > 0 }

// ambiguous: sent, and Opsgenie may have processed it (no answer, or a
// 5xx).
func (r AlertResult) ambiguous() bool {
	return r.Err != nil && r.Attempts > 0 && (r.Status == 0 || r.Status >= 500)
}

// MarshalJSON writes Err as text.
func (r AlertResult) MarshalJSON() ([]byte, error) {
	type plain AlertResult
	v := struct {
		plain
		Error string `json:"error,omitempty"`
	}{plain: plain(r)}
	if r.Err != nil {
		v.Error = r.Err.Error()
	}
	return json.Marshal(v)
}

// ErrRequest is wrapped by the errors of requests Opsgenie refused or
// that failed after their retries.
var ErrRequest = errors.New("opsgenie")

// ErrKeyRefused is wrapped (with ErrRequest) when Opsgenie
// answered 401 or 403: the key is wrong or its integration may not do
// this, so every other request would be refused the same way and none is
// sent.
var ErrKeyRefused = errors.New("API key refused")

// ErrOlderReport is wrapped (with ErrRequest) when Run is given
// a report older than the one the stored open-alert set was written for:
// sending it would close alerts of problems still open. OPSGENIE_FORCE
// (Config.Force) sends it anyway.
var ErrOlderReport = errors.New("report older than the stored open-alert set")

// ErrNoAnswer is wrapped (with ErrRequest) when a request got
// no answer after its retries (a timeout, a connection refused or reset,
// the delivery deadline): the next request would wait the same way, so
// none is sent.
var ErrNoAnswer = errors.New("no answer")

// ogNoAnswerError is the request that got no answer: the endpoint, how
// long it was tried and the last error.
type ogNoAnswerError struct {
	url      string
	within   time.Duration
	attempts int
	err      error
}

func (e *ogNoAnswerError) Error() string {
	return fmt.Sprintf("opsgenie at %s: no answer within %s (%s; the last error: %v)",
		e.url, e.within.Round(100*time.Millisecond), digest.Plural(e.attempts, "attempt", "attempts"), e.err)
}

func (e *ogNoAnswerError) Is(target error) bool {
	return target == ErrRequest || target == ErrNoAnswer
}

func (e *ogNoAnswerError) Unwrap() error { return e.err }

// noAnswer says whether a request that failed with err (status 0: no
// HTTP answer) got no answer from the endpoint — a timeout, a refused or
// reset connection, an answer cut off, or the delivery deadline — rather
// than being stopped by an interruption.
func noAnswer(ctx context.Context, status int, err error) bool {
	if err == nil || status != 0 {
		return false
	}
	if ctx.Err() != nil {
		return notify.DeadlinePassed(ctx) != nil
	}
	var ne net.Error
	var op *net.OpError
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &op)
}

// ogAuthRefused says whether a status means the key is refused.
func ogAuthRefused(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

// Send sends the requests one after the other and returns a result for
// each, in order. One request failing does not stop the others, except a
// 401 or 403 (the key is refused: the rest would be too), or a request
// that got no answer after its retries (a timeout, a refused or reset
// connection, ctx's delivery deadline: the rest would wait the same way),
// which stop the send: the rest fail with ErrKeyRefused or
// ErrNoAnswer, unsent, and nothing more is logged (Execute
// returns the stop as one error). ctx ending stops it too. Requests not
// sent have Attempts 0.
func (o *Client) Send(ctx context.Context, reqs []AlertRequest) []AlertResult {
	out := make([]AlertResult, len(reqs))
	var stopped error
	for i, r := range reqs {
		out[i] = AlertResult{Action: r.Action, Alias: r.Alias}
		if stopped != nil {
			out[i].Err = fmt.Errorf("%w: %s %s: not sent: %w", ErrRequest, r.Action, r.Alias, stopped)
			continue
		}
		if err := ctx.Err(); err != nil {
			out[i].Err = fmt.Errorf("%w: %s %s: not sent: %w", ErrRequest, r.Action, r.Alias, err)
			continue
		}
		start := time.Now()
		o.send(ctx, r, &out[i])
		if ogAuthRefused(out[i].Status) && out[i].Err != nil {
			// Not logged here: the refusal is the run's one error (Execute),
			// which its caller reports once.
			stopped = ErrKeyRefused
			continue
		}
		if out[i].Attempts > 0 && noAnswer(ctx, out[i].Status, out[i].Err) {
			// Not logged here either: Execute tells it once.
			out[i].Err = &ogNoAnswerError{url: o.cfg.baseURL(), within: time.Since(start), attempts: out[i].Attempts, err: out[i].Err}
			stopped = ErrNoAnswer
			continue
		}
		if out[i].Err != nil {
			// Debug only: Execute returns the failure, and its caller
			// reports it once.
			o.log.Debug("opsgenie request failed", "action", r.Action, "alias", r.Alias,
				"status", out[i].Status, "attempts", out[i].Attempts, "error", out[i].Err.Error())
		} else {
			o.log.Info("opsgenie request accepted", "action", r.Action, "alias", r.Alias,
				"status", out[i].Status, "requestId", out[i].RequestID, "attempts", out[i].Attempts)
		}
	}
	return out
}

// ogAnswer is the body of an Alert API response (docs.opsgenie.com/docs/response).
type ogAnswer struct {
	Result    string          `json:"result"`
	Message   string          `json:"message"`
	Errors    json.RawMessage `json:"errors"`
	RequestID string          `json:"requestId"`
}

// send tries one request with the senders' notify.Retrier: 429 and 5xx (after
// their Retry-After) and network errors are retried, any other answer is
// final. It logs the retries; the outcome is Send's to log.
func (o *Client) send(ctx context.Context, r AlertRequest, res *AlertResult) {
	p := o.retry
	rt := notify.Retrier{Attempts: p.Attempts, Base: p.Base, Max: p.Max, MaxWait: p.MaxWait, MaxElapsed: p.MaxElapsed, Sleep: p.Sleep,
		OnRetry: func(attempt int, wait time.Duration, _ error) {
			o.log.Warn("opsgenie request retried", "action", r.Action, "alias", r.Alias, "status", res.Status,
				"attempt", attempt, "wait", wait)
		}}
	_, err := rt.Do(ctx, func(ctx context.Context, attempt int) (bool, error) {
		req, err := NewRequest(ctx, o.cfg.baseURL(), o.cfg.APIKey, r)
		if err != nil {
			return false, o.redact(err)
		}
		res.Attempts = attempt
		status, ans, hdr, err := o.do(req)
		res.Status = status
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return false, fmt.Errorf("%w: %s %s: %w", ErrRequest, r.Action, r.Alias, ctx.Err())
			}
			return true, o.redact(fmt.Errorf("%w: %s %s: %w", ErrRequest, r.Action, r.Alias, err))
		case status >= 200 && status < 300:
			res.RequestID = ans.RequestID
			if res.RequestID == "" {
				res.RequestID = hdr.Get("X-Request-ID")
			}
			return false, nil
		case status == http.StatusTooManyRequests || status >= 500:
			wait, _ := ogRetryAfter(hdr.Get("Retry-After"), time.Now())
			return true, notify.RetryAfter(o.redact(fmt.Errorf("%w: %s %s: %s", ErrRequest, r.Action, r.Alias, ogDescribe(status, ans))), wait)
		default:
			return false, o.redact(fmt.Errorf("%w: %s %s refused: %s", ErrRequest, r.Action, r.Alias, ogDescribe(status, ans)))
		}
	})
	var stop *notify.RetryStop
	if errors.As(err, &stop) {
		switch stop.Why {
		case notify.StopAttempts:
			err = fmt.Errorf("%w (gave up after %d attempts)", stop.Err, stop.Attempts)
		case notify.StopRetryAfter:
			err = fmt.Errorf("%w (Retry-After %s is longer than the %s the sender waits)", stop.Err, stop.Wait, p.MaxWait)
		case notify.StopElapsed:
			err = fmt.Errorf("%w (gave up after %d attempts: waiting %s more would pass the %s allowed)", stop.Err, stop.Attempts, stop.Wait, p.MaxElapsed)
		case notify.StopCanceled:
			err = fmt.Errorf("%w: %s %s: %w", ErrRequest, r.Action, r.Alias, stop.Err)
		}
	}
	res.Err = err
}

// do sends one request and reads the answer (at most 64 KiB of it).
func (o *Client) do(req *http.Request) (int, ogAnswer, http.Header, error) {
	resp, err := o.client.Do(req)
	if err != nil {
		return 0, ogAnswer{}, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var ans ogAnswer
	if err == nil && len(b) > 0 {
		if json.Unmarshal(b, &ans) != nil && resp.StatusCode >= 300 {
			ans.Message = strings.TrimSpace(string(b[:min(len(b), 200)]))
		}
	}
	return resp.StatusCode, ans, resp.Header, nil
}

// ogDescribe renders an error answer: status, message, field errors and
// request id.
func ogDescribe(status int, a ogAnswer) string {
	s := fmt.Sprintf("HTTP %d", status)
	if a.Message != "" {
		s += ": " + a.Message
	}
	if len(a.Errors) > 0 && string(a.Errors) != "null" {
		s += " " + string(a.Errors)
	}
	if a.RequestID != "" {
		s += " (requestId " + a.RequestID + ")"
	}
	return s
}

// redact removes the key from an error's text, whatever echoed it.
func (o *Client) redact(err error) error {
	if err == nil || o.cfg.APIKey == "" || !strings.Contains(err.Error(), o.cfg.APIKey) {
		return err
	}
	return &ogRedactedError{msg: strings.ReplaceAll(err.Error(), o.cfg.APIKey, "[redacted]"), err: err}
}

// ogRedactedError keeps the wrapped error for errors.Is but not its text.
type ogRedactedError struct {
	msg string
	err error
}

func (e *ogRedactedError) Error() string { return e.msg }
func (e *ogRedactedError) Is(target error) bool {
	return errors.Is(e.err, target)
}

// ogRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func ogRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Run is what Run did.
type Run struct {
	Plan Plan
	// loadErr is why the stored open-alert set could not be read (Prepare):
	// the set is then not overwritten.
	loadErr error
	// Results are the requests' outcomes (nil in a dry run).
	Results []AlertResult
	// Open is the open-alert set stored for the next run.
	Open OpenAlerts
	// Accepted and Failed count the requests.
	Accepted, Failed int
	DryRun           bool
}

// Run is one delivery: it loads the open-alert set from store
// (OpenAlertsKey), plans the report's requests, sends them (a dry run
// sends nothing and stores nothing), and stores the open set that results.
// It returns the run with an error when the set could not be read or
// written or a request failed; the other requests are sent regardless,
// but for a refused key (401/403), which stops the send and is told once.
// A set that cannot be decoded is not overwritten: the creates are sent,
// no close, and the error says to remove it. A report older than the
// stored set's report day is refused (ErrOlderReport) unless
// Config.Force: nothing is sent or stored. Runs sharing a store
// must not overlap: the last to finish writes the set.
func (o *Client) Run(ctx context.Context, st StateStore, r *insights.Report, cov ScanCoverage) (*Run, error) {
	run, err := o.Prepare(ctx, st, r, cov)
	if run == nil {
		return nil, err
	}
	return o.Execute(ctx, st, run)
}

// Prepare is Run's first half: it loads the open-alert set and plans the
// requests, sending nothing, so that the digest can say what the alerts
// will be (the cap's excess) before Execute sends them. It returns a nil
// run for a report older than the stored set's (unless Force).
func (o *Client) Prepare(ctx context.Context, st StateStore, r *insights.Report, cov ScanCoverage) (*Run, error) {
	open, loadErr := LoadOpenAlerts(ctx, st, OpenAlertsKey)
	if loadErr != nil {
		open = NewOpenAlerts()
	}
	if open.ReportDay != "" && r.ReportDay < open.ReportDay {
		if !o.cfg.Force {
			return nil, fmt.Errorf("%w: %w: report day %s is older than %s, the day the stored open alerts (%s) were written for; "+
				"sending it would close alerts still open. Notify the latest report, or set OPSGENIE_FORCE=true (notify --force) to send it anyway",
				ErrRequest, ErrOlderReport, r.ReportDay, open.ReportDay, OpenAlertsKey)
		}
		o.log.Warn("opsgenie: sending a report older than the stored open alerts (forced)", "reportDay", r.ReportDay, "storedDay", open.ReportDay)
	}
	run := &Run{Plan: AlertPlan(r, open, cov, o.cfg), DryRun: o.cfg.DryRun, loadErr: loadErr}
	o.log.Info("opsgenie plan", "new", run.Plan.New, "repeated", run.Plan.Repeated, "closing", run.Plan.Closing,
		"kept", len(run.Plan.Kept), "below", run.Plan.Below, "capped", len(run.Plan.Capped), "dryRun", o.cfg.DryRun)
	for _, k := range run.Plan.Kept {
		o.log.Info("opsgenie alert kept open: its scan failed", "alias", k.Alias, "reason", k.Reason)
	}
	return run, loadErr
}

// Execute is Run's second half: it sends a prepared run's requests (none
// in a dry run) and stores the open set that results.
func (o *Client) Execute(ctx context.Context, st StateStore, run *Run) (*Run, error) {
	loadErr := run.loadErr
	if o.cfg.DryRun {
		run.Open = run.Plan.Open
		return run, loadErr
	}
	run.Results = o.Send(ctx, run.Plan.Requests)
	var errs []error
	var refused, silent error
	notSent := 0
	for _, res := range run.Results {
		switch {
		case res.Err == nil:
			run.Accepted++
		case res.Attempts > 0 && ogAuthRefused(res.Status):
			run.Failed++
			refused = res.Err
		case res.Attempts > 0 && errors.Is(res.Err, ErrNoAnswer):
			run.Failed++
			silent = res.Err
		case res.Attempts == 0:
			// Not sent: after a refusal or a request without an answer
			// (told with it), or ctx ended (told by the count below).
			run.Failed++
			notSent++
		default:
			run.Failed++
			errs = append(errs, res.Err)
		}
	}
	switch {
	case refused != nil:
		// Told once: the refusal, what to check, how many were not sent.
		errs = append([]error{fmt.Errorf("%w: %w — check OPSGENIE_API_KEY and that its integration may create and close alerts; %s not sent (the answer: %v)",
			ErrRequest, ErrKeyRefused, digest.Plural(len(run.Results)-1, "other request", "other requests"), refused)}, errs...)
	case silent != nil:
		// Told once: the endpoint, how long it was tried, how many were
		// not sent.
		errs = append([]error{fmt.Errorf("%w: %s not sent", silent, digest.Plural(notSent, "request", "requests"))}, errs...)
	}
	run.Open = run.Plan.Apply(run.Results)
	if loadErr != nil {
		return run, errors.Join(append([]error{loadErr}, errs...)...)
	}
	// The set is stored even when ctx ended midway: it records what was
	// sent.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := SaveOpenAlerts(sctx, st, OpenAlertsKey, run.Open); err != nil {
		errs = append([]error{err}, errs...)
	}
	if run.Failed > 0 && refused == nil && silent == nil {
		// Sent and failed apart from not sent: "12 of 12 failed" when 10
		// were never sent would say Opsgenie refused them.
		all := digest.Plural(len(run.Results), "request", "requests")
		sentFailed := run.Failed - notSent
		var what string
		switch {
		case notSent == 0:
			what = fmt.Sprintf("%s of %s failed", insights.FormatCount(float64(run.Failed)), all)
		case sentFailed == 0:
			what = fmt.Sprintf("%s of %s not sent", insights.FormatCount(float64(notSent)), all)
		default:
			what = fmt.Sprintf("%s of %s failed: %s sent and failed, %s not sent", insights.FormatCount(float64(run.Failed)), all,
				insights.FormatCount(float64(sentFailed)), insights.FormatCount(float64(notSent)))
		}
		if notSent > 0 && ctx.Err() != nil {
			what += fmt.Sprintf(" (%v)", context.Cause(ctx))
		}
		errs = append([]error{fmt.Errorf("%w: %s", ErrRequest, what)}, errs...)
	}
	return run, errors.Join(errs...)
}

// StateStore is the part of a store.Store that notify uses to keep the
// open-alert set between runs: a store.Dir (the CLI's --out/state), a
// store.S3 or a store.Memory. Get must wrap store.ErrNotFound when the key
// holds nothing.
type StateStore interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, b []byte) error
}

var _ StateStore = store.Store(nil)

// LoadOpenAlerts reads the open-alert set; a store without one (the first
// run) is an empty set.
func LoadOpenAlerts(ctx context.Context, s StateStore, key string) (OpenAlerts, error) {
	b, err := s.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return NewOpenAlerts(), nil
	}
	if err != nil {
		return OpenAlerts{}, fmt.Errorf("opsgenie open alerts: %w", err)
	}
	var o OpenAlerts
	if err := json.Unmarshal(b, &o); err != nil {
		return OpenAlerts{}, fmt.Errorf("opsgenie open alerts %s: %w (remove it to start afresh; lambdaudit then cannot close the alerts it lists)", key, err)
	}
	if o.Schema != OpenAlertsSchema || o.Version != OpenAlertsVersion {
		return OpenAlerts{}, fmt.Errorf("opsgenie open alerts %s: schema %q version %d, want %q version %d", key, o.Schema, o.Version, OpenAlertsSchema, OpenAlertsVersion)
	}
	if o.Alerts == nil {
		o.Alerts = map[string]OpenAlert{}
	}
	return o, nil
}

// SaveOpenAlerts writes the open-alert set as indented JSON.
func SaveOpenAlerts(ctx context.Context, s StateStore, key string, o OpenAlerts) error {
	o.Schema, o.Version = OpenAlertsSchema, OpenAlertsVersion
	if o.Alerts == nil {
		o.Alerts = map[string]OpenAlert{}
	}
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return fmt.Errorf("opsgenie open alerts: %w", err)
	}
	if err := s.Put(ctx, key, append(b, '\n')); err != nil {
		return fmt.Errorf("opsgenie open alerts: %w", err)
	}
	return nil
}

// DumpedRequest is a request as WriteRequests writes it: exactly
// what would be sent, the Authorization header redacted.
type DumpedRequest struct {
	Action  AlertAction       `json:"action"`
	Alias   string            `json:"alias"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// DumpRequests renders requests as they would be sent to baseURL,
// built by NewRequest, with the key redacted.
func DumpRequests(baseURL string, reqs []AlertRequest) ([]DumpedRequest, error) {
	out := make([]DumpedRequest, 0, len(reqs))
	for _, r := range reqs {
		req, err := NewRequest(context.Background(), baseURL, "", r)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, fmt.Errorf("opsgenie: %w", err)
		}
		d := DumpedRequest{Action: r.Action, Alias: r.Alias, Method: req.Method, URL: req.URL.String(),
			Headers: map[string]string{}, Body: body}
		for k := range req.Header {
			d.Headers[k] = req.Header.Get(k)
		}
		d.Headers["Authorization"] = "GenieKey [redacted]"
		out = append(out, d)
	}
	return out, nil
}

// WriteRequests writes the requests of a plan as indented JSON
// ({"baseURL", "requests", "kept"}): the dry run's output and the demo's
// opsgenie.json. The key never appears in it.
func WriteRequests(w io.Writer, baseURL string, p Plan) error {
	if baseURL == "" {
		baseURL = US
	}
	reqs, err := DumpRequests(baseURL, p.Requests)
	if err != nil {
		return err
	}
	kept := p.Kept
	if kept == nil {
		kept = []KeptAlert{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	v := struct {
		BaseURL  string          `json:"baseURL"`
		Requests []DumpedRequest `json:"requests"`
		Kept     []KeptAlert     `json:"kept"`
	}{strings.TrimRight(baseURL, "/"), reqs, kept}
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("opsgenie: write requests: %w", err)
	}
	return nil
}
