package insights

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lambdaudit/lambdaudit/didyoumean"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// The insight kinds, in the order of the catalogue (INSIGHTS.md).
const (
	KindNearTimeout           = "near-timeout"
	KindTimeouts              = "timeouts"
	KindMemoryNearLimit       = "memory-near-limit"
	KindMemoryOverprovisioned = "memory-overprovisioned"
	KindColdStarts            = "cold-starts"
	KindCostSpike             = "cost-spike"
	KindErrorRate             = "error-rate"
	KindThrottles             = "throttles"
	KindDeprecatedRuntime     = "deprecated-runtime"
	KindARM64Candidate        = "arm64-candidate"
	KindConcurrencyNearLimit  = "concurrency-near-limit"
	KindIteratorAge           = "iterator-age"
	KindAsyncFailures         = "async-failures"
	KindProvisionedIdle       = "provisioned-concurrency-idle"
	KindRecursiveLoop         = "recursive-loop"
)

// Kinds lists every insight kind, in catalogue order.
var Kinds = []string{
	KindNearTimeout, KindTimeouts, KindMemoryNearLimit, KindMemoryOverprovisioned, KindColdStarts,
	KindCostSpike, KindErrorRate, KindThrottles, KindDeprecatedRuntime, KindARM64Candidate,
	KindConcurrencyNearLimit, KindIteratorAge, KindAsyncFailures, KindProvisionedIdle, KindRecursiveLoop,
}

func kindIndex(kind string) int { return slices.Index(Kinds, kind) }

// Threshold indices: one per (kind, setting), in params order.
const (
	pNearTimeoutWarn = iota
	pNearTimeoutCritical
	pTimeoutsCritical
	pTimeoutsDays
	pMemNearWarn
	pMemNearCritical
	pOverMinInvocations
	pOverDays
	pOverMinMemoryMB
	pOverMaxUsed
	pOverHeadroom
	pOverStepMB
	pColdMinInvocations
	pColdShare
	pColdP95InitMs
	pSpikeWarnRatio
	pSpikeWarnUSD
	pSpikeCriticalRatio
	pSpikeCriticalUSD
	pSpikeDays
	pSpikeMinDays
	pErrCritical
	pErrDays
	pErrWarn
	pErrWarnMinErrors
	pThrWarn
	pThrCritical
	pThrMinThrottles
	pDeprecatedWarnDays
	pARMMinMonthlyUSD
	pARMSaving
	pConcWarn
	pConcCritical
	pIterWarnMinutes
	pIterCriticalMinutes
	pAsyncMin
	pPCMaxUtilization
	pRecursiveMin
	nParams
)

// param is one threshold: its name in the config file and in tags
// ("kind.name"), default, range and meaning.
type param struct {
	kind, name string
	def        float64
	min, max   float64
	minOpen    bool // the range is (min, max] rather than [min, max]
	integer    bool
	doc        string
}

