package opsgenie

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/notify/digest"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// AlertAction is what an AlertRequest does.
type AlertAction string

// The requests lambdaudit sends.
const (
	// AlertCreate opens an alert (POST /v2/alerts); Opsgenie counts a
	// create whose alias is already open instead of opening another.
	AlertCreate AlertAction = "create"
	// AlertClose closes an alert by alias (POST
	// /v2/alerts/{alias}/close?identifierType=alias).
	AlertClose AlertAction = "close"
)

// CreateAlertBody is the JSON body of a create request (the fields
// lambdaudit sets; docs.opsgenie.com/docs/alert-api#create-alert).
type CreateAlertBody struct {
	Message     string            `json:"message"`
	Alias       string            `json:"alias"`
	Description string            `json:"description"`
	Responders  []Responder       `json:"responders,omitempty"`
	Tags        []string          `json:"tags"`
	Details     map[string]string `json:"details"`
	Entity      string            `json:"entity"`
	Source      string            `json:"source"`
	Priority    string            `json:"priority"`
}

// CloseAlertBody is the JSON body of a close request.
type CloseAlertBody struct {
	User   string `json:"user"`
	Source string `json:"source"`
	Note   string `json:"note"`
}

// AlertRequest is one request to the Alert API, built by AlertPlan and
// sent by Client.Send (or written by WriteRequests).
type AlertRequest struct {
	Action AlertAction `json:"action"`
	Alias  string      `json:"alias"`
	// Create is the body of an AlertCreate, Close of an AlertClose.
	Create *CreateAlertBody `json:"create,omitempty"`
	Close  *CloseAlertBody  `json:"close,omitempty"`
}

// Method is the request's HTTP method.
func (r AlertRequest) Method() string { return http.MethodPost }

// Path is the request's path and query under the base URL. The alias is
// one escaped path segment (an insight key holds slashes).
func (r AlertRequest) Path() string {
	if r.Action == AlertClose {
		return "/v2/alerts/" + url.PathEscape(r.Alias) + "/close?identifierType=alias"
	}
	return "/v2/alerts"
}

// Body is the request's JSON body.
func (r AlertRequest) Body() ([]byte, error) {
	var v any
	switch {
	case r.Action == AlertCreate && r.Create != nil:
		v = r.Create
	case r.Action == AlertClose && r.Close != nil:
		v = r.Close
	default:
		return nil, fmt.Errorf("opsgenie: %s request for %q has no body", r.Action, r.Alias)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("opsgenie: encode %s body for %q: %w", r.Action, r.Alias, err)
	}
	return b, nil
}

// OpenAlertsSchema and OpenAlertsVersion identify the open-alert set as
// stored (JSON, in a store.Store under OpenAlertsKey; the CLI's is
// --out/state).
const (
	OpenAlertsSchema  = "lambdaudit/opsgenie-open-alerts"
	OpenAlertsVersion = 1
	OpenAlertsKey     = "opsgenie/open-alerts.json"
)

// OpenAlerts is the set of alerts lambdaudit opened and has not closed,
// by alias: what a later scan closes when their insight is gone.
type OpenAlerts struct {
	Schema  string `json:"schema"`
	Version int    `json:"version"`
	// ReportDay is the report day of the run that wrote the set.
	ReportDay string               `json:"reportDay,omitempty"`
	Alerts    map[string]OpenAlert `json:"alerts"`
}

// OpenAlert is one alert lambdaudit opened.
type OpenAlert struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// Function is the function's name; empty for an account-region's
	// insight.
	Function string            `json:"function,omitempty"`
	Kind     string            `json:"kind"`
	Severity insights.Severity `json:"severity"`
	// Priority is the one the alert was opened with: Opsgenie's
	// deduplication keeps it when a repeat carries another.
	Priority string `json:"priority"`
	// OpenedOn is the report day the alert was first sent, LastSeenOn the
	// latest report day with its insight.
	OpenedOn   string `json:"openedOn"`
	LastSeenOn string `json:"lastSeenOn"`
}

