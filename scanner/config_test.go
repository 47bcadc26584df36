package scanner_test

import (
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/scanner"
)

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