var params = [nParams]param{
	pNearTimeoutWarn:     {KindNearTimeout, "warn", 0.80, 0, 1, true, false, "max Duration as a share of the timeout → warning"},
	pNearTimeoutCritical: {KindNearTimeout, "critical", 0.95, 0, 1, true, false, "max Duration as a share of the timeout → critical"},
	pTimeoutsCritical:    {KindTimeouts, "critical", 0.10, 0, 1, true, false, "timed-out share of a day's invocations → critical"},
	pTimeoutsDays:        {KindTimeouts, "days", 7, 1, 63, false, true, "days (report day included) the critical share is looked for"},
	pMemNearWarn:         {KindMemoryNearLimit, "warn", 0.90, 0, 1, true, false, "max memory used as a share of the configured → warning"},
	pMemNearCritical:     {KindMemoryNearLimit, "critical", 0.97, 0, 1, true, false, "max memory used as a share of the configured → critical (an out-of-memory end always is)"},
	pOverMinInvocations:  {KindMemoryOverprovisioned, "minInvocations", 50, 1, 1e12, false, true, "invocations needed over the lookback"},
	pOverDays:            {KindMemoryOverprovisioned, "days", 14, 1, 63, false, true, "lookback in days (report day included)"},
	pOverMinMemoryMB:     {KindMemoryOverprovisioned, "minMemoryMB", 128, 128, 10240, false, true, "only functions with more memory than this"},
	pOverMaxUsed:         {KindMemoryOverprovisioned, "maxUsed", 0.40, 0, 1, true, false, "max memory used as a share of the configured, at most"},
	pOverHeadroom:        {KindMemoryOverprovisioned, "headroom", 1.5, 1, 10, false, false, "recommendation: max used × headroom"},
	pOverStepMB:          {KindMemoryOverprovisioned, "stepMB", 64, 1, 1024, false, true, "recommendation rounded up to a multiple of this"},
	pColdMinInvocations:  {KindColdStarts, "minInvocations", 100, 1, 1e12, false, true, "invocations on the report day needed"},
	pColdShare:           {KindColdStarts, "share", 0.05, 0, 1, true, false, "cold-start share of the report day's invocations → warning"},
	pColdP95InitMs:       {KindColdStarts, "p95InitMs", 1000, 1, 600000, false, false, "p95 Init Duration, ms → warning"},
	pSpikeWarnRatio:      {KindCostSpike, "warnRatio", 2, 1, 1e6, true, false, "report-day cost ÷ baseline median → warning"},
	pSpikeWarnUSD:        {KindCostSpike, "warnUSD", 1, 0, 1e9, false, false, "and at least this many dollars a day above the median"},
	pSpikeCriticalRatio:  {KindCostSpike, "criticalRatio", 5, 1, 1e6, true, false, "report-day cost ÷ baseline median → critical"},
	pSpikeCriticalUSD:    {KindCostSpike, "criticalUSD", 10, 0, 1e9, false, false, "and at least this many dollars a day above the median"},
	pSpikeDays:           {KindCostSpike, "days", 7, 1, 62, false, true, "baseline: the days before the report day"},
	pSpikeMinDays:        {KindCostSpike, "minDays", 3, 1, 62, false, true, "baseline days with cost data needed"},
	pErrCritical:         {KindErrorRate, "critical", 0.10, 0, 1, true, false, "errors as a share of a day's invocations → critical"},
	pErrDays:             {KindErrorRate, "days", 7, 1, 63, false, true, "days (report day included) the critical share is looked for"},
	pErrWarn:             {KindErrorRate, "warn", 0.01, 0, 1, true, false, "errors as a share of the report day's invocations → warning"},
	pErrWarnMinErrors:    {KindErrorRate, "warnMinErrors", 10, 1, 1e12, false, true, "and at least this many errors"},
	pThrWarn:             {KindThrottles, "warn", 0.01, 0, 1, true, false, "throttles ÷ (invocations + throttles) → warning"},
	pThrCritical:         {KindThrottles, "critical", 0.10, 0, 1, true, false, "throttles ÷ (invocations + throttles) → critical"},
	pThrMinThrottles:     {KindThrottles, "minThrottles", 10, 1, 1e12, false, true, "throttles needed for either severity"},
	pDeprecatedWarnDays:  {KindDeprecatedRuntime, "warnDays", 180, 0, 3650, false, true, "days before the deprecation date → warning"},
	pARMMinMonthlyUSD:    {KindARM64Candidate, "minMonthlyUSD", 5, 0, 1e9, false, false, "monthly duration cost (INIT included) needed"},
	pARMSaving:           {KindARM64Candidate, "saving", 0.20, 0, 1, true, false, "share of the duration cost arm64 saves"},
	pConcWarn:            {KindConcurrencyNearLimit, "warn", 0.80, 0, 1, true, false, "region's max ConcurrentExecutions ÷ account limit → warning"},
	pConcCritical:        {KindConcurrencyNearLimit, "critical", 0.90, 0, 1, true, false, "region's max ConcurrentExecutions ÷ account limit → critical"},
	pIterWarnMinutes:     {KindIteratorAge, "warnMinutes", 30, 0, 1e6, true, false, "max IteratorAge, minutes → warning"},
	pIterCriticalMinutes: {KindIteratorAge, "criticalMinutes", 120, 0, 1e6, true, false, "max IteratorAge, minutes → critical"},
	pAsyncMin:            {KindAsyncFailures, "min", 1, 1, 1e12, false, true, "dropped events, dead-letter errors and destination failures needed"},
	pPCMaxUtilization:    {KindProvisionedIdle, "maxUtilization", 0.60, 0, 1, true, false, "max ProvisionedConcurrencyUtilization below this → info"},
	pRecursiveMin:        {KindRecursiveLoop, "min", 1, 1, 1e12, false, true, "RecursiveInvocationsDropped needed"},
}