// NewOpenAlerts is an empty set.
func NewOpenAlerts() OpenAlerts {
	return OpenAlerts{Schema: OpenAlertsSchema, Version: OpenAlertsVersion, Alerts: map[string]OpenAlert{}}
}

// ScanCoverage is what AlertPlan needs of the scan behind a report: which
// functions and account-regions it could not read (their alerts stay
// open: no data is not "fixed") and the functions' ARNs (the alerts'
// entity). The zero value knows nothing beyond the report itself.
type ScanCoverage struct {
	// Functions are the listed functions by ID (account/region/name).
	Functions map[string]FunctionCoverage
	// FailedTargets are the account-regions ("account/region") the scan
	// could not list, with the error.
	FailedTargets map[string]string
}

// FunctionCoverage is one function's scan outcome.
type FunctionCoverage struct {
	ARN string
	// Status is scanner.StatusScanned, StatusPartial or StatusFailed;
	// Reason the first failed stage's "stage: reason".
	Status string
	Reason string
}

// CoverageFromScan takes a scan result's coverage.
func CoverageFromScan(res *scanner.Result) ScanCoverage {
	c := ScanCoverage{Functions: make(map[string]FunctionCoverage, len(res.Functions)), FailedTargets: map[string]string{}}
	for _, t := range res.Targets {
		if t.Status != scanner.StatusOK {
			c.FailedTargets[t.Account+"/"+t.Region] = t.Error
		}
	}
	for i := range res.Functions {
		f := &res.Functions[i]
		fc := FunctionCoverage{ARN: f.ARN, Status: f.Status}
		if len(f.Failures) > 0 {
			fc.Reason = f.Failures[0].Stage + ": " + f.Failures[0].Reason
		}
		c.Functions[f.ID] = fc
	}
	return c
}

// Plan is what one report means for Opsgenie.
type Plan struct {
	// Requests are the creates (in the report's order: most severe and
	// costly first) then the closes (by alias).
	Requests []AlertRequest
	// Open is the open-alert set once every request has succeeded; see
	// Apply for the set after a real send.
	Open OpenAlerts
	// Kept are open alerts whose insight is gone but whose function or
	// account-region the scan could not read: left open.
	Kept []KeptAlert
	// New counts creates of aliases not open before, Repeated those of
	// aliases already open (sent again; Opsgenie counts them on the open
	// alert), Closing the closes, Below the insights under MinSeverity.
	New, Repeated, Closing, Below int
	// Capped are the insights that would have opened an alert past the
	// run's cap (Config.MaxNewAlerts), in the report's order: they
	// open none; one summary alert (alias CapAlias) lists them.
	Capped []CappedInsight
	// Cap is the cap applied (0: none).
	Cap int

	prior OpenAlerts
}

// CappedInsight is an insight that opened no alert because the run's
// cap was reached.
type CappedInsight struct {
	Alias    string            `json:"alias"`
	Severity insights.Severity `json:"severity"`
	Priority string            `json:"priority"`
	Title    string            `json:"title"`
}

// CapAlias is the alias of the summary alert a run opens when
// its cap leaves insights without an alert; a run under the cap closes it.
const CapAlias = "lambdaudit/alert-cap"

// ogCapKind is the summary alert's kind in the open-alert set.
const ogCapKind = "alert-cap"

// KeptAlert is an open alert left open, and why.
type KeptAlert struct {
	Alias  string `json:"alias"`
	Reason string `json:"reason"`
}

