package fleet

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Spec is the fleet spec file: accounts → regions → functions, or a
// generator for fleets too large to write by hand. See the package doc for
// the format.
type Spec struct {
	Seed int64 `yaml:"seed"`
	// Days of complete history ending yesterday (UTC). Default 14, at least 14.
	Days int `yaml:"days"`
	// Now pins the simulated clock's start ("2026-11-21T06:00:00Z"). Empty:
	// the clock passed to Build.
	Now      string         `yaml:"now"`
	Accounts []AccountSpec  `yaml:"accounts"`
	Generate *GeneratorSpec `yaml:"generate"`
	Defaults *FunctionSpec  `yaml:"defaults"`
	root     *yaml.Node
}

// AccountSpec is one AWS account of the fleet.
type AccountSpec struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// ExternalID, when set, must be passed to sts:AssumeRole.
	ExternalID string `yaml:"externalId"`
	// RoleName is the role lambdaudit assumes in this account. Default
	// "lambdaudit-member".
	RoleName string `yaml:"roleName"`
	// ConcurrencyLimit is the account's concurrent executions limit per
	// region (GetAccountSettings). Default 1000.
	ConcurrencyLimit int          `yaml:"concurrencyLimit"`
	Regions          []RegionSpec `yaml:"regions"`
}

// RegionSpec is one region of an account.
type RegionSpec struct {
	Name string `yaml:"name"`
	// Disabled makes the region answer like an opt-in region that is not
	// enabled: every call fails with UnrecognizedClientException.
	Disabled bool `yaml:"disabled"`
	// ConcurrentExecutions overrides the region's (no-dimension)
	// ConcurrentExecutions daily maximum; default: the sum of the functions'
	// hourly concurrency.
	ConcurrentExecutions *Series        `yaml:"concurrentExecutions"`
	Functions            []FunctionSpec `yaml:"functions"`
}

// FunctionSpec is one Lambda function: its configuration and what it did.
type FunctionSpec struct {
	Name         string `yaml:"name"`
	Runtime      string `yaml:"runtime"`
	Architecture string `yaml:"architecture"`
	MemoryMB     int    `yaml:"memoryMB"`
	TimeoutS     int    `yaml:"timeoutS"`
	EphemeralMB  int    `yaml:"ephemeralMB"`
	PackageType  string `yaml:"packageType"`
	Handler      string `yaml:"handler"`
	LogGroup     string `yaml:"logGroup"`
	LogFormat    string `yaml:"logFormat"`
	// LogGroupClass is the log group's class: STANDARD (default),
	// INFREQUENT_ACCESS or DELIVERY. A Delivery-class group (Lambda logs
	// delivered on to S3 or Firehose) cannot be queried by Logs Insights.
	LogGroupClass string `yaml:"logGroupClass"`
	// CapacityProvider makes the function a Lambda Managed Instances
	// function on this capacity provider (a name, or the provider's ARN):
	// ListFunctions shows CapacityProviderConfig, memory may go up to
	// 32768 MB and the timeout up to 5400 s, and logs are JSON only.
	CapacityProvider string            `yaml:"capacityProvider"`
	Tags             map[string]string `yaml:"tags"`
	Layers           []string          `yaml:"layers"`
	// ProvisionedConcurrency is the allocated provisioned concurrency on
	// the function's alias "live" (0: none).
	ProvisionedConcurrency int `yaml:"provisionedConcurrency"`
	// ReservedConcurrency, when set, is the function's reserved concurrency.
	ReservedConcurrency *int `yaml:"reservedConcurrency"`
	// LambdaInsights: the function runs the Lambda Insights extension, so
	// the LambdaInsights namespace has its metrics.
	LambdaInsights bool `yaml:"lambdaInsights"`
	// Async configures an event invoke config (retries, destinations).
	Async *AsyncSpec `yaml:"async"`
	// PublishedVersions adds numbered versions to ListFunctions?FunctionVersion=ALL.
	PublishedVersions int `yaml:"publishedVersions"`
	// CreatedDaysAgo: the function has no data before this many days ago
	// (1 = created yesterday). Default: the fleet's days.
	CreatedDaysAgo int `yaml:"createdDaysAgo"`
	// MemoryChange: before DaysAgo days ago the configured memory was FromMB.
	MemoryChange *MemoryChange `yaml:"memoryChange"`
	Profile      ProfileSpec   `yaml:"profile"`
}