// orderedPairs are thresholds that must not decrease: (lower, higher).
var orderedPairs = [][2]int{
	{pNearTimeoutWarn, pNearTimeoutCritical},
	{pMemNearWarn, pMemNearCritical},
	{pSpikeWarnRatio, pSpikeCriticalRatio},
	{pSpikeWarnUSD, pSpikeCriticalUSD},
	{pSpikeMinDays, pSpikeDays},
	{pErrWarn, pErrCritical},
	{pThrWarn, pThrCritical},
	{pConcWarn, pConcCritical},
	{pIterWarnMinutes, pIterCriticalMinutes},
}

func paramIndex(kind, name string) int {
	for i := range params {
		if params[i].kind == kind && params[i].name == name {
			return i
		}
	}
	return -1
}

func paramNames(kind string) []string {
	var out []string
	for _, p := range params {
		if p.kind == kind {
			out = append(out, p.name)
		}
	}
	return out
}

// Threshold describes one setting of a rule: the key "kind.name" used
// in the config file and in tags, its default and its range.
type Threshold struct {
	Kind, Name string
	Default    float64
	// Range is the accepted values, e.g. "(0, 1]" or "integer in [1, 63]".
	Range string
	Doc   string
}

// Thresholds lists every setting of every rule with its default.
func Thresholds() []Threshold {
	out := make([]Threshold, 0, nParams)
	for _, p := range params {
		out = append(out, Threshold{Kind: p.kind, Name: p.name, Default: p.def, Range: p.rangeText(), Doc: p.doc})
	}
	return out
}

func (p param) rangeText() string {
	open := "["
	if p.minOpen {
		open = "("
	}
	r := fmt.Sprintf("%s%s, %s]", open, fmtNum(p.min), fmtNum(p.max))
	if p.integer {
		r = "integer in " + r
	}
	return r
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func (p param) check(v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("must be a number in %s, got %v", p.rangeText(), v)
	case v < p.min || v > p.max || (p.minOpen && v == p.min):
		return fmt.Errorf("must be in %s, got %s", p.rangeText(), fmtNum(v))
	case p.integer && v != math.Trunc(v):
		return fmt.Errorf("must be an integer in %s, got %s", p.rangeText(), fmtNum(v))
	}
	return nil
}

// settings are the resolved thresholds of one function (or region): a
// value per param and the kinds it ignores.
type settings struct {
	v      [nParams]float64
	ignore uint32 // bit i: Kinds[i] is ignored
}

func (s *settings) get(i int) float64 { return s.v[i] }

func (s *settings) ignored(kind string) bool { return s.ignore&(1<<kindIndex(kind)) != 0 }

// Config is the insights configuration: thresholds per rule, rules
// turned off, overrides by function name pattern, and the report's list
// sizes. Zero values take INSIGHTS.md's defaults; docs/report.md lists
// every setting. Functions override it further with tags:
// "lambdaudit:ignore" = kinds separated by commas, spaces, "+" or "/"
// (or "all"), and "lambdaudit:<kind>.<threshold>" = a value.
//
//	rules:
//	  near-timeout: {warn: 0.85, critical: 0.95}
//	ignore: [arm64-candidate]
//	overrides:
//	  - match: "legacy-*"          # glob on the function name
//	    account: "111111111111"    # optional, glob
//	    region: "eu-*"             # optional, glob
//	    ignore: [cold-starts]
//	    thresholds: {near-timeout.warn: 0.9}
//	report: {top: 10, movers: 10}
type Config struct {
	Rules     map[string]map[string]float64 `yaml:"rules"`
	Ignore    []string                      `yaml:"ignore"`
	Overrides []Override                    `yaml:"overrides"`
	Report    ReportSettings                `yaml:"report"`

	base      settings
	overrides []resolvedOverride
	validated bool
}

