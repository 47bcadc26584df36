package insights

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/scanner"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		field string // the field the error names; "" = valid
	}{
		{"empty file", "", ""},
		{"the documented example", `
rules:
  near-timeout: {warn: 0.85, critical: 0.95}
  cold-starts: {share: 0.1}
ignore: [arm64-candidate]
overrides:
  - match: "legacy-*"
    account: "111111111111"
    region: "eu-*"
    ignore: [cold-starts]
    thresholds: {near-timeout.warn: 0.9}
report: {top: 20, movers: 5}
`, ""},
		{"every threshold at its default", defaultsYAML(), ""},
		{"unknown top-level key", "rule: {}\n", "rule: unknown key 'rule' at line 1; did you mean 'rules'? (known: rules, ignore, overrides, report)"},
		{"only comments", "# nothing set\n", ""},
		{"key set twice", "ignore: [throttles]\nignore: [cold-starts]\n", "ignore: set twice, at lines 1 and 2"},
		{"threshold set twice", "rules:\n  near-timeout:\n    warn: 0.8\n    warn: 0.9\n", "rules.near-timeout.warn: set twice, at lines 3 and 4"},
		{"misspelt threshold key in an override", "overrides:\n  - match: x\n    threshhold: {}\n", "overrides[0].threshhold: unknown key 'threshhold' at line 3; did you mean 'thresholds'?"},
		{"misspelt rule", "rules:\n  near-timout: {warn: 0.9}\n", "rules.near-timout: unknown rule 'near-timout' at line 2; did you mean 'near-timeout'?"},
		{"misspelt threshold", "rules: {cold-starts: {shar: 0.1}}\n", "rules.cold-starts.shar: unknown threshold 'shar' of cold-starts at line 1; did you mean 'share'?"},
		{"misspelt override threshold", "overrides: [{match: \"*\", thresholds: {near-timeout.wran: 0.9}}]\n", "did you mean 'near-timeout.warn'?"},
		{"misspelt report key", "report: {mover: 3}\n", "report.mover: unknown key 'mover' at line 1; did you mean 'movers'?"},
		{"nothing near", "colour: blue\n", "colour: unknown key 'colour' at line 1 (known: rules, ignore, overrides, report)"},
		{"misspelt ignored rule", "ignore: [cold-start]\n", `ignore[0]: unknown rule "cold-start"; did you mean 'cold-starts'?`},
		{"one ignored rule as a scalar", "ignore: arm64-candidate\n", ""},
		{"ignored rules as one comma-separated scalar", "ignore: arm64-candidate, cold-starts\n", ""},
		{"override ignore as a scalar", "overrides: [{match: \"*\", ignore: throttles}]\n", ""},
		{"scalar with a misspelt rule", "ignore: throttle\n", `ignore[0]: unknown rule "throttle"; did you mean 'throttles'?`},
		{"ignore as a mapping", "ignore: {cold-starts: true}\n", "ignore: line 1: want a rule name or a list of them"},
		{"rules as a list", "rules: [near-timeout]\n", "rules: line 1: want a mapping (key: value), got a list"},
		{"threshold without a value", "rules:\n  near-timeout:\n    warn:\n", "rules.near-timeout.warn: line 3: want a number in (0, 1], got no value"},
		{"integer threshold given a word", "rules: {timeouts: {days: week}}\n", "rules.timeouts.days: line 1: want an integer in [1, 63], got 'week'"},
		{"report size given a fraction", "report: {top: 2.5}\n", "report.top: line 1: want an integer in [0, 1000]"},
		{"override not a mapping", "overrides: [legacy-*]\n", "overrides[0]: line 1: want a mapping of match, account, region, ignore, thresholds, got 'legacy-*'"},
		{"override match a list", "overrides: [{match: [a, b]}]\n", "overrides[0].match: line 1: want a glob"},
		{"the whole file a list", "- rules\n", "(top level): line 1: want a mapping of rules, ignore, overrides, report, got a list"},
		{"alias to a mapping", "base: &b {warn: 0.85}\n", "base: unknown key 'base'"},
		{"anchored thresholds reused", "rules:\n  near-timeout: &t {warn: 0.85, critical: 0.95}\n  memory-near-limit: *t\n", ""},
		{"unknown rule", "rules: {near-timeouts: {warn: 0.9}}\n", "rules.near-timeouts"},
		{"unknown threshold", "rules: {near-timeout: {wran: 0.9}}\n", "rules.near-timeout.wran"},
		{"share above 1", "rules: {near-timeout: {warn: 1.5}}\n", "rules.near-timeout.warn"},
		{"share of 0", "rules: {throttles: {warn: 0}}\n", "rules.throttles.warn"},
		{"negative dollars", "rules: {cost-spike: {warnUSD: -1}}\n", "rules.cost-spike.warnUSD"},
		{"fractional days", "rules: {error-rate: {days: 2.5}}\n", "rules.error-rate.days"},
		{"not a number", "rules:\n  near-timeout:\n    warn: high\n", "rules.near-timeout.warn: line 3: want a number in (0, 1], got 'high'"},
		{"unknown key inside an override", "overrides:\n  - match: x\n    thresold: {}\n", "overrides[0].thresold"},
		{"warn above critical", "rules: {near-timeout: {warn: 0.96}}\n", "rules.near-timeout.critical"},
		{"critical below warn", "rules: {memory-near-limit: {critical: 0.85}}\n", "rules.memory-near-limit.critical"},
		{"baseline shorter than its minimum", "rules: {cost-spike: {days: 2}}\n", "rules.cost-spike.days"},
		{"unknown rule ignored", "ignore: [cold-start]\n", "ignore[0]"},
		{"override without match", "overrides: [{ignore: [throttles]}]\n", "overrides[0].match"},
		{"override with a bad glob", "overrides: [{match: \"[a-\"}]\n", "overrides[0].match"},
		{"override of an unknown threshold", "overrides: [{match: \"*\", thresholds: {near-timeout.max: 0.9}}]\n", "overrides[0].thresholds.near-timeout.max"},
		{"override key without a dot", "overrides: [{match: \"*\", thresholds: {warn: 0.9}}]\n", "overrides[0].thresholds.warn: unknown threshold 'warn' at line 1 (keys are <rule>.<threshold>, e.g. near-timeout.warn)"},
		{"override out of range", "overrides: [{match: \"*\", thresholds: {iterator-age.warnMinutes: -5}}]\n", "overrides[0].thresholds.iterator-age.warnMinutes"},
		{"override breaking the order", "overrides: [{match: \"*\", thresholds: {throttles.critical: 0.005}}]\n", "overrides[0].thresholds.throttles.critical"},
		{"override unknown ignore", "overrides: [{match: \"*\", ignore: [everything]}]\n", "overrides[0].ignore[0]"},
		{"report list too long", "report: {top: 5000}\n", "report.top"},
		{"negative movers", "report: {movers: -1}\n", "report.movers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "insights.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path)
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.field != "" && err == nil:
				t.Fatalf("accepted; want an error naming %s", tt.field)
			case tt.field != "" && !strings.Contains(err.Error(), tt.field):
				t.Fatalf("error %q does not name %s", err, tt.field)
			}
			var ce *ConfigError
			if err != nil && !errors.As(err, &ce) {
				t.Errorf("error %v is not a *ConfigError", err)
			}
			// Never a Go type in what a user reads.
			for _, goWord := range []string{"insights.Config", "insights.Override", "insights.Report", "float64", "[]string", "map[", "!!", "not found in type", "unmarshal"} {
				if err != nil && strings.Contains(err.Error(), goWord) {
					t.Errorf("error %q names a Go type (%s)", err, goWord)
				}
			}
		})
	}
}

