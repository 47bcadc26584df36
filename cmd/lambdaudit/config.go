package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdaudit/lambdaudit/config"
)

// This file wires the commands' flags to package config, which owns
// scan's settings (flags, LAMBDAUDIT_* variables, the YAML file), their
// precedence and their checks. (scan.go imports the SDK's config package
// under that name.)

// addScanFlags defines scan's flags: one per setting of config.Table.
func addScanFlags(cmd *cobra.Command) { config.AddFlags(cmd.Flags()) }

// loadScanConfig reads scan's settings from its parsed flags, the
// environment and the config file, warning on cmd's stderr of a
// LAMBDAUDIT_ variable that no setting reads.
func loadScanConfig(cmd *cobra.Command) (config.Config, error) {
	errw := cmd.ErrOrStderr()
	return config.Load(config.Sources{
		Flags: cmd.Flags(),
		Env:   os.Environ(),
		Known: otherEnv,
		Warn:  func(msg string) { fmt.Fprintln(errw, "lambdaudit: warning: "+msg) },
	})
}

// otherEnv are LAMBDAUDIT_ variables read elsewhere: the tests'
// moto_server (sim/simtest).
var otherEnv = []string{"LAMBDAUDIT_MOTO_URL"}

// newLogger is a text logger on w at level (--log-level: config.LogLevels).
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if !slices.Contains(config.LogLevels, strings.ToLower(level)) || l.UnmarshalText([]byte(level)) != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// checkProgress checks a --progress of a command that has one outside
// config.Table (demo).
func checkProgress(mode string) error {
	if !slices.Contains(config.ProgressModes, mode) {
		return fmt.Errorf("--progress %q: want %s", mode, strings.Join(config.ProgressModes, ", "))
	}
	return nil
}
