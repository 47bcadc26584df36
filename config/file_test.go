package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/config"
	"github.com/lambdaudit/lambdaudit/scanner"
)

func TestConfig(t *testing.T) {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		yaml string
		want string // error text; "" = valid
	}{
		{"the documented example", "regions: [us-east-1, eu-west-1]\naccounts: [all]\nrole: LambdauditReadOnly\nexternalId: 7f3a-lambdaudit\nlogsBudgetUSD: 2.50\nquotas:\n  \"CloudWatch:GetMetricData\": 100\n", ""},
		{"empty file", "", ""},
		{"unknown key", "regions: [us-east-1]\nlogBudget: 3\n", "logBudget"},
		{"days out of range", "days: 90\n", "days"},
		{"day not a date", "day: yesterday\n", "day"},
		{"day not complete", "day: 2026-11-21\n", "not a complete day"},
		{"rate fraction out of range", "rateFraction: 1.2\n", "rateFraction"},
		{"negative budget", "logsBudgetUSD: -1\n", "logsBudgetUSD"},
		{"quota without an operation", "quotas: {GetMetricData: 50}\n", "quotas.GetMetricData"},
		{"too many concurrent queries", "concurrentQueries: 500\n", "concurrentQueries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := config.LoadFile(path)
			if err == nil {
				_, err = c.Scanner.Settings(now)
			}
			if err == nil {
				_, err = c.Scanner.Limiters()
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// TestParseConfigErrors: a bad file is told in the file's terms — the
// key, its line, the nearest valid key or the valid values — never a Go
// type name.
func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"misspelt key", "logs: true\nregion: us-east-1\n", []string{"unknown key 'region' at line 2; did you mean 'regions'?"}},
		{"nothing near", "colour: blue\n", []string{"unknown key 'colour' at line 1", "regions"}},
		{"duplicate key", "days: 3\ndays: 4\n", []string{"'days' at line 2 is already set at line 1"}},
		{"number wanted", "days: three\n", []string{"days", "a whole number", `"three"`}},
		{"boolean wanted", "logs: maybe\n", []string{"logs", "true or false"}},
		{"duration wanted", "httpTimeout: 30\n", []string{"httpTimeout", "a duration like 30s"}},
		{"list of lists", "regions: [[us-east-1]]\n", []string{"regions", "a name or a list of names"}},
		{"explicit zero days", "days: 0\n", []string{"days", "1 to 63", "got 0"}},
		{"explicit zero rate fraction", "rateFraction: 0\n", []string{"rateFraction", "(0, 1]", "got 0"}},
		{"misspelt quota API", "quotas:\n  \"CloudWatch:GetMetricDta\": 10\n", []string{`quotas.CloudWatch:GetMetricDta`, `did you mean "CloudWatch:GetMetricData"?`, "line 2", "Lambda:ListFunctions"}},
		{"quota operation without service", "quotas: {GetMetricData: 50}\n", []string{`did you mean "CloudWatch:GetMetricData"?`}},
		{"not a mapping", "- us-east-1\n", []string{"line 1", "regions: [us-east-1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, goType := range []string{"scanner.Config", "float64", "[]string", "time.Duration", "*bool", " int"} {
				if strings.Contains(err.Error(), goType) {
					t.Errorf("error %q names a Go type (%s)", err, goType)
				}
			}
		})
	}
}

func TestParseConfigValues(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		ok   func(config.Config) bool
	}{
		{"region as a scalar", "regions: us-east-1\n", func(c config.Config) bool { return len(c.Scanner.Regions) == 1 && c.Scanner.Regions[0] == "us-east-1" }},
		{"regions comma-separated", "regions: us-east-1, eu-west-2\n", func(c config.Config) bool { return len(c.Scanner.Regions) == 2 && c.Scanner.Regions[1] == "eu-west-2" }},
		{"accounts as a list", "accounts: [\"111111111111\", \"222222222222\"]\n", func(c config.Config) bool { return len(c.Scanner.Accounts) == 2 }},
		{"numeric account as a scalar", "accounts: 111111111111\n", func(c config.Config) bool {
			return len(c.Scanner.Accounts) == 1 && c.Scanner.Accounts[0] == "111111111111"
		}},
		{"durations and the command's keys", "httpTimeout: 10s\ncallTimeout: 2m\ntimeout: 1h\nout: scan.json\nprogress: never\nlogLevel: info\n", func(c config.Config) bool {
			return c.Scanner.HTTPTimeout == 10*time.Second && c.Scanner.CallTimeout == 2*time.Minute && c.Timeout == time.Hour && c.Out == "scan.json" && c.Progress == "never" && c.LogLevel == "info"
		}},
		{"budget 0 means no budget", "logsBudgetUSD: 0\n", func(c config.Config) bool { return c.Scanner.LogsBudgetUSD != nil && *c.Scanner.LogsBudgetUSD == 0 }},
		{"only comments", "# nothing\n", func(c config.Config) bool { return c.Scanner.Regions == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.ok(c) {
				t.Errorf("decoded %+v", c)
			}
		})
	}
}

func TestConfigChoices(t *testing.T) {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		c    config.Config
		want string
	}{
		{"unknown progress", config.Config{Progress: "bogus"}, "auto, always, never"},
		{"unknown log level", config.Config{LogLevel: "loud"}, "debug, info, warn, error"},
		{"too many SDK attempts", config.Config{Scanner: scanner.Config{SDKAttempts: 50}}, "sdkAttempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate(now)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