// AsyncSpec is a function's event invoke configuration.
type AsyncSpec struct {
	MaximumRetryAttempts   int    `yaml:"maximumRetryAttempts"`
	MaximumEventAgeSeconds int    `yaml:"maximumEventAgeSeconds"`
	OnFailureDestination   string `yaml:"onFailureDestination"`
	OnSuccessDestination   string `yaml:"onSuccessDestination"`
	DeadLetterTarget       string `yaml:"deadLetterTarget"`
}

// MemoryChange records a memory setting change during the history.
type MemoryChange struct {
	DaysAgo int `yaml:"daysAgo"`
	FromMB  int `yaml:"fromMB"`
}

// ProfileSpec is what a function did each day. Counts are per day; every
// count accepts a number, a list of one value per day (oldest first, the
// last is yesterday), or a map {perDay|rate, spike, hourly}.
type ProfileSpec struct {
	Invocations *Series `yaml:"invocations"`
	// Hourly shape of every count within a day: steady (default) or diurnal.
	Hourly string `yaml:"hourly"`
	// Duration distribution of successful invocations, ms.
	Duration *Dist `yaml:"duration"`
	// DurationFactor scales the duration distribution per day (a series of
	// factors; default 1).
	DurationFactor *Series `yaml:"durationFactor"`
	// MemoryUsed distribution, MB (Max Memory Used of the REPORT lines).
	MemoryUsed *Dist `yaml:"memoryUsed"`
	// Errors other than timeouts and out-of-memory ends (those add to the
	// Errors metric on their own).
	Errors      *Series `yaml:"errors"`
	Timeouts    *Series `yaml:"timeouts"`
	OutOfMemory *Series `yaml:"outOfMemory"`
	Throttles   *Series `yaml:"throttles"`
	// ColdStarts: count or {rate: share of invocations}.
	ColdStarts   *Series `yaml:"coldStarts"`
	InitDuration *Dist   `yaml:"initDuration"`
	// Concurrency: daily maximum of ConcurrentExecutions; default derived
	// from the busiest hour's invocations × average duration.
	Concurrency *Series `yaml:"concurrency"`
	// IteratorAgeMs: daily maximum IteratorAge (stream consumers only).
	IteratorAgeMs *Series `yaml:"iteratorAgeMs"`
	// Async metrics (functions invoked asynchronously).
	AsyncEventsReceived         *Series `yaml:"asyncEventsReceived"`
	AsyncEventAgeMs             *Series `yaml:"asyncEventAgeMs"`
	AsyncEventsDropped          *Series `yaml:"asyncEventsDropped"`
	DeadLetterErrors            *Series `yaml:"deadLetterErrors"`
	DestinationDeliveryFailures *Series `yaml:"destinationDeliveryFailures"`
	// ProvisionedUtilization: daily maximum of
	// ProvisionedConcurrencyUtilization (0–1), with provisionedConcurrency.
	ProvisionedUtilization      *Series `yaml:"provisionedUtilization"`
	RecursiveInvocationsDropped *Series `yaml:"recursiveInvocationsDropped"`
	// AppLogLines per invocation besides START/END/REPORT (default 2) and
	// their size in bytes (default 120).
	AppLogLines *int `yaml:"appLogLines"`
	AppLogBytes *int `yaml:"appLogBytes"`
}

// Dist is a distribution given by percentiles. P50 and Max are required;
// Min defaults to P50/2, P99 (P95 for init durations) to the midpoint of
// P50 and Max.
type Dist struct {
	Min float64 `yaml:"min"`
	P50 float64 `yaml:"p50"`
	P95 float64 `yaml:"p95"`
	P99 float64 `yaml:"p99"`
	Max float64 `yaml:"max"`
}

// Spike multiplies one day of a series.
type Spike struct {
	DaysAgo int     `yaml:"daysAgo"`
	Factor  float64 `yaml:"factor"`
}

// Series is a per-day value: a constant, a list (oldest first, last =
// yesterday), or a rate of the day's invocations, optionally with a spike.
type Series struct {
	Const  float64
	List   []float64
	Rate   float64
	IsRate bool
	Spike  *Spike
	set    bool
}