// AlertPlan decides, purely, the requests for a report: a create for
// every insight at or above cfg.MinSeverity — again every day while it
// lasts, which Opsgenie's alias deduplication counts on the open alert
// (and which re-opens one a person closed while the problem remains) —
// and a close, by alias with a note, for every alert in open whose insight
// is gone or no longer pages, unless the scan could not read its function
// or account-region (a failed target, a failed function, or a partial one
// whose failed stage kept the insight's rule from running: the report's
// missing list says so). cov may be the zero value: the report's failed
// targets and unscanned functions still keep alerts open.
func AlertPlan(r *insights.Report, open OpenAlerts, cov ScanCoverage, cfg Config) Plan {
	if open.Alerts == nil {
		open = NewOpenAlerts()
	}
	p := Plan{prior: open, Open: NewOpenAlerts()}
	p.Open.ReportDay = r.ReportDay
	present := make(map[string]*insights.Insight, len(r.Insights))
	prios, kinds := cfg.priorities(), cfg.kindPriorities()
	p.Cap = cfg.maxNewAlerts()
	for i := range r.Insights {
		in := &r.Insights[i]
		present[in.Key] = in
		prio, ok := cfg.pages(in, prios, kinds)
		if !ok {
			p.Below++
			continue
		}
		entry := OpenAlert{Account: in.Account, Region: in.Region, Function: in.Function, Kind: in.Kind,
			Severity: in.Severity, Priority: prio, OpenedOn: r.ReportDay, LastSeenOn: r.ReportDay}
		if was, ok := open.Alerts[in.Key]; ok {
			// A repeat changes nothing of the open alert but its count.
			entry.OpenedOn, entry.Priority = was.OpenedOn, was.Priority
			p.Repeated++
		} else {
			if p.Cap > 0 && p.New >= p.Cap {
				p.Capped = append(p.Capped, CappedInsight{Alias: in.Key, Severity: in.Severity, Priority: prio, Title: ogMessage(in)})
				continue
			}
			p.New++
		}
		p.Open.Alerts[in.Key] = entry
		p.Requests = append(p.Requests, AlertRequest{Action: AlertCreate, Alias: in.Key,
			Create: ogCreateBody(r, in, prio, cov, cfg)})
	}
	if len(p.Capped) > 0 {
		body := ogCapBody(r, p.Capped, p.Cap, cfg)
		entry := OpenAlert{Kind: ogCapKind, Severity: insights.Warning, Priority: body.Priority, OpenedOn: r.ReportDay, LastSeenOn: r.ReportDay}
		if was, ok := open.Alerts[CapAlias]; ok {
			entry.OpenedOn, entry.Priority = was.OpenedOn, was.Priority
		}
		p.Open.Alerts[CapAlias] = entry
		p.Requests = append(p.Requests, AlertRequest{Action: AlertCreate, Alias: CapAlias, Create: body})
	}
	missing := ogMissing(r)
	failedTargets := map[string]string{}
	for _, t := range r.Coverage.FailedTargets {
		failedTargets[t.Account+"/"+t.Region] = t.Error
	}
	for k, v := range cov.FailedTargets {
		failedTargets[k] = v
	}
	aliases := make([]string, 0, len(open.Alerts))
	for a := range open.Alerts {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	for _, alias := range aliases {
		if _, ok := p.Open.Alerts[alias]; ok {
			continue
		}
		was := open.Alerts[alias]
		var note string
		if alias == CapAlias {
			note = fmt.Sprintf("lambdaudit: every insight of report day %s that pages has its own alert (cap %d a run); closing.", r.ReportDay, p.Cap)
		} else if in := present[alias]; in != nil {
			note = fmt.Sprintf("lambdaudit: %s is now %s on %s, below the paging threshold (%s); closing.",
				ogSubject(was), in.Severity, r.ReportDay, cfg.minSeverity())
		} else if why := ogUncovered(was, cov, failedTargets, missing); why != "" {
			p.Kept = append(p.Kept, KeptAlert{Alias: alias, Reason: why})
			p.Open.Alerts[alias] = was
			continue
		} else {
			note = fmt.Sprintf("lambdaudit: the scan for report day %s no longer finds %s; closing. Open since %s, last seen %s.",
				r.ReportDay, ogSubject(was), was.OpenedOn, was.LastSeenOn)
			if was.Function != "" && cov.Functions != nil {
				if _, listed := cov.Functions[ogFunctionID(was)]; !listed {
					note = fmt.Sprintf("lambdaudit: %s no longer exists (not listed in the scan for report day %s); closing.",
						ogWhere(was), r.ReportDay)
				}
			}
		}
		p.Closing++
		p.Requests = append(p.Requests, AlertRequest{Action: AlertClose, Alias: alias,
			Close: &CloseAlertBody{User: Source, Source: Source, Note: ogTruncate(note, ogMaxNote)}})
	}
	return p
}

// ogMissing indexes the report's missing list: id (function or
// account-region) → rule → reason.
func ogMissing(r *insights.Report) map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, ms := range r.Missing {
		for _, id := range ms.IDs {
			if m[id] == nil {
				m[id] = map[string]string{}
			}
			for _, rule := range ms.Rules {
				if _, ok := m[id][rule]; !ok {
					m[id][rule] = ms.Reason
				}
			}
		}
	}
	return m
}