// defaultsYAML writes every threshold with its default value.
func defaultsYAML() string {
	var b strings.Builder
	b.WriteString("rules:\n")
	kind := ""
	for _, th := range Thresholds() {
		if th.Kind != kind {
			kind = th.Kind
			b.WriteString("  " + kind + ":\n")
		}
		b.WriteString("    " + th.Name + ": " + fmtNum(th.Default) + "\n")
	}
	return b.String()
}

// TestDefaultsMatchCatalogue pins the defaults to INSIGHTS.md.
func TestDefaultsMatchCatalogue(t *testing.T) {
	want := map[string]float64{
		"near-timeout.warn": 0.8, "near-timeout.critical": 0.95,
		"timeouts.critical": 0.10, "timeouts.days": 7,
		"memory-near-limit.warn": 0.9, "memory-near-limit.critical": 0.97,
		"memory-overprovisioned.minInvocations": 50, "memory-overprovisioned.days": 14, "memory-overprovisioned.minMemoryMB": 128,
		"memory-overprovisioned.maxUsed": 0.4, "memory-overprovisioned.headroom": 1.5, "memory-overprovisioned.stepMB": 64,
		"cold-starts.minInvocations": 100, "cold-starts.share": 0.05, "cold-starts.p95InitMs": 1000,
		"cost-spike.warnRatio": 2, "cost-spike.warnUSD": 1, "cost-spike.criticalRatio": 5, "cost-spike.criticalUSD": 10,
		"cost-spike.days": 7, "cost-spike.minDays": 3,
		"error-rate.critical": 0.10, "error-rate.days": 7, "error-rate.warn": 0.01, "error-rate.warnMinErrors": 10,
		"throttles.warn": 0.01, "throttles.critical": 0.10, "throttles.minThrottles": 10,
		"deprecated-runtime.warnDays":   180,
		"arm64-candidate.minMonthlyUSD": 5, "arm64-candidate.saving": 0.2,
		"concurrency-near-limit.warn": 0.8, "concurrency-near-limit.critical": 0.9,
		"iterator-age.warnMinutes": 30, "iterator-age.criticalMinutes": 120,
		"async-failures.min": 1, "provisioned-concurrency-idle.maxUtilization": 0.6, "recursive-loop.min": 1,
	}
	got := map[string]float64{}
	for _, th := range Thresholds() {
		got[th.Kind+"."+th.Name] = th.Default
	}
	if len(got) != len(want) {
		t.Errorf("%d thresholds, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, kind := range Kinds {
		if len(paramNames(kind)) == 0 {
			t.Errorf("rule %s has no threshold", kind)
		}
	}
}

func TestOverrides(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
rules:
  near-timeout: {warn: 0.85}
ignore: [recursive-loop]
overrides:
  - match: "legacy-*"
    ignore: [cold-starts]
    thresholds: {near-timeout.warn: 0.9}
  - match: "legacy-batch"
    region: "eu-*"
    thresholds: {near-timeout.warn: 0.92}
`))
	if err != nil {
		t.Fatal(err)
	}
	fn := func(name, region string, tags map[string]string) *scanner.Function {
		return &scanner.Function{ID: "1/" + region + "/" + name, Account: "1", Region: region, Name: name, Tags: tags}
	}
	tests := []struct {
		name       string
		f          *scanner.Function
		warn       float64
		ignored    []string
		notIgnored []string
		problems   []string // tags reported as problems
	}{
		{"no override", fn("api", "us-east-1", nil), 0.85, []string{"recursive-loop"}, []string{"cold-starts"}, nil},
		{"name pattern", fn("legacy-api", "us-east-1", nil), 0.9, []string{"cold-starts", "recursive-loop"}, []string{"throttles"}, nil},
		{"later override wins where it matches", fn("legacy-batch", "eu-west-1", nil), 0.92, []string{"cold-starts"}, nil, nil},
		{"region filter", fn("legacy-batch", "us-east-1", nil), 0.9, nil, nil, nil},
		{"tag wins over overrides", fn("legacy-api", "us-east-1", map[string]string{"lambdaudit:near-timeout.warn": "0.93"}), 0.93, nil, nil, nil},
		{"ignore tag with commas", fn("api", "us-east-1", map[string]string{"lambdaudit:ignore": "cold-starts,throttles"}), 0.85, []string{"cold-starts", "throttles"}, []string{"timeouts"}, nil},
		{"ignore tag with AWS-safe separators", fn("api", "us-east-1", map[string]string{"lambdaudit:ignore": "cold-starts+throttles/timeouts"}), 0.85, []string{"cold-starts", "throttles", "timeouts"}, nil, nil},
		{"ignore all", fn("api", "us-east-1", map[string]string{"lambdaudit:ignore": "all"}), 0.85, Kinds, nil, nil},
		{"other tags untouched", fn("api", "us-east-1", map[string]string{"team": "x", "lambdaudit": "y"}), 0.85, nil, nil, nil},
		{"bad tags are reported and skipped", fn("api", "us-east-1", map[string]string{
			"lambdaudit:ignore":                "cold-start",
			"lambdaudit:near-timeout.warn":     "high",
			"lambdaudit:near-timeout.wran":     "0.9",
			"lambdaudit:near-timeout.critical": "0.5",
			"lambdaudit:throttles.warn":        "2",
		}), 0.85, nil, []string{"cold-starts"}, []string{"lambdaudit:ignore", "lambdaudit:near-timeout.critical", "lambdaudit:near-timeout.warn", "lambdaudit:near-timeout.wran", "lambdaudit:throttles.warn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, probs := cfg.forFunction(tt.f)
			if got := s.get(pNearTimeoutWarn); got != tt.warn {
				t.Errorf("near-timeout.warn = %v, want %v", got, tt.warn)
			}
			for _, k := range tt.ignored {
				if !s.ignored(k) {
					t.Errorf("%s not ignored", k)
				}
			}
			for _, k := range tt.notIgnored {
				if s.ignored(k) {
					t.Errorf("%s ignored", k)
				}
			}
			var tags []string
			for _, p := range probs {
				tags = append(tags, p.Tag)
				if p.Problem == "" || p.Function != tt.f.ID {
					t.Errorf("problem without a reason or function: %+v", p)
				}
			}
			if strings.Join(tags, " ") != strings.Join(tt.problems, " ") {
				t.Errorf("problems %v, want %v", tags, tt.problems)
			}
		})
	}
	// A function without overrides shares the base settings.
	if s, _ := cfg.forFunction(fn("api", "us-east-1", nil)); s != &cfg.base {
		t.Error("a function without overrides got its own copy")
	}
}

func TestRuntimeTable(t *testing.T) {
	rt := Runtimes()
	if _, err := ParseRuntimes(runtimesJSON); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id    string
		date  string
		arm64 bool
	}{
		{"python3.8", "2024-10-14", true}, {"nodejs16.x", "2024-06-12", true}, {"go1.x", "2024-01-08", false},
		{"java8", "2024-01-08", false}, {"nodejs22.x", "2027-04-30", true}, {"python3.13", "2029-06-30", true},
		{"provided.al2023", "2029-06-30", true},
	} {
		r, ok := rt.Lookup(c.id)
		if !ok || r.Deprecation != c.date || r.ARM64 != c.arm64 {
			t.Errorf("%s: %+v %v, want %s arm64=%v", c.id, r, ok, c.date, c.arm64)
		}
	}
	if _, ok := rt.Lookup("cobol1.0"); ok {
		t.Error("unknown runtime found")
	}
	for _, bad := range []string{`{"asOf": "soon", "runtimes": []}`, `{"asOf": "2026-01-01", "runtimes": [{"id": "x", "deprecation": "never"}]}`,
		`{"asOf": "2026-01-01", "runtimes": [{"id": "x", "deprecation": "2026-01-01"}, {"id": "x", "deprecation": "2026-01-01"}]}`} {
		if _, err := ParseRuntimes([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestDocsListEveryThreshold keeps docs/report.md's config table in step
// with the code: every setting, its default and its range.
func TestDocsListEveryThreshold(t *testing.T) {
	b, err := os.ReadFile("../docs/report.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, th := range Thresholds() {
		row := "| `" + th.Kind + "." + th.Name + "` | " + fmtNum(th.Default) + " | " + th.Range + " |"
		if !strings.Contains(doc, row) {
			t.Errorf("docs/report.md lacks the row %s", row)
		}
	}
	for _, kind := range Kinds {
		if !strings.Contains(doc, "| "+kind+" |") {
			t.Errorf("docs/report.md has no rule row for %s", kind)
		}
	}
}

// TestListOrScalar: where a list of rules is expected, one name or a
// comma-separated line is taken as that list.
func TestListOrScalar(t *testing.T) {
	tests := []struct {
		name       string
		yaml       string
		ignore     []string
		overrideIg []string
	}{
		{"list", "ignore: [cold-starts, throttles]\n", []string{"cold-starts", "throttles"}, nil},
		{"one name", "ignore: cold-starts\n", []string{"cold-starts"}, nil},
		{"comma-separated", "ignore: cold-starts, throttles\n", []string{"cold-starts", "throttles"}, nil},
		{"override, one name", "overrides: [{match: \"*\", ignore: timeouts}]\n", nil, []string{"timeouts"}},
		{"block list", "ignore:\n  - all\n", []string{"all"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Ignore, tt.ignore) {
				t.Errorf("ignore = %q, want %q", c.Ignore, tt.ignore)
			}
			var got []string
			if len(c.Overrides) > 0 {
				got = c.Overrides[0].Ignore
			}
			if !slices.Equal(got, tt.overrideIg) {
				t.Errorf("overrides[0].ignore = %q, want %q", got, tt.overrideIg)
			}
		})
	}
}