// UnmarshalYAML accepts a number, a list of numbers, or a map with perDay
// or rate plus an optional spike.
func (s *Series) UnmarshalYAML(n *yaml.Node) error {
	s.set = true
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Decode(&s.Const)
	case yaml.SequenceNode:
		return n.Decode(&s.List)
	case yaml.MappingNode:
		var m struct {
			PerDay *float64  `yaml:"perDay"`
			Rate   *float64  `yaml:"rate"`
			Values []float64 `yaml:"values"`
			Spike  *Spike    `yaml:"spike"`
		}
		if err := decodeStrict(n, &m); err != nil {
			return err
		}
		set := 0
		if m.PerDay != nil {
			s.Const = *m.PerDay
			set++
		}
		if m.Rate != nil {
			s.Rate, s.IsRate = *m.Rate, true
			set++
		}
		if m.Values != nil {
			s.List = m.Values
			set++
		}
		if set != 1 {
			return fmt.Errorf("line %d: a series map needs exactly one of perDay, rate, values", n.Line)
		}
		s.Spike = m.Spike
		return nil
	}
	return fmt.Errorf("line %d: a series is a number, a list or a map", n.Line)
}

// decodeStrict decodes a mapping node refusing unknown keys; errors carry
// the line of the offending key in the spec file.
func decodeStrict(n *yaml.Node, v any) error {
	if err := checkKeys(n, reflect.TypeOf(v)); err != nil {
		return err
	}
	return n.Decode(v)
}

// checkKeys refuses mapping keys that are no yaml field of t, recursively.
func checkKeys(n *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		var ft reflect.Type
		for j := 0; j < t.NumField(); j++ {
			if strings.Split(t.Field(j).Tag.Get("yaml"), ",")[0] == k.Value {
				ft = t.Field(j).Type
			}
		}
		if ft == nil {
			return fmt.Errorf("line %d: field %s not found in type %s", k.Line, k.Value, cmp.Or(t.Name(), "series"))
		}
		if err := checkKeys(n.Content[i+1], ft); err != nil {
			return err
		}
	}
	return nil
}

var (
	lineMsgRe = regexp.MustCompile(`line (\d+): (.*)`)
	unknownRe = regexp.MustCompile(`^field (\S+) not found in type`)
)

// decodeError turns a YAML decoding error into a FieldError naming the
// field path and line of its first problem.
func decodeError(root *yaml.Node, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	m := lineMsgRe.FindStringSubmatch(msg)
	if m == nil {
		return err
	}
	line, _ := strconv.Atoi(m[1])
	text, name := m[2], ""
	if u := unknownRe.FindStringSubmatch(text); u != nil {
		name, text = u[1], fmt.Sprintf("unknown field %q", u[1])
	}
	path := pathAtLine(root, line, name)
	if path == "" {
		return err
	}
	return &FieldError{Path: path, Line: line, Msg: text}
}

// pathAtLine is the dotted path of the outermost key on a line (of the
// key called name, when given), or of a list item there.
func pathAtLine(root *yaml.Node, line int, name string) string {
	var walk func(n *yaml.Node, path string) (string, bool)
	walk = func(n *yaml.Node, path string) (string, bool) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if k.Line == line && (name == "" || k.Value == name) {
					return p, true
				}
				if r, ok := walk(v, p); ok {
					return r, true
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				if c.Line == line && c.Kind == yaml.ScalarNode && name == "" {
					return p, true
				}
				if r, ok := walk(c, p); ok {
					return r, true
				}
			}
		}
		return "", false
	}
	p, _ := walk(root, "")
	return p
}

// at returns the series' value daysAgo days ago (1 = yesterday) for a day
// with inv invocations. Days ≤ 0 (today) repeat yesterday.
func (s *Series) at(daysAgo, days int, inv float64) float64 {
	if s == nil || !s.set {
		return 0
	}
	if daysAgo < 1 {
		daysAgo = 1
	}
	var v float64
	switch {
	case s.IsRate:
		v = s.Rate * inv
	case s.List != nil:
		i := len(s.List) - daysAgo
		if i < 0 {
			i = 0
		}
		v = s.List[i]
	default:
		v = s.Const
	}
	if s.Spike != nil && s.Spike.DaysAgo == daysAgo {
		v *= s.Spike.Factor
	}
	return v
}

// GeneratorSpec describes a generated fleet: Functions functions spread
// over the accounts and regions, Mix the share of functions per anomaly kind.
type GeneratorSpec struct {
	Functions int                `yaml:"functions"`
	Accounts  []string           `yaml:"accounts"`
	Regions   []string           `yaml:"regions"`
	Mix       map[string]float64 `yaml:"mix"`
	// NamePrefix prefixes every generated function name.
	NamePrefix string `yaml:"namePrefix"`
}

// ParseFile reads and validates a spec file.
func ParseFile(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fleet spec: %w", err)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("fleet spec %s: %w", path, err)
	}
	return s, nil
}