// ogUncovered says why the scan could not have seen an alert's insight,
// or "" when it could (the insight is gone).
func ogUncovered(a OpenAlert, cov ScanCoverage, failedTargets map[string]string, missing map[string]map[string]string) string {
	region := a.Account + "/" + a.Region
	if err, ok := failedTargets[region]; ok {
		return "account-region not scanned: " + err
	}
	if a.Function == "" {
		if why, ok := missing[region][a.Kind]; ok {
			return why
		}
		return ""
	}
	id := ogFunctionID(a)
	fc, listed := cov.Functions[id]
	if listed && fc.Status == scanner.StatusFailed {
		return "function not scanned: " + fc.Reason
	}
	why, ruleMissing := missing[id][a.Kind]
	if ruleMissing && strings.HasPrefix(why, "function not scanned") {
		return why
	}
	if listed && fc.Status == scanner.StatusPartial && ruleMissing {
		return why
	}
	if ruleMissing && logsSkippedByDesign(why) {
		// A log budget skip is coverage, not a failure (the function is
		// "scanned"), but the rule did not look: the insight may remain.
		return why
	}
	return ""
}

// logsSkippedByDesign reports whether a missing-rule reason is a log
// group the scan chose not to query (over the budget, no size estimate,
// no log group, …), as opposed to one with nothing to query (no log data
// in the window, covered by LambdaInsights).
func logsSkippedByDesign(why string) bool {
	r, ok := strings.CutPrefix(why, "logs: ")
	return ok && !strings.HasPrefix(r, logstats.ReasonNoLogData) && !strings.HasPrefix(r, logstats.ReasonLambdaInsights)
}

func ogFunctionID(a OpenAlert) string { return a.Account + "/" + a.Region + "/" + a.Function }

// ogWhere names an alert's function or account-region.
func ogWhere(a OpenAlert) string {
	if a.Function == "" {
		return a.Account + "/" + a.Region
	}
	return a.Function + " in " + a.Account + "/" + a.Region
}

func ogSubject(a OpenAlert) string { return a.Kind + " of " + ogWhere(a) }

// Apply is the open-alert set after the plan's requests were sent with
// these results (in the order of Requests; a request without a result was
// not sent). A create is recorded unless Opsgenie refused it outright (a
// 4xx other than 429): a timeout or a 5xx may have opened it, and a close
// of an alias that is not open is harmless. A close is recorded when
// accepted, or when Opsgenie answered 404 (nothing to close); otherwise the
// alert stays in the set and the next run closes it.
func (p Plan) Apply(results []AlertResult) OpenAlerts {
	out := NewOpenAlerts()
	out.ReportDay = p.Open.ReportDay
	for a, v := range p.Open.Alerts {
		out.Alerts[a] = v
	}
	for i, req := range p.Requests {
		var res AlertResult
		if i < len(results) {
			res = results[i]
		}
		switch req.Action {
		case AlertCreate:
			if res.ok() || res.ambiguous() {
				continue
			}
			// Refused or not sent: it is open only if it was before.
			if was, ok := p.prior.Alerts[req.Alias]; ok {
				out.Alerts[req.Alias] = was
			} else {
				delete(out.Alerts, req.Alias)
			}
		case AlertClose:
			if !res.ok() && res.Status != http.StatusNotFound {
				out.Alerts[req.Alias] = p.prior.Alerts[req.Alias]
			}
		}
	}
	return out
}