// Override changes the thresholds of the functions whose name matches a
// glob (path.Match syntax), optionally only in some accounts or regions.
// Later overrides win over earlier ones; tags win over every override.
type Override struct {
	Match      string             `yaml:"match"`
	Account    string             `yaml:"account"`
	Region     string             `yaml:"region"`
	Ignore     []string           `yaml:"ignore"`
	Thresholds map[string]float64 `yaml:"thresholds"`
}

type resolvedOverride struct {
	Override
	set    map[int]float64
	ignore uint32
}

// ReportSettings size the report's lists.
type ReportSettings struct {
	// Top is how many functions the top-by-cost list holds (default 10).
	Top int `yaml:"top"`
	// Movers is how many functions the biggest-cost-movers list holds
	// (default 10).
	Movers int `yaml:"movers"`
}

// Default sizes of the report's lists.
const (
	DefaultTop    = 10
	DefaultMovers = 10
)

// ConfigError is an invalid configuration value, naming its field
// ("rules.near-timeout.warn", "overrides[1].match").
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return "insights config: " + e.Field + ": " + e.Msg }

// DefaultConfig is the configuration with every default of INSIGHTS.md.
func DefaultConfig() *Config {
	c := &Config{}
	if err := c.Validate(); err != nil {
		panic(err) // the defaults are valid; a test keeps them so
	}
	return c
}