// Parse decodes and validates a YAML (or JSON) spec. Errors name the
// field path and, where known, the line.
func Parse(b []byte) (*Spec, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return nil, errors.New("empty spec")
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	var s Spec
	if err := d.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return nil, decodeError(root.Content[0], err)
	}
	s.root = root.Content[0]
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// FieldError is a spec error naming the field path and its line (0 when
// the spec was not read from a file).
type FieldError struct {
	Path string
	Line int
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// lineOf finds the line of a dotted path like "accounts[0].regions[1].name".
func (s *Spec) lineOf(path string) int {
	n := s.root
	if n == nil {
		return 0
	}
	line := n.Line
	for _, part := range strings.Split(path, ".") {
		key, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			key = part[:i]
			idx, _ = strconv.Atoi(strings.TrimSuffix(part[i+1:], "]"))
		}
		if n.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line = n.Content[i].Line
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return line
		}
		n = next
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}

func (s *Spec) fail(path, format string, a ...any) error {
	return &FieldError{Path: path, Line: s.lineOf(path), Msg: fmt.Sprintf(format, a...)}
}

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	regionRe    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	// Lambda's function name rule.
	functionNameRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	// CloudWatch Logs' log group name rule.
	logGroupRe = regexp.MustCompile(`^[\w./#-]{1,512}$`)
)

// Lambda's limits: on-demand functions, and Lambda Managed Instances
// functions (a capacity provider): the SDK (lambda v1.114) documents a
// timeout of up to 5,400 s for their asynchronous and event source mapping
// invocations; the 32,768 MB memory ceiling is from third-party sources.
const (
	MaxMemoryMB        = 10240
	MaxTimeoutS        = 900
	MaxManagedMemoryMB = 32768
	MaxManagedTimeoutS = 5400
)

// Log group classes (DescribeLogGroups logGroupClass).
const (
	ClassStandard         = "STANDARD"
	ClassInfrequentAccess = "INFREQUENT_ACCESS"
	ClassDelivery         = "DELIVERY"
)

