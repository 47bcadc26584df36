package opsgenie

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify"
)

// Base URLs of the Opsgenie Alert API v2 and of its successor, Jira
// Service Management Operations (integration events API): the same
// request bodies, paths under them and GenieKey header. Opsgenie ends
// support on 2027-04-05.
const (
	US  = "https://api.opsgenie.com"
	EU  = "https://api.eu.opsgenie.com"
	JSM = "https://api.atlassian.com/jsm/ops/integration"
)

// Source is the source field of every alert lambdaudit opens and
// closes.
const Source = "lambdaudit"

// Limits of the Alert API (docs.opsgenie.com/docs/alert-api), in
// characters (Unicode code points).
const (
	ogMaxMessage     = 130
	ogMaxAlias       = 512
	ogMaxDescription = 15000
	ogMaxTags        = 20
	ogMaxTag         = 50
	ogMaxDetails     = 8000 // keys and values together
	ogMaxEntity      = 512
	ogMaxSource      = 100
	ogMaxUser        = 100
	ogMaxNote        = 25000
	ogMaxResponders  = 50
)

// Responder is a team, user, escalation or schedule an alert is routed to:
// Type "team", "escalation" or "schedule" with ID or Name, or "user" with
// ID or Username (the Alert API's responders).
type Responder struct {
	Type     string `json:"type"`
	ID       string `json:"id,omitempty"`
	Name     string `json:"name,omitempty"`
	Username string `json:"username,omitempty"`
}

// DefaultPriorities map severities to alert priorities: critical
// P2, warning P3. Info never pages.
func DefaultPriorities() map[insights.Severity]string {
	return map[insights.Severity]string{insights.Critical: "P2", insights.Warning: "P3"}
}

// DefaultKindPriorities map kinds to alert priorities, winning
// over their severity's: a deprecated runtime is planned work, not an
// incident (P4, critical or not), and the kinds that are only ever info
// (memory-overprovisioned, arm64-candidate, provisioned-concurrency-idle)
// P5 should a severity ever page them. Every other kind takes its
// severity's priority.
func DefaultKindPriorities() map[string]string {
	return map[string]string{
		insights.KindDeprecatedRuntime:     "P4",
		insights.KindMemoryOverprovisioned: "P5",
		insights.KindARM64Candidate:        "P5",
		insights.KindProvisionedIdle:       "P5",
	}
}

// DefaultMaxNewAlerts is how many alerts one run opens at most
// (Config.MaxNewAlerts): a first run on a large fleet would
// otherwise open hundreds. The insights past it open no alert; one
// summary alert (alias CapAlias) lists them, and the digest says
// how many.
const DefaultMaxNewAlerts = 20

// Config says where and how lambdaudit opens alerts. The zero
// value of every field but APIKey is a working default.
type Config struct {
	// APIKey is the key of an API integration (OPSGENIE_API_KEY), sent as
	// "Authorization: GenieKey <key>". Required unless DryRun. It never
	// appears in a log, an error or a dry run's output.
	APIKey string
	// BaseURL is US (empty), EU, JSM or another
	// https URL (tests: http on loopback).
	BaseURL string
	// MinSeverity is the least severe insight that opens an alert:
	// warning (empty) or critical. Info never pages.
	MinSeverity insights.Severity
	// Priorities map severities to P1–P5; nil is
	// DefaultPriorities. A severity left out keeps its default.
	Priorities map[insights.Severity]string
	// KindPriorities map kinds to P1–P5 and win over Priorities; nil is
	// DefaultKindPriorities. A kind left out keeps its default.
	KindPriorities map[string]string
	// MaxNewAlerts is how many alerts a run opens at most (aliases not
	// already open; repeats of open ones do not count): 0 is
	// DefaultMaxNewAlerts, negative is no cap.
	MaxNewAlerts int
	// Force sends a report older than the one the stored open-alert set
	// was written for (OPSGENIE_FORCE, notify --force); without it Run
	// refuses, as the older report would close alerts still open.
	Force bool
	// Responders are who the alerts are routed to; none leaves it to the
	// integration's team and routing rules.
	Responders []Responder
	// Tags are added to every alert's own (lambdaudit, the kind, the
	// severity, the account and the region); 20 in all at most.
	Tags []string
	// DryRun builds the requests and sends none (Client.Run returns
	// them; WriteRequests writes them).
	DryRun bool
}