// ogCreateBody builds a create request's body from an insight.
func ogCreateBody(r *insights.Report, in *insights.Insight, prio string, cov ScanCoverage, cfg Config) *CreateAlertBody {
	arn := ""
	if in.Function != "" {
		arn = cov.Functions[in.Account+"/"+in.Region+"/"+in.Function].ARN
	}
	entity := in.Key
	if arn != "" {
		entity = arn
	}
	b := &CreateAlertBody{
		Message:     ogTruncate(ogMessage(in), ogMaxMessage),
		Alias:       in.Key,
		Description: ogTruncate(ogDescription(r, in, arn), ogMaxDescription),
		Responders:  cfg.Responders,
		Tags:        ogTags(in, cfg.Tags),
		Details:     ogDetails(r, in, arn),
		Entity:      ogTruncate(entity, ogMaxEntity),
		Source:      Source,
		Priority:    prio,
	}
	return b
}

// ogMessage is the alert's one line: where, then the insight's title.
func ogMessage(in *insights.Insight) string {
	if in.Function == "" {
		return in.Title // an account-region's title names it
	}
	return fmt.Sprintf("%s (%s %s): %s", in.Function, in.Account, in.Region, in.Title)
}

func ogDescription(r *insights.Report, in *insights.Insight, arn string) string {
	var b strings.Builder
	b.WriteString(in.Title + "\n\n")
	if in.Function != "" {
		fmt.Fprintf(&b, "Function: %s\n", in.Function)
	}
	fmt.Fprintf(&b, "Account: %s\nRegion: %s\n", in.Account, in.Region)
	if arn != "" {
		fmt.Fprintf(&b, "ARN: %s\n", arn)
	}
	fmt.Fprintf(&b, "Rule: %s (%s)\nReport day: %s\n", in.Kind, in.Severity, r.ReportDay)
	if len(in.Evidence) > 0 {
		b.WriteString("\nEvidence:\n")
		for _, e := range in.Evidence {
			fmt.Fprintf(&b, "- %s: %s\n", e.Name, ogEvidence(e))
		}
	}
	if in.Action != "" {
		fmt.Fprintf(&b, "\nAction: %s\n", in.Action)
	}
	if s := in.MonthlySavingUSD; s != nil {
		fmt.Fprintf(&b, "\nEstimated saving: %s/month", insights.FormatUSD(*s))
		if in.SavingNote != "" {
			fmt.Fprintf(&b, " (%s)", in.SavingNote)
		}
		b.WriteString("\n")
	}
	if in.ImpactUSD > 0 {
		fmt.Fprintf(&b, "Monthly impact: %s\n", insights.FormatUSD(in.ImpactUSD))
	}
	fmt.Fprintf(&b, "\nOpened by lambdaudit with alias %s. It is sent again after each scan while the insight lasts, "+
		"and closed when a scan that covers the %s no longer finds it.\n", in.Key, map[bool]string{true: "function", false: "account-region"}[in.Function != ""])
	return b.String()
}

// ogEvidence renders an evidence value with its unit.
func ogEvidence(e insights.Evidence) string {
	if e.Value == nil {
		return e.Text
	}
	v := strconv.FormatFloat(*e.Value, 'f', -1, 64)
	switch e.Unit {
	case "", insights.UnitCount:
		return v
	case insights.UnitRatio:
		return v + " (" + strconv.FormatFloat(insights.Truncate(*e.Value*100, 4), 'f', -1, 64) + " %)" // truncated, as every figure shown
	case insights.UnitUSD, insights.UnitUSDDay, insights.UnitUSDMon:
		return v + " " + e.Unit
	}
	return v + " " + e.Unit
}

// ogOwnTags is how many tags lambdaudit puts on every alert.
const ogOwnTags = 5

func ogTags(in *insights.Insight, extra []string) []string {
	tags := []string{Source, in.Kind, string(in.Severity), "account:" + in.Account, "region:" + in.Region}
	return ogTruncTags(append(tags, extra...))
}