// LoadConfig reads a YAML config file (see Config).
func LoadConfig(file string) (*Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("insights config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

// ParseConfig decodes and validates a YAML config; unknown keys (with
// the nearest valid one), unknown rules or thresholds, values of the
// wrong kind and values out of range are errors naming the field and
// what it accepts. A single rule name is accepted where a list is
// expected. An empty document is the default config.
func ParseConfig(b []byte) (*Config, error) {
	var c Config
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("insights config: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := checkTree(&root); err != nil {
		return nil, err
	}
	if len(root.Content) > 0 {
		if err := root.Decode(&c); err != nil {
			return nil, decodeError(b, err)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks the config and resolves it; Build calls it. The first
// problem is returned as a *ConfigError.
func (c *Config) Validate() error {
	base := settings{}
	for i, p := range params {
		base.v[i] = p.def
	}
	for _, kind := range sortedKeys(c.Rules) {
		if kindIndex(kind) < 0 {
			return &ConfigError{"rules." + kind, fmt.Sprintf("unknown rule%s (known: %s)", suggest(kind, Kinds), strings.Join(Kinds, ", "))}
		}
		for _, name := range sortedKeys(c.Rules[kind]) {
			field := "rules." + kind + "." + name
			i := paramIndex(kind, name)
			if i < 0 {
				return &ConfigError{field, fmt.Sprintf("unknown threshold of %s%s (known: %s)", kind, suggest(name, paramNames(kind)), strings.Join(paramNames(kind), ", "))}
			}
			if err := params[i].check(c.Rules[kind][name]); err != nil {
				return &ConfigError{field, err.Error()}
			}
			base.v[i] = c.Rules[kind][name]
		}
	}
	if err := checkOrder(&base, func(i int) string { return "rules." + params[i].kind + "." + params[i].name }); err != nil {
		return err
	}
	ign, err := parseKinds(c.Ignore, "ignore")
	if err != nil {
		return err
	}
	base.ignore = ign
	var ovs []resolvedOverride
	for k, o := range c.Overrides {
		field := fmt.Sprintf("overrides[%d]", k)
		if o.Match == "" {
			return &ConfigError{field + ".match", "a glob on the function name is required (\"*\" for every function)"}
		}
		for name, pat := range map[string]string{"match": o.Match, "account": o.Account, "region": o.Region} {
			if _, err := path.Match(pat, ""); err != nil {
				return &ConfigError{field + "." + name, fmt.Sprintf("bad glob %q: %v", pat, err)}
			}
		}
		ro := resolvedOverride{Override: o, set: map[int]float64{}}
		if ro.ignore, err = parseKinds(o.Ignore, field+".ignore"); err != nil {
			return err
		}
		for _, key := range sortedKeys(o.Thresholds) {
			i, err := parseParamKey(key)
			if err != nil {
				return &ConfigError{field + ".thresholds." + key, err.Error()}
			}
			if err := params[i].check(o.Thresholds[key]); err != nil {
				return &ConfigError{field + ".thresholds." + key, err.Error()}
			}
			ro.set[i] = o.Thresholds[key]
		}
		trial := base
		for i, v := range ro.set {
			trial.v[i] = v
		}
		if err := checkOrder(&trial, func(i int) string { return field + ".thresholds." + params[i].kind + "." + params[i].name }); err != nil {
			return err
		}
		ovs = append(ovs, ro)
	}
	switch {
	case c.Report.Top < 0 || c.Report.Top > 1000:
		return &ConfigError{"report.top", fmt.Sprintf("must be in [0, 1000] (0 = default %d), got %d", DefaultTop, c.Report.Top)}
	case c.Report.Movers < 0 || c.Report.Movers > 1000:
		return &ConfigError{"report.movers", fmt.Sprintf("must be in [0, 1000] (0 = default %d), got %d", DefaultMovers, c.Report.Movers)}
	}
	c.base, c.overrides, c.validated = base, ovs, true
	return nil
}

var lineRe = regexp.MustCompile(`line (\d+): (.*)`)

// decodeError names the field of a YAML decoding error (the yaml package
// gives only its line): "rules.near-timeout.warn: line 3: cannot
// unmarshal !!str `high` into float64".
func decodeError(b []byte, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	m := lineRe.FindStringSubmatch(msg)
	var root yaml.Node
	if m == nil || yaml.Unmarshal(b, &root) != nil || len(root.Content) == 0 {
		return fmt.Errorf("insights config: %w", err)
	}
	line, _ := strconv.Atoi(m[1])
	if field := fieldAtLine(root.Content[0], line, ""); field != "" {
		return &ConfigError{Field: field, Msg: "line " + m[1] + ": " + plainYAMLError(m[2])}
	}
	return fmt.Errorf("insights config: line %s: %s", m[1], plainYAMLError(m[2]))
}

var (
	unmarshalRe = regexp.MustCompile("cannot unmarshal !!\\w+ `([^`]*)` into (\\S+)")
	notFoundRe  = regexp.MustCompile(`field (\S+) not found in type \S+`)
)

// plainYAMLError rewrites the yaml package's messages that name Go types
// in the words of the config file.
func plainYAMLError(msg string) string {
	if m := unmarshalRe.FindStringSubmatch(msg); m != nil {
		want := "a value of another kind"
		switch {
		case strings.HasPrefix(m[2], "float"):
			want = "a number"
		case strings.HasPrefix(m[2], "int"), strings.HasPrefix(m[2], "uint"):
			want = "an integer"
		case m[2] == "string":
			want = "a string"
		case strings.HasPrefix(m[2], "[]"):
			want = "a list"
		case strings.HasPrefix(m[2], "map["):
			want = "a mapping"
		}
		return fmt.Sprintf("want %s, got '%s'", want, m[1])
	}
	if m := notFoundRe.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown key '%s'", m[1])
	}
	return msg
}

// fieldAtLine is the dotted path of the innermost key on a line.
func fieldAtLine(n *yaml.Node, line int, path string) string {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if inner := fieldAtLine(v, line, p); inner != "" {
				return inner
			}
			if k.Line == line {
				return p
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if inner := fieldAtLine(c, line, p); inner != "" {
				return inner
			}
			if c.Line == line && c.Kind == yaml.ScalarNode {
				return p
			}
		}
	}
	return ""
}

func checkOrder(s *settings, field func(int) string) error {
	for _, pr := range orderedPairs {
		lo, hi := pr[0], pr[1]
		if s.v[lo] > s.v[hi] {
			return &ConfigError{field(hi), fmt.Sprintf("must not be below %s.%s (%s), got %s",
				params[lo].kind, params[lo].name, fmtNum(s.v[lo]), fmtNum(s.v[hi]))}
		}
	}
	return nil
}

func parseKinds(kinds []string, field string) (uint32, error) {
	var m uint32
	for j, k := range kinds {
		if k == "all" {
			m |= 1<<len(Kinds) - 1
			continue
		}
		i := kindIndex(k)
		if i < 0 {
			return 0, &ConfigError{fmt.Sprintf("%s[%d]", field, j), fmt.Sprintf("unknown rule %q%s (known: all, %s)", k, suggest(k, Kinds), strings.Join(Kinds, ", "))}
		}
		m |= 1 << i
	}
	return m, nil
}

// parseParamKey resolves "kind.name".
func parseParamKey(key string) (int, error) {
	kind, name, ok := strings.Cut(key, ".")
	if !ok {
		return -1, fmt.Errorf("want <rule>.<threshold>, e.g. near-timeout.warn%s", suggest(key, thresholdKeys()))
	}
	if kindIndex(kind) < 0 {
		return -1, fmt.Errorf("unknown rule %q%s (known: %s)", kind, suggest(key, thresholdKeys()), strings.Join(Kinds, ", "))
	}
	i := paramIndex(kind, name)
	if i < 0 {
		return -1, fmt.Errorf("unknown threshold %q of %s%s (known: %s)", name, kind, suggest(name, paramNames(kind)), strings.Join(paramNames(kind), ", "))
	}
	return i, nil
}

// suggest is "; did you mean 'x'?" for the choice nearest to word, or "".
func suggest(word string, choices []string) string {
	if s := didyoumean.Nearest(word, choices); s != "" {
		return fmt.Sprintf("; did you mean '%s'?", s)
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Tag keys a function can carry to change its own thresholds.
const (
	TagPrefix = "lambdaudit:"
	TagIgnore = TagPrefix + "ignore"
)

// ConfigProblem is a tag of a function that could not be applied; the
// tag is ignored and the rest of the report stands.
type ConfigProblem struct {
	Function string `json:"function"`
	Tag      string `json:"tag"`
	Value    string `json:"value"`
	Problem  string `json:"problem"`
}

// forFunction resolves a function's settings: the config's rules, the
// matching overrides in order, then the function's lambdaudit: tags.
func (c *Config) forFunction(f *scanner.Function) (*settings, []ConfigProblem) {
	var s *settings
	own := func() *settings {
		if s == nil {
			cp := c.base
			s = &cp
		}
		return s
	}
	for k := range c.overrides {
		o := &c.overrides[k]
		if !globMatch(o.Match, f.Name) || (o.Account != "" && !globMatch(o.Account, f.Account)) || (o.Region != "" && !globMatch(o.Region, f.Region)) {
			continue
		}
		s := own()
		s.ignore |= o.ignore
		for i, v := range o.set {
			s.v[i] = v
		}
	}
	var problems []ConfigProblem
	for _, key := range sortedKeys(f.Tags) {
		if !strings.HasPrefix(key, TagPrefix) {
			continue
		}
		val := f.Tags[key]
		bad := func(format string, a ...any) {
			problems = append(problems, ConfigProblem{Function: f.ID, Tag: key, Value: val, Problem: fmt.Sprintf(format, a...)})
		}
		if key == TagIgnore {
			kinds := strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' || r == '+' || r == '/' })
			m, err := parseKinds(kinds, "tag")
			if err != nil {
				bad("%s", err.(*ConfigError).Msg)
				continue
			}
			own().ignore |= m
			continue
		}
		i, err := parseParamKey(strings.TrimPrefix(key, TagPrefix))
		if err != nil {
			bad("%v", err)
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			bad("not a number")
			continue
		}
		if err := params[i].check(v); err != nil {
			bad("%v", err)
			continue
		}
		trial := *own()
		trial.v[i] = v
		if err := checkOrder(&trial, func(i int) string { return params[i].kind + "." + params[i].name }); err != nil {
			bad("%s: %s", err.(*ConfigError).Field, err.(*ConfigError).Msg)
			continue
		}
		s.v[i] = v
	}
	if s == nil {
		return &c.base, problems
	}
	return s, problems
}

func globMatch(pattern, name string) bool {
	ok, _ := path.Match(pattern, name)
	return ok
}

func (c *Config) top() int {
	if c.Report.Top == 0 {
		return DefaultTop
	}
	return c.Report.Top
}

func (c *Config) movers() int {
	if c.Report.Movers == 0 {
		return DefaultMovers
	}
	return c.Report.Movers
}