// String describes the config with the key redacted, so that printing it
// cannot leak the key.
func (c Config) String() string {
	return fmt.Sprintf("Opsgenie{BaseURL: %s, APIKey: %s, MinSeverity: %s, Priorities: %v, KindPriorities: %v, MaxNewAlerts: %d, Responders: %d, Tags: %v, DryRun: %t, Force: %t}",
		c.baseURL(), ogRedacted(c.APIKey), c.minSeverity(), c.priorities(), c.kindPriorities(), c.maxNewAlerts(), len(c.Responders), c.Tags, c.DryRun, c.Force)
}

// LogValue is the config for log/slog, with the key redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("baseURL", c.baseURL()), slog.String("apiKey", ogRedacted(c.APIKey)),
		slog.String("minSeverity", string(c.minSeverity())), slog.Bool("dryRun", c.DryRun))
}

func ogRedacted(key string) string {
	if key == "" {
		return "(none)"
	}
	return "[redacted]"
}

func (c Config) baseURL() string {
	if c.BaseURL == "" {
		return US
	}
	return strings.TrimRight(c.BaseURL, "/")
}

func (c Config) minSeverity() insights.Severity {
	if c.MinSeverity == "" {
		return insights.Warning
	}
	return c.MinSeverity
}

func (c Config) priorities() map[insights.Severity]string {
	p := DefaultPriorities()
	for s, v := range c.Priorities {
		p[s] = v
	}
	return p
}

func (c Config) kindPriorities() map[string]string {
	p := DefaultKindPriorities()
	for k, v := range c.KindPriorities {
		p[k] = v
	}
	return p
}

// maxNewAlerts is the cap on alerts opened in a run; 0 is none.
func (c Config) maxNewAlerts() int {
	switch {
	case c.MaxNewAlerts == 0:
		return DefaultMaxNewAlerts
	case c.MaxNewAlerts < 0:
		return 0
	}
	return c.MaxNewAlerts
}

// pages says whether an insight opens an alert, and at which priority:
// its kind's (kinds: c.kindPriorities()) else its severity's (prios:
// c.priorities()).
func (c Config) pages(in *insights.Insight, prios map[insights.Severity]string, kinds map[string]string) (string, bool) {
	s := in.Severity
	if s != insights.Critical && s != insights.Warning {
		return "", false
	}
	if s == insights.Warning && c.minSeverity() == insights.Critical {
		return "", false
	}
	if p, ok := kinds[in.Kind]; ok {
		return p, true
	}
	return prios[s], true
}

// validPriority is P1 to P5.
func validPriority(p string) bool { return len(p) == 2 && p[0] == 'P' && p[1] >= '1' && p[1] <= '5' }

// ErrConfig is wrapped by every error of Config.Validate
// and ConfigFromEnv.
var ErrConfig = errors.New("opsgenie config")

func ogConfigErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// Validate reports the first setting that cannot work, naming it (the
// field and its environment variable). The key's value is never quoted.
func (c Config) Validate() error {
	switch {
	case c.APIKey == "" && !c.DryRun:
		return ogConfigErr("APIKey (OPSGENIE_API_KEY) is empty: set the key of an API integration, or use the dry run")
	case strings.TrimSpace(c.APIKey) != c.APIKey || strings.ContainsFunc(c.APIKey, func(r rune) bool { return r < 0x21 || r == 0x7f }):
		return ogConfigErr("APIKey (OPSGENIE_API_KEY) holds spaces or control characters (value not shown)")
	}
	if err := ogCheckBaseURL(c.BaseURL); err != nil {
		return err
	}
	switch c.MinSeverity {
	case "", insights.Warning, insights.Critical:
	default:
		return ogConfigErr("MinSeverity (OPSGENIE_MIN_SEVERITY) %q: must be warning or critical (info never pages)", c.MinSeverity)
	}
	for s, p := range c.Priorities {
		if s != insights.Critical && s != insights.Warning {
			return ogConfigErr("Priorities (OPSGENIE_PRIORITIES): severity %q: only critical and warning page", s)
		}
		if !validPriority(p) {
			return ogConfigErr("Priorities (OPSGENIE_PRIORITIES): %s=%q: must be P1 to P5", s, p)
		}
	}
	for k, p := range c.KindPriorities {
		if !slices.Contains(insights.Kinds, k) {
			return ogConfigErr("KindPriorities (OPSGENIE_PRIORITIES): %q is neither a severity (critical, warning) nor a kind (%s)", k, strings.Join(insights.Kinds, ", "))
		}
		if !validPriority(p) {
			return ogConfigErr("KindPriorities (OPSGENIE_PRIORITIES): %s=%q: must be P1 to P5", k, p)
		}
	}
	if len(c.Responders) > ogMaxResponders {
		return ogConfigErr("Responders (OPSGENIE_RESPONDERS): %d, at most %d", len(c.Responders), ogMaxResponders)
	}
	for i, r := range c.Responders {
		if err := r.validate(); err != nil {
			return ogConfigErr("Responders[%d] (OPSGENIE_RESPONDERS): %v", i, err)
		}
	}
	if max := ogMaxTags - ogOwnTags; len(c.Tags) > max {
		return ogConfigErr("Tags (OPSGENIE_TAGS): %d, at most %d (an alert holds %d tags, %d of them lambdaudit's)", len(c.Tags), max, ogMaxTags, ogOwnTags)
	}
	for i, t := range c.Tags {
		if t == "" || strings.TrimSpace(t) != t || strings.ContainsAny(t, ", \t\r\n") {
			return ogConfigErr("Tags[%d] (OPSGENIE_TAGS) %q: must be non-empty, without spaces or commas", i, t)
		}
		if utf8.RuneCountInString(t) > ogMaxTag {
			return ogConfigErr("Tags[%d] (OPSGENIE_TAGS) %q: longer than %d characters", i, t, ogMaxTag)
		}
	}
	return nil
}

func (r Responder) validate() error {
	switch r.Type {
	case "team", "escalation", "schedule":
		if r.ID == "" && r.Name == "" {
			return fmt.Errorf("a %s needs an id or a name", r.Type)
		}
		if r.Username != "" {
			return fmt.Errorf("a %s has no username", r.Type)
		}
	case "user":
		if r.Name != "" {
			return errors.New("a user is named by username, not name")
		}
		if r.ID == "" && r.Username == "" {
			return errors.New("a user needs an id or a username")
		}
	default:
		return fmt.Errorf("type %q: must be team, user, escalation or schedule", r.Type)
	}
	return nil
}

// ogCheckBaseURL accepts an absolute https URL without credentials, query
// or fragment; http only on a loopback host (the key would travel in the
// clear).
func ogCheckBaseURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return ogConfigErr("BaseURL (OPSGENIE_URL) %q: %v", s, err)
	}
	switch {
	case u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return ogConfigErr("BaseURL (OPSGENIE_URL) %q: must be an absolute https URL such as %s", s, US)
	case u.User != nil:
		return ogConfigErr("BaseURL (OPSGENIE_URL): must not hold credentials (the key goes in OPSGENIE_API_KEY)")
	case u.RawQuery != "" || u.Fragment != "":
		return ogConfigErr("BaseURL (OPSGENIE_URL) %q: must not have a query or a fragment", s)
	case u.Scheme == "http" && !notify.IsLoopback(u.Hostname()):
		return ogConfigErr("BaseURL (OPSGENIE_URL) %q: must be https (http only on localhost), or the key travels in the clear", s)
	}
	return nil
}

// ConfigFromEnv reads the config from the environment:
//
//	OPSGENIE_API_KEY       the API integration's key
//	OPSGENIE_REGION        us (default), eu or jsm (Jira Service Management)
//	OPSGENIE_URL           another base URL; wins over OPSGENIE_REGION
//	OPSGENIE_MIN_SEVERITY  warning (default) or critical
//	OPSGENIE_PRIORITIES    severity or kind = P1..P5, kinds winning, e.g.
//	                       "critical=P1,warning=P4,timeouts=P1,deprecated-runtime=P5"
//	                       (defaults: critical P2, warning P3, deprecated-runtime P4,
//	                       the info-only kinds P5)
//	OPSGENIE_MAX_NEW_ALERTS  alerts a run opens at most (default 20; "none": no cap)
//	OPSGENIE_FORCE         true: send a report older than the stored open-alert set's
//	OPSGENIE_RESPONDERS    e.g. "team:payments,user:ana@example.com,schedule:Primary,escalation:Ops"
//	OPSGENIE_TEAM          a team name, shorthand for OPSGENIE_RESPONDERS=team:<name>
//	OPSGENIE_TAGS          extra tags, comma-separated
//	OPSGENIE_DRY_RUN       true: build the requests, send none
//
// It reports a value it cannot read, naming the variable; Validate checks
// the rest. Without OPSGENIE_API_KEY the config is not Enabled.
func ConfigFromEnv() (Config, error) {
	return ConfigFromLookup(os.LookupEnv)
}

