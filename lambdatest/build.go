package lambdatest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// RIEPackage is the main package of the official Lambda Runtime
// Interface Emulator. go.mod pins its version with a tool directive, so
// BuildRIE builds exactly that version from the module cache.
const RIEPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// BuildRIE builds the Runtime Interface Emulator for the host into a
// directory of the test and returns the binary's path. The first build
// compiles it (about 15s on two cores); later ones come from Go's build
// cache (about 2s), so a test that starts several instances builds once
// and passes the path to each Function.
func BuildRIE(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		missing(t, "Linux (the emulator and /proc)")
	}
	out := filepath.Join(t.TempDir(), "aws-lambda-rie")
	goBuild(t, nil, "-o", out, RIEPackage)
	return out
}

// BuildBootstrap builds the Go main package pkg (an import path such as
// github.com/lambdaudit/lambdaudit/cmd/lambdaudit-lambda, or a path
// relative to the test's package directory) as a Lambda bootstrap for
// the host's GOOS and GOARCH, as production builds it for Lambda
// (CGO_ENABLED=0, -tags lambda.norpc, plus tags), and returns its path.
// The file is named bootstrap, as provided.al2023 expects.
func BuildBootstrap(t testing.TB, pkg string, tags ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	goBuild(t, []string{"CGO_ENABLED=0"}, "-tags", strings.Join(append([]string{"lambda.norpc"}, tags...), ","), "-trimpath", "-o", out, pkg)
	return out
}

// goBuild runs `go build args...` with the extra environment, failing the
// test with go's output when the build fails. Without a go tool it skips
// (fails in CI).
func goBuild(t testing.TB, env []string, args ...string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		missing(t, "the go tool")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, append([]string{"build"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("lambdatest: go build %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
}

// missing skips a test outside CI when a tool it needs is absent, and
// fails it in CI, where everything is installed (simtest's rule).
func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("lambdatest: %s is required in CI but was not found", what)
	}
	t.Skipf("lambdatest: %s not found; skipping (CI installs it)", what)
}
