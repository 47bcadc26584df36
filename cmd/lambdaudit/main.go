// Command lambdaudit scans AWS Lambda fleets for functions about to time
// out, short of memory or paying for memory they never use, cold starts,
// errors and cost spikes. This file wires flags to packages; the logic
// lives in the packages.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// defaultMemoryLimit is the soft memory limit (runtime/debug) lambdaudit
// runs under unless GOMEMLIMIT says otherwise. A scan spends its time
// waiting on AWS's rate limits, so spending CPU on garbage collection to
// stay small is cheap: with it, a 50,000-function scan (and the simulated
// account beside it, in bench) peaks near 420 MB instead of 750 MB. It is
// soft: a bigger fleet goes over it rather than failing.
const defaultMemoryLimit = 400 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signalContext()
	root := newRootCmd()
	err := root.ExecuteContext(ctx)
	if err != nil {
		// A command that did not say what an interruption kept still
		// exits with the interruption's code.
		err = asInterrupted(ctx, err, "stopped")
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdaudit:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(2)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "lambdaudit",
		Short:         "Scan AWS Lambda fleets for timeouts, memory, cold starts, errors and cost",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var b strings.Builder
	info, _ := debug.ReadBuildInfo()
	_ = writeVersion(&b, info)
	root.Version = strings.TrimPrefix(b.String(), "lambdaudit ")
	root.SetVersionTemplate("lambdaudit {{.Version}}")
	root.AddCommand(newSimCmd(), newScanCmd(), newBenchCmd(), newCostCmd(), newReportCmd(), newNotifyCmd(), newDemoCmd(), newVersionCmd())
	return root
}