// Enabled says whether an API key is set: whether alerts can be sent.
func (c Config) Enabled() bool { return c.APIKey != "" }

// ConfigFromLookup is ConfigFromEnv over another environment (a
// deployed host's, with secrets read from a parameter store).
func ConfigFromLookup(lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	var c Config
	c.APIKey, _ = lookup("OPSGENIE_API_KEY")
	switch r := strings.ToLower(get("OPSGENIE_REGION")); r {
	case "", "us":
	case "eu":
		c.BaseURL = EU
	case "jsm":
		c.BaseURL = JSM
	default:
		return c, ogConfigErr("OPSGENIE_REGION %q: must be us, eu or jsm", r)
	}
	if u := get("OPSGENIE_URL"); u != "" {
		c.BaseURL = u
	}
	c.MinSeverity = insights.Severity(strings.ToLower(get("OPSGENIE_MIN_SEVERITY")))
	for _, kv := range ogList(get("OPSGENIE_PRIORITIES")) {
		s, p, ok := strings.Cut(kv, "=")
		if !ok {
			return c, ogConfigErr("OPSGENIE_PRIORITIES %q: want severity=P1..P5 or kind=P1..P5 pairs, e.g. critical=P1,warning=P4,deprecated-runtime=P5", kv)
		}
		key, prio := strings.ToLower(strings.TrimSpace(s)), strings.ToUpper(strings.TrimSpace(p))
		switch sev := insights.Severity(key); {
		case sev == insights.Critical || sev == insights.Warning || sev == insights.Info:
			if c.Priorities == nil {
				c.Priorities = map[insights.Severity]string{}
			}
			c.Priorities[sev] = prio
		default: // a kind; Validate names the valid ones
			if c.KindPriorities == nil {
				c.KindPriorities = map[string]string{}
			}
			c.KindPriorities[key] = prio
		}
	}
	switch m := strings.ToLower(get("OPSGENIE_MAX_NEW_ALERTS")); m {
	case "":
	case "none", "unlimited":
		c.MaxNewAlerts = -1
	default:
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 {
			return c, ogConfigErr("OPSGENIE_MAX_NEW_ALERTS %q: must be a whole number of alerts ≥ 1, or none (no cap); default %d", m, DefaultMaxNewAlerts)
		}
		c.MaxNewAlerts = n
	}
	switch f := strings.ToLower(get("OPSGENIE_FORCE")); f {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		c.Force = true
	default:
		return c, ogConfigErr("OPSGENIE_FORCE %q: must be true or false", f)
	}
	for _, r := range ogList(get("OPSGENIE_RESPONDERS")) {
		typ, name, ok := strings.Cut(r, ":")
		if !ok || name == "" {
			return c, ogConfigErr("OPSGENIE_RESPONDERS %q: want type:name, e.g. team:payments or user:ana@example.com", r)
		}
		resp := Responder{Type: strings.ToLower(typ)}
		if resp.Type == "user" {
			resp.Username = name
		} else {
			resp.Name = name
		}
		c.Responders = append(c.Responders, resp)
	}
	if t := get("OPSGENIE_TEAM"); t != "" {
		c.Responders = append(c.Responders, Responder{Type: "team", Name: t})
	}
	c.Tags = ogList(get("OPSGENIE_TAGS"))
	switch d := strings.ToLower(get("OPSGENIE_DRY_RUN")); d {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		c.DryRun = true
	default:
		return c, ogConfigErr("OPSGENIE_DRY_RUN %q: must be true or false", d)
	}
	return c, nil
}

// ogList splits a comma-separated list, dropping empty items.
func ogList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