var (
	capacityProviderRe    = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	capacityProviderARNRe = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:capacity-provider:[a-zA-Z0-9_-]{1,64}$`)
)

// managedNote points an on-demand function's range error at the higher
// Lambda Managed Instances limit.
func managedNote(f *FunctionSpec, managedMax int) string {
	if f.CapacityProvider != "" {
		return " (Lambda Managed Instances)"
	}
	return fmt.Sprintf(" (up to %d with capacityProvider: Lambda Managed Instances)", managedMax)
}

// Architectures and package types Lambda accepts.
const (
	ArchX86   = "x86_64"
	ArchARM   = "arm64"
	PkgZip    = "Zip"
	PkgImage  = "Image"
	FormatTxt = "Text"
	FormatJSN = "JSON"
)

// Validate applies defaults and checks every field, naming the first bad one.
func (s *Spec) Validate() error {
	if s.Days == 0 {
		s.Days = 14
	}
	if s.Days < 14 || s.Days > 455 {
		return s.fail("days", "must be between 14 and 455, got %d", s.Days)
	}
	if s.Now != "" {
		if _, err := time.Parse(time.RFC3339, s.Now); err != nil {
			return s.fail("now", "not an RFC 3339 time: %q", s.Now)
		}
	}
	if len(s.Accounts) == 0 && s.Generate == nil {
		return s.fail("accounts", "a spec needs accounts or generate")
	}
	if s.Generate != nil {
		if err := s.validateGenerator(); err != nil {
			return err
		}
	}
	seenAcct := map[string]bool{}
	for i := range s.Accounts {
		a := &s.Accounts[i]
		p := fmt.Sprintf("accounts[%d]", i)
		if !accountIDRe.MatchString(a.ID) {
			return s.fail(p+".id", "must be 12 digits, got %q", a.ID)
		}
		if seenAcct[a.ID] {
			return s.fail(p+".id", "duplicate account %s", a.ID)
		}
		seenAcct[a.ID] = true
		if a.RoleName == "" {
			a.RoleName = "lambdaudit-member"
		}
		if a.ConcurrencyLimit == 0 {
			a.ConcurrencyLimit = 1000
		}
		if a.ConcurrencyLimit < 10 {
			return s.fail(p+".concurrencyLimit", "must be at least 10, got %d", a.ConcurrencyLimit)
		}
		seenRegion := map[string]bool{}
		for j := range a.Regions {
			r := &a.Regions[j]
			rp := fmt.Sprintf("%s.regions[%d]", p, j)
			if !regionRe.MatchString(r.Name) {
				return s.fail(rp+".name", "not a region name: %q", r.Name)
			}
			if seenRegion[r.Name] {
				return s.fail(rp+".name", "duplicate region %s", r.Name)
			}
			seenRegion[r.Name] = true
			if err := s.checkSeries(rp+".concurrentExecutions", r.ConcurrentExecutions, false); err != nil {
				return err
			}
			seenFn := map[string]bool{}
			for k := range r.Functions {
				fp := fmt.Sprintf("%s.functions[%d]", rp, k)
				if s.Defaults != nil {
					r.Functions[k] = mergeDefaults(*s.Defaults, r.Functions[k])
				}
				f := &r.Functions[k]
				if err := s.validateFunction(fp, f); err != nil {
					return err
				}
				if seenFn[f.Name] {
					return s.fail(fp+".name", "duplicate function %s", f.Name)
				}
				seenFn[f.Name] = true
			}
		}
	}
	return nil
}

func (s *Spec) validateGenerator() error {
	g := s.Generate
	if g.Functions < 1 || g.Functions > 200000 {
		return s.fail("generate.functions", "must be between 1 and 200000, got %d", g.Functions)
	}
	if len(g.Accounts) == 0 {
		g.Accounts = []string{DefaultAccount}
	}
	for i, a := range g.Accounts {
		if !accountIDRe.MatchString(a) {
			return s.fail(fmt.Sprintf("generate.accounts[%d]", i), "must be 12 digits, got %q", a)
		}
	}
	if len(g.Regions) == 0 {
		g.Regions = []string{DefaultRegion}
	}
	for i, r := range g.Regions {
		if !regionRe.MatchString(r) {
			return s.fail(fmt.Sprintf("generate.regions[%d]", i), "not a region name: %q", r)
		}
	}
	total := 0.0
	for k, v := range g.Mix {
		if !knownAnomaly(k) {
			return s.fail("generate.mix", "unknown anomaly kind %q (known: %s)", k, strings.Join(AnomalyKinds, ", "))
		}
		if v < 0 || v > 1 {
			return s.fail("generate.mix", "%s: share must be between 0 and 1, got %v", k, v)
		}
		if k != RegionAnomaly { // a share of account-regions, not of functions
			total += v
		}
	}
	if total > 1 {
		return s.fail("generate.mix", "shares add up to %v, more than 1", total)
	}
	return nil
}

// mergeDefaults fills the zero fields of f from d.
func mergeDefaults(d, f FunctionSpec) FunctionSpec {
	if f.PackageType == "" {
		f.PackageType = d.PackageType
	}
	if f.Runtime == "" && f.PackageType != PkgImage { // an Image function has no runtime
		f.Runtime = d.Runtime
	}
	if f.Architecture == "" {
		f.Architecture = d.Architecture
	}
	if f.MemoryMB == 0 {
		f.MemoryMB = d.MemoryMB
	}
	if f.TimeoutS == 0 {
		f.TimeoutS = d.TimeoutS
	}
	if f.EphemeralMB == 0 {
		f.EphemeralMB = d.EphemeralMB
	}
	if f.LogFormat == "" {
		f.LogFormat = d.LogFormat
	}
	if f.LogGroupClass == "" {
		f.LogGroupClass = d.LogGroupClass
	}
	if f.CapacityProvider == "" {
		f.CapacityProvider = d.CapacityProvider
	}
	if f.Handler == "" {
		f.Handler = d.Handler
	}
	if f.Tags == nil && d.Tags != nil {
		f.Tags = d.Tags
	}
	p, dp := &f.Profile, d.Profile
	if p.Invocations == nil {
		p.Invocations = dp.Invocations
	}
	if p.Hourly == "" {
		p.Hourly = dp.Hourly
	}
	if p.Duration == nil {
		p.Duration = dp.Duration
	}
	if p.MemoryUsed == nil {
		p.MemoryUsed = dp.MemoryUsed
	}
	if p.ColdStarts == nil {
		p.ColdStarts = dp.ColdStarts
	}
	if p.InitDuration == nil {
		p.InitDuration = dp.InitDuration
	}
	if p.Errors == nil {
		p.Errors = dp.Errors
	}
	return f
}

var managedRuntimes = map[string]bool{}

func init() {
	for _, r := range []string{
		"nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x",
		"python2.7", "python3.6", "python3.7", "python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
		"java8", "java8.al2", "java11", "java17", "java21", "java25",
		"dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "dotnet10",
		"go1.x", "ruby2.5", "ruby2.7", "ruby3.2", "ruby3.3", "ruby3.4",
	} {
		managedRuntimes[r] = true
	}
}

// IsCustomRuntime reports whether a runtime is an OS-only (custom) runtime.
func IsCustomRuntime(r string) bool { return strings.HasPrefix(r, "provided") }

func (s *Spec) validateFunction(p string, f *FunctionSpec) error {
	if !functionNameRe.MatchString(f.Name) {
		return s.fail(p+".name", "must be 1-64 letters, digits, - or _, got %q", f.Name)
	}
	if f.PackageType == "" {
		f.PackageType = PkgZip
	}
	switch f.PackageType {
	case PkgZip:
		if f.Runtime == "" {
			f.Runtime = "nodejs22.x"
		}
		if !managedRuntimes[f.Runtime] && !IsCustomRuntime(f.Runtime) {
			return s.fail(p+".runtime", "unknown runtime %q", f.Runtime)
		}
		if f.Handler == "" && !IsCustomRuntime(f.Runtime) {
			f.Handler = "index.handler"
		}
	case PkgImage:
		if f.Runtime != "" {
			return s.fail(p+".runtime", "an Image function has no runtime, got %q", f.Runtime)
		}
	default:
		return s.fail(p+".packageType", "must be Zip or Image, got %q", f.PackageType)
	}
	if f.Architecture == "" {
		f.Architecture = ArchX86
	}
	if f.Architecture != ArchX86 && f.Architecture != ArchARM {
		return s.fail(p+".architecture", "must be x86_64 or arm64, got %q", f.Architecture)
	}
	maxMem, maxTimeout := MaxMemoryMB, MaxTimeoutS
	if f.CapacityProvider != "" {
		if !capacityProviderRe.MatchString(f.CapacityProvider) && !capacityProviderARNRe.MatchString(f.CapacityProvider) {
			return s.fail(p+".capacityProvider", "must be a capacity provider name (1-64 letters, digits, - or _) or its ARN, got %q", f.CapacityProvider)
		}
		maxMem, maxTimeout = MaxManagedMemoryMB, MaxManagedTimeoutS
	}
	if f.MemoryMB == 0 {
		f.MemoryMB = 128
	}
	if f.MemoryMB < 128 || f.MemoryMB > maxMem {
		return s.fail(p+".memoryMB", "must be between 128 and %d, got %d%s", maxMem, f.MemoryMB, managedNote(f, MaxManagedMemoryMB))
	}
	if f.TimeoutS == 0 {
		f.TimeoutS = 3
	}
	if f.TimeoutS < 1 || f.TimeoutS > maxTimeout {
		return s.fail(p+".timeoutS", "must be between 1 and %d, got %d%s", maxTimeout, f.TimeoutS, managedNote(f, MaxManagedTimeoutS))
	}
	if f.EphemeralMB == 0 {
		f.EphemeralMB = 512
	}
	if f.EphemeralMB < 512 || f.EphemeralMB > 10240 {
		return s.fail(p+".ephemeralMB", "must be between 512 and 10240, got %d", f.EphemeralMB)
	}
	if f.LogFormat == "" {
		f.LogFormat = FormatTxt
		if f.CapacityProvider != "" {
			f.LogFormat = FormatJSN
		}
	}
	if f.LogFormat != FormatTxt && f.LogFormat != FormatJSN {
		return s.fail(p+".logFormat", "must be Text or JSON, got %q", f.LogFormat)
	}
	if f.CapacityProvider != "" && f.LogFormat != FormatJSN {
		return s.fail(p+".logFormat", "a Lambda Managed Instances function (capacityProvider) logs JSON only, got %q", f.LogFormat)
	}
	switch f.LogGroupClass {
	case "":
		f.LogGroupClass = ClassStandard
	case ClassStandard, ClassInfrequentAccess, ClassDelivery:
	default:
		return s.fail(p+".logGroupClass", "must be STANDARD, INFREQUENT_ACCESS or DELIVERY, got %q", f.LogGroupClass)
	}
	if f.LogGroup == "" {
		f.LogGroup = "/aws/lambda/" + f.Name
	}
	if !logGroupRe.MatchString(f.LogGroup) {
		return s.fail(p+".logGroup", "not a log group name: %q", f.LogGroup)
	}
	if f.ProvisionedConcurrency < 0 {
		return s.fail(p+".provisionedConcurrency", "must not be negative")
	}
	if f.ReservedConcurrency != nil && *f.ReservedConcurrency < 0 {
		return s.fail(p+".reservedConcurrency", "must not be negative")
	}
	if f.PublishedVersions < 0 || f.PublishedVersions > 100 {
		return s.fail(p+".publishedVersions", "must be between 0 and 100")
	}
	if f.ProvisionedConcurrency > 0 && f.PublishedVersions == 0 {
		// Provisioned concurrency needs a version behind the alias.
		f.PublishedVersions = 1
	}
	if f.CreatedDaysAgo == 0 {
		f.CreatedDaysAgo = s.Days
	}
	if f.CreatedDaysAgo < 1 || f.CreatedDaysAgo > s.Days {
		return s.fail(p+".createdDaysAgo", "must be between 1 and days (%d), got %d", s.Days, f.CreatedDaysAgo)
	}
	if mc := f.MemoryChange; mc != nil {
		if mc.DaysAgo < 1 || mc.DaysAgo > s.Days {
			return s.fail(p+".memoryChange.daysAgo", "must be between 1 and %d", s.Days)
		}
		if mc.FromMB < 128 || mc.FromMB > maxMem {
			return s.fail(p+".memoryChange.fromMB", "must be between 128 and %d, got %d%s", maxMem, mc.FromMB, managedNote(f, MaxManagedMemoryMB))
		}
	}
	if len(f.Tags) > 50 {
		return s.fail(p+".tags", "at most 50 tags")
	}
	return s.validateProfile(p+".profile", f)
}

func (s *Spec) validateProfile(p string, f *FunctionSpec) error {
	pr := &f.Profile
	if pr.Invocations == nil {
		pr.Invocations = &Series{Const: 0, set: true}
	}
	if pr.Invocations.IsRate {
		return s.fail(p+".invocations", "invocations cannot be a rate")
	}
	switch pr.Hourly {
	case "":
		pr.Hourly = "steady"
	case "steady", "diurnal":
	default:
		return s.fail(p+".hourly", "must be steady or diurnal, got %q", pr.Hourly)
	}
	if pr.Duration == nil {
		pr.Duration = &Dist{P50: 50, Max: 200}
	}
	if err := s.checkDist(p+".duration", pr.Duration, false, float64(f.TimeoutS)*1000); err != nil {
		return err
	}
	if pr.MemoryUsed == nil {
		mem := float64(f.MemoryMB)
		pr.MemoryUsed = &Dist{P50: math.Round(mem * 0.5), Max: math.Round(mem * 0.6)}
	}
	if err := s.checkDist(p+".memoryUsed", pr.MemoryUsed, false, float64(minMemory(f))); err != nil {
		return err
	}
	if pr.InitDuration == nil {
		pr.InitDuration = &Dist{P50: 250, Max: 600}
	}
	if err := s.checkDist(p+".initDuration", pr.InitDuration, true, 10000); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		s    *Series
		rate bool
	}{
		{"durationFactor", pr.DurationFactor, false},
		{"errors", pr.Errors, true},
		{"timeouts", pr.Timeouts, true},
		{"outOfMemory", pr.OutOfMemory, true},
		{"throttles", pr.Throttles, true},
		{"coldStarts", pr.ColdStarts, true},
		{"concurrency", pr.Concurrency, false},
		{"iteratorAgeMs", pr.IteratorAgeMs, false},
		{"asyncEventsReceived", pr.AsyncEventsReceived, true},
		{"asyncEventAgeMs", pr.AsyncEventAgeMs, false},
		{"asyncEventsDropped", pr.AsyncEventsDropped, true},
		{"deadLetterErrors", pr.DeadLetterErrors, true},
		{"destinationDeliveryFailures", pr.DestinationDeliveryFailures, true},
		{"provisionedUtilization", pr.ProvisionedUtilization, false},
		{"recursiveInvocationsDropped", pr.RecursiveInvocationsDropped, true},
	} {
		if c.s == nil { // no path string to build: generated fleets validate 100,000s of these
			continue
		}
		if err := s.checkSeries(p+"."+c.name, c.s, c.rate); err != nil {
			return err
		}
	}
	if err := s.checkSeries(p+".invocations", pr.Invocations, false); err != nil {
		return err
	}
	if pr.ProvisionedUtilization != nil {
		if f.ProvisionedConcurrency == 0 {
			return s.fail(p+".provisionedUtilization", "needs provisionedConcurrency on the function")
		}
		for d := 1; d <= s.Days; d++ {
			if v := pr.ProvisionedUtilization.at(d, s.Days, 0); v > 1 {
				return s.fail(p+".provisionedUtilization", "is a fraction between 0 and 1, got %v", v)
			}
		}
	}
	if pr.AppLogLines != nil && (*pr.AppLogLines < 0 || *pr.AppLogLines > 100) {
		return s.fail(p+".appLogLines", "must be between 0 and 100")
	}
	if pr.AppLogBytes != nil && (*pr.AppLogBytes < 1 || *pr.AppLogBytes > 262144) {
		return s.fail(p+".appLogBytes", "must be between 1 and 262144")
	}
	// Errors, timeouts and out-of-memory ends are invocations: they cannot
	// exceed the day's invocations; cold starts neither.
	for d := 1; d <= s.Days; d++ {
		inv := math.Round(pr.Invocations.at(d, s.Days, 0))
		failed := math.Round(pr.Errors.at(d, s.Days, inv)) + math.Round(pr.Timeouts.at(d, s.Days, inv)) + math.Round(pr.OutOfMemory.at(d, s.Days, inv))
		if failed > inv {
			return s.fail(p+".errors", "errors + timeouts + outOfMemory (%v) exceed the invocations (%v) %d days ago", failed, inv, d)
		}
		if cs := math.Round(pr.ColdStarts.at(d, s.Days, inv)); cs > inv {
			return s.fail(p+".coldStarts", "cold starts (%v) exceed the invocations (%v) %d days ago", cs, inv, d)
		}
	}
	return nil
}

func minMemory(f *FunctionSpec) int {
	m := f.MemoryMB
	if f.MemoryChange != nil && f.MemoryChange.FromMB < m {
		m = f.MemoryChange.FromMB
	}
	return m
}

func (s *Spec) checkSeries(p string, se *Series, rateOK bool) error {
	if se == nil {
		return nil
	}
	if se.IsRate && !rateOK {
		return s.fail(p, "cannot be a rate")
	}
	if se.IsRate && (se.Rate < 0 || se.Rate > 1) {
		return s.fail(p, "rate must be between 0 and 1, got %v", se.Rate)
	}
	if se.List != nil && len(se.List) != s.Days {
		return s.fail(p, "a list needs one value per day (%d), got %d", s.Days, len(se.List))
	}
	for i, v := range se.List {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return s.fail(fmt.Sprintf("%s[%d]", p, i), "must be a non-negative number, got %v", v)
		}
	}
	if se.Const < 0 || math.IsNaN(se.Const) || math.IsInf(se.Const, 0) {
		return s.fail(p, "must be a non-negative number, got %v", se.Const)
	}
	if sp := se.Spike; sp != nil {
		if sp.DaysAgo < 1 || sp.DaysAgo > s.Days {
			return s.fail(p+".spike.daysAgo", "must be between 1 and %d, got %d", s.Days, sp.DaysAgo)
		}
		if sp.Factor < 0 || math.IsNaN(sp.Factor) {
			return s.fail(p+".spike.factor", "must be a non-negative number, got %v", sp.Factor)
		}
	}
	return nil
}

// checkDist fills a distribution's optional points and checks its order.
func (s *Spec) checkDist(p string, d *Dist, init bool, limit float64) error {
	if d.P50 <= 0 {
		return s.fail(p+".p50", "must be positive, got %v", d.P50)
	}
	if d.Max == 0 {
		return s.fail(p+".max", "is required")
	}
	if d.Min == 0 {
		d.Min = d.P50 / 2
	}
	if init {
		if d.P95 == 0 {
			d.P95 = (d.P50 + d.Max) / 2
		}
		if !(d.Min <= d.P50 && d.P50 <= d.P95 && d.P95 <= d.Max) {
			return s.fail(p, "needs min ≤ p50 ≤ p95 ≤ max, got %v ≤ %v ≤ %v ≤ %v", d.Min, d.P50, d.P95, d.Max)
		}
	} else {
		if d.P99 == 0 {
			d.P99 = (d.P50 + d.Max) / 2
		}
		if !(d.Min <= d.P50 && d.P50 <= d.P99 && d.P99 <= d.Max) {
			return s.fail(p, "needs min ≤ p50 ≤ p99 ≤ max, got %v ≤ %v ≤ %v ≤ %v", d.Min, d.P50, d.P99, d.Max)
		}
	}
	if d.Max > limit {
		return s.fail(p+".max", "%v exceeds the limit %v (timeout or memory size)", d.Max, limit)
	}
	return nil
}
