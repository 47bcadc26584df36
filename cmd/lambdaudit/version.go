package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print lambdaudit's version: module version, VCS revision and time, Go version",
		Long: `version prints the module version lambdaudit was built as (a tag such as
v1.2.0 for 'go install …@v1.2.0', "(devel)" for a build from a checkout), the
VCS revision and commit time the binary was built from (when the build recorded
them; "+dirty" for uncommitted changes), and the Go version and platform.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, _ := debug.ReadBuildInfo()
			return writeVersion(cmd.OutOrStdout(), info)
		},
	}
}

// writeVersion prints the version lines of a build (info may be nil: a
// binary built without module support).
func writeVersion(w io.Writer, info *debug.BuildInfo) error {
	version, revision, when, dirty := "unknown", "", "", false
	if info != nil {
		if v := info.Main.Version; v != "" {
			version = v
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if revision == "" {
		revision = "unknown (not recorded: go run, go test, -buildvcs=false or no git at build time)"
	} else if dirty {
		revision += "+dirty"
	}
	if when == "" {
		when = "unknown"
	}
	_, err := fmt.Fprintf(w, "lambdaudit %s\nrevision  %s\ntime      %s\ngo        %s %s/%s\n",
		version, revision, when, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