// ogDetails are the alert's custom properties, within the API's 8,000
// characters (evidence is dropped from the end first, never the identity).
func ogDetails(r *insights.Report, in *insights.Insight, arn string) map[string]string {
	d := map[string]string{"key": in.Key, "kind": in.Kind, "severity": string(in.Severity),
		"account": in.Account, "region": in.Region, "reportDay": r.ReportDay}
	if in.Function != "" {
		d["function"] = in.Function
	}
	if arn != "" {
		d["arn"] = arn
	}
	if in.ImpactUSD > 0 {
		d["impactUSD"] = strconv.FormatFloat(in.ImpactUSD, 'f', -1, 64)
	}
	if s := in.MonthlySavingUSD; s != nil {
		d["monthlySavingUSD"] = strconv.FormatFloat(*s, 'f', -1, 64)
	}
	size := 0
	for k, v := range d {
		size += utf8.RuneCountInString(k) + utf8.RuneCountInString(v)
	}
	for _, e := range in.Evidence {
		k, v := "evidence."+e.Name, ogEvidence(e)
		n := utf8.RuneCountInString(k) + utf8.RuneCountInString(v)
		if size+n > ogMaxDetails {
			break
		}
		d[k] = v
		size += n
	}
	return d
}

// ogTruncate cuts s to at most n characters, ending with "…" when cut.
func ogTruncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return string(rs[:n-1]) + "…"
}

// ogCapBody is the summary alert of the insights the cap left without an
// alert: how many, by severity, at the most urgent of their priorities,
// each listed in the description (most urgent first, as the report
// orders them).
func ogCapBody(r *insights.Report, capped []CappedInsight, limit int, cfg Config) *CreateAlertBody {
	prio := "P5"
	bySev := map[insights.Severity]int{}
	for _, c := range capped {
		if c.Priority < prio {
			prio = c.Priority
		}
		bySev[c.Severity]++
	}
	var parts []string
	for _, sev := range []insights.Severity{insights.Critical, insights.Warning} {
		if n := bySev[sev]; n > 0 {
			parts = append(parts, digest.SeverityLabel(sev, n))
		}
	}
	counts := strings.Join(parts, ", ")
	msg := fmt.Sprintf("lambdaudit: %s of %s opened no alert (cap of %d new alerts a run): %s",
		digest.Plural(len(capped), "insight", "insights"), r.ReportDay, limit, counts)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nThis run opened %d new alerts, its cap (OPSGENIE_MAX_NEW_ALERTS, default %d); "+
		"these insights wait for a later run (each run opens up to the cap more) or are in the digest and the CSV report:\n\n",
		msg, limit, DefaultMaxNewAlerts)
	for i, c := range capped {
		if i == ogCapListed {
			fmt.Fprintf(&b, "- and %s more: see the digest and report.csv\n", insights.FormatCount(float64(len(capped)-i)))
			break
		}
		fmt.Fprintf(&b, "- [%s %s] %s (alias %s)\n", c.Severity, c.Priority, c.Title, c.Alias)
	}
	b.WriteString("\nlambdaudit closes this alert when a run opens an alert for every insight that pages.\n")
	return &CreateAlertBody{
		Message:     ogTruncate(msg, ogMaxMessage),
		Alias:       CapAlias,
		Description: ogTruncate(b.String(), ogMaxDescription),
		Responders:  cfg.Responders,
		Tags:        ogTruncTags(append([]string{Source, ogCapKind}, cfg.Tags...)),
		Details: map[string]string{"kind": ogCapKind, "reportDay": r.ReportDay, "capped": strconv.Itoa(len(capped)),
			"cap": strconv.Itoa(limit), "critical": strconv.Itoa(bySev[insights.Critical]), "warning": strconv.Itoa(bySev[insights.Warning])},
		Entity:   Source,
		Source:   Source,
		Priority: prio,
	}
}

// ogCapListed is how many capped insights the summary alert lists one
// by one (the most urgent), well within the description's 15,000
// characters.
const ogCapListed = 50

// ogTruncTags deduplicates and truncates tags within the API's limits.
func ogTruncTags(tags []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = ogTruncate(t, ogMaxTag)
		if t == "" || seen[t] || len(out) == ogMaxTags {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}
