package scanner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
			c, err := scanner.LoadConfig(path)
			if err == nil {
				_, err = c.Settings(now)
			}
			if err == nil {
				_, err = c.Limiters()
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

func TestConfigSettings(t *testing.T) {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	off := false
	s, err := scanner.Config{Day: "2026-11-18", Days: 7, Logs: &off}.Settings(now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Window.End != time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC) || s.Window.Days != 7 || s.Logs || !s.Tags {
		t.Errorf("settings %+v", s)
	}
	if s.LogsBudgetBytes <= 0 {
		t.Errorf("default budget %v bytes", s.LogsBudgetBytes)
	}
}
