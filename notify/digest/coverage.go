package digest

import (
	"fmt"
	"strings"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// incomplete reports whether the scan lost data that should have come
// back (a target not listed, an AWS call that failed): then the digest's
// first lines and Slack's notification text say what is not covered.
func (v *View) incomplete() bool {
	c := v.Report.Coverage
	return c.TargetsFailed > 0 || c.NotCovered > 0 || c.Partial > 0 || c.Failed > 0
}

// NotCovered is what the scan did not cover, for the digest's first
// lines: "111111111111 (AccessDenied, all regions) and
// 222222222222/eu-west-1 GetMetricData AccessDenied — 750 of 2,250
// listed functions (33 %)", naming at most n places; "" when
// everything was covered.
func (v *View) NotCovered(n int) string {
	if !v.incomplete() {
		return ""
	}
	c := v.Report.Coverage
	places := v.notCoveredPlaces()
	if len(places) > n {
		places = append(places[:n], Plural(len(places)-n, "more", "more"))
	}
	var s string
	switch len(places) {
	case 0:
	case 1:
		s = places[0]
	default:
		s = strings.Join(places[:len(places)-1], ", ") + " and " + places[len(places)-1]
	}
	notCov := c.NotCovered
	if notCov == 0 {
		notCov = c.Partial + c.Failed
	}
	var fig []string
	if notCov > 0 {
		f := fmt.Sprintf("%s of %s", fmtCount(float64(notCov)), Plural(c.Listed, "listed function", "listed functions"))
		if c.Listed > 0 {
			f += " (" + sharePct(notCov, c.Listed) + ")"
		}
		fig = append(fig, f)
	}
	if c.TargetsFailed > 0 {
		fig = append(fig, fmt.Sprintf("%s of %s not listed", fmtCount(float64(c.TargetsFailed)), Plural(c.Targets, "account-region", "account-regions")))
	}
	if s == "" {
		return strings.Join(fig, "; ")
	}
	return s + " — " + strings.Join(fig, "; ")
}

// notCoveredPlaces names each cause of lost data: an account whose every
// region failed alike as "111111111111 (AccessDenied, all regions)", a
// failed account-region as "111111111111/ap-east-1 (UnrecognizedClientException)",
// a failed call as "222222222222/eu-west-1 GetMetricData AccessDenied";
// the most functions first.
func (v *View) notCoveredPlaces() []string {
	c := v.Report.Coverage
	if len(c.Causes) == 0 {
		// A report from before causes: the failed targets (NotCovered
		// adds the functions' figure).
		var out []string
		for _, t := range c.FailedTargets {
			out = append(out, notify.Clean(t.Account)+"/"+notify.Clean(t.Region))
		}
		return out
	}
	// Targets failed per account and code.
	type acctCode struct{ account, code string }
	failed := map[acctCode]int{}
	for _, cc := range c.Causes {
		if cc.Functions == 0 && cc.Targets > 0 && cc.Region != "" {
			failed[acctCode{cc.Account, cc.Code}] += cc.Targets
		}
	}
	regions := len(v.Regions)
	var out, calls []string
	done := map[acctCode]bool{}
	for _, cc := range c.Causes {
		k := acctCode{cc.Account, cc.Code}
		switch {
		case cc.Functions == 0 && cc.Targets > 0 && regions > 1 && failed[k] == regions:
			if !done[k] {
				done[k] = true
				out = append(out, fmt.Sprintf("%s (%s, all regions)", notify.Clean(cc.Account), notify.Clean(cc.Code)))
			}
		case cc.Functions == 0 && cc.Targets > 1 && cc.Region == "":
			// The scanner's account-wide cause: every region of the account.
			out = append(out, fmt.Sprintf("%s (%s, all %d regions)", notify.Clean(cc.Account), notify.Clean(cc.Code), cc.Targets))
		case cc.Functions == 0 && cc.Targets > 0:
			out = append(out, fmt.Sprintf("%s (%s)", notify.Clean(cc.Where()), notify.Clean(cc.Code)))
		default:
			calls = append(calls, notify.Clean(cc.Where())+" "+causeOp(cc.Cause))
		}
	}
	// Whole accounts and account-regions first, then failed calls.
	out = append(out, calls...)
	return out
}

// causeOp is "GetMetricData AccessDenied", or the code alone.
func causeOp(c scanner.Cause) string {
	if _, op, ok := strings.Cut(c.API, ":"); ok && op != "" {
		return notify.Clean(op) + " " + notify.Clean(c.Code)
	}
	if c.API != "" {
		return notify.Clean(c.Code) + " (" + notify.Clean(c.API) + ")"
	}
	return notify.Clean(c.Code)
}

// causeLines are the coverage block's failures, one line per cause with
// what it cost: "AccessDenied cloudwatch:GetMetricData in
// 111111111111/eu-west-1: 200 functions"; at most n, then "and N more".
func (v *View) causeLines(n int) []string {
	var out []string
	for _, cc := range v.Report.Coverage.Causes {
		what := Plural(cc.Functions, "function", "functions")
		if cc.Functions == 0 {
			what = Plural(cc.Targets, "account-region", "account-regions") + " not listed"
		}
		out = append(out, notify.Truncate(notify.Clean(cc.String()), MaxErrorRunes)+": "+what)
	}
	if len(out) > n {
		out = append(out[:n], fmt.Sprintf("and %s (see coverage.causes in the scan result)", Plural(len(out)-n, "more cause", "more causes")))
	}
	return out
}

// LogsSkippedLine says which functions' logs were not queried by design:
// "logs not queried for 49,976 functions (log budget 49,976) — by design,
// not a failure".
func (v *View) LogsSkippedLine() string {
	c := v.Report.Coverage
	if c.LogsSkipped == 0 {
		return ""
	}
	keys := scanner.ByCount(c.LogsSkippedBy)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = notify.Truncate(notify.Clean(k), 40) + ": " + fmtCount(float64(c.LogsSkippedBy[k]))
	}
	s := "logs not queried for " + Plural(c.LogsSkipped, "function", "functions")
	if len(parts) > 0 {
		s += " (" + ListLimited(parts, 3) + ")"
	}
	return s + " — by design, not a failure"
}

// sharePct is n of total as a truncated percentage: the report's
// formatter, shared with the scan command's stderr.
var sharePct = insights.FormatPart
