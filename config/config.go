package config

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/lambdaudit/lambdaudit/scanner"
)

// Config is a scan's settings as a host reads them: the scanner's input
// and what the command does around the scan.
type Config struct {
	// Scanner is what scanner.NewFromConfig takes.
	Scanner scanner.Config

	// What the command does around the scan (lambdaudit scan's --out,
	// --timeout, --progress, --log-level). A host with no terminal or no
	// output file (the Lambda bootstrap) reads only Timeout and LogLevel.
	Out      string
	Timeout  time.Duration
	Progress string
	LogLevel string
}

// ProgressModes are the values of --progress (the file's progress key).
var ProgressModes = []string{"auto", "always", "never"}

// LogLevels are the values of --log-level (the file's logLevel key).
var LogLevels = []string{"debug", "info", "warn", "error"}

// Validate checks c at now as scanner.NewFromConfig will (the window, the
// ranges, the rate fraction and the quotas) and the command's settings,
// with an error naming the file key (*scanner.FieldError).
func (c Config) Validate(now time.Time) error {
	if _, err := c.Scanner.Settings(now); err != nil {
		return err
	}
	switch {
	case c.Timeout < 0:
		return &scanner.FieldError{Field: "timeout", Msg: fmt.Sprintf("must not be negative (0 = no limit), got %v", c.Timeout)}
	case c.Progress != "" && !slices.Contains(ProgressModes, c.Progress):
		return &scanner.FieldError{Field: "progress", Msg: fmt.Sprintf("%q: want %s", c.Progress, strings.Join(ProgressModes, ", "))}
	case c.LogLevel != "" && !slices.Contains(LogLevels, strings.ToLower(c.LogLevel)):
		return &scanner.FieldError{Field: "logLevel", Msg: fmt.Sprintf("%q: want %s", c.LogLevel, strings.Join(LogLevels, ", "))}
	}
	_, err := c.Scanner.Limiters()
	return err
}

// Level is c's log level (LogLevel, validated; warn when empty).
func (c Config) Level() slog.Level {
	l := slog.LevelWarn
	if c.LogLevel != "" {
		_ = l.UnmarshalText([]byte(c.LogLevel))
	}
	return l
}
