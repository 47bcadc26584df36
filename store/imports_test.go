package store_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const module = "github.com/lambdaudit/lambdaudit"

// productionPatterns are the packages on lambdaudit's production code
// paths (issue 10 point 7): they must link no simulated account, demo or
// benchmark. Only cmd/lambdaudit's sim, demo and bench commands may.
var productionPatterns = []string{"./scanner/...", "./fanout/...", "./metrics/...", "./logstats/...", "./cost/...", "./insights/...", "./notify/...", "./store/...", "./config/...", "./awserr/...", "./atomicfile/...", "./didyoumean/...", "./lambdahost/...", "./cmd/lambdaudit-lambda/..."}

// forbidden reports whether a package is the simulated account, the
// demo, the benchmarks or the local Lambda runner of the tests (or below
// them).
func forbidden(pkg string) bool {
	for _, p := range []string{"sim", "demo", "bench", "lambdatest"} {
		if pkg == module+"/"+p || strings.HasPrefix(pkg, module+"/"+p+"/") {
			return true
		}
	}
	return false
}

// testSupport reports whether a package exists for tests only, by Go's
// naming convention (httptest): scanner/scantest may start the sim. A
// production package importing one is still caught, through it.
func testSupport(pkg string) bool { return strings.HasSuffix(pkg, "test") }

// forbiddenChains returns, for each root that reaches a forbidden package
// through imports, the shortest import chain to one ("a → b → sim").
func forbiddenChains(roots []string, imports map[string][]string, forbidden func(string) bool) []string {
	var chains []string
	for _, root := range roots {
		prev := map[string]string{root: ""}
		queue := []string{root}
		for len(queue) > 0 {
			pkg := queue[0]
			queue = queue[1:]
			if forbidden(pkg) {
				chain := []string{pkg}
				for p := prev[pkg]; p != ""; p = prev[p] {
					chain = append(chain, p)
				}
				slices.Reverse(chain)
				chains = append(chains, strings.Join(chain, " → "))
				break
			}
			for _, dep := range imports[pkg] {
				if _, seen := prev[dep]; !seen {
					prev[dep] = pkg
					queue = append(queue, dep)
				}
			}
		}
	}
	return chains
}

func TestForbiddenChains(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	imports := map[string][]string{
		m("notify"):           {m("scanner"), "fmt"},
		m("scanner"):          {m("fanout"), m("sim/fleet")},
		m("fanout"):           {"context"},
		m("cost"):             {"fmt"},
		m("insights"):         {m("scanner/scantest")},
		m("scanner/scantest"): {m("sim")},
		m("store"):            {m("benchmark")}, // not bench
		m("metrics"):          {m("lambdatest")},
	}
	got := forbiddenChains([]string{m("notify"), m("cost"), m("insights"), m("store"), m("metrics")}, imports, forbidden)
	want := []string{
		m("notify") + " → " + m("scanner") + " → " + m("sim/fleet"),
		m("insights") + " → " + m("scanner/scantest") + " → " + m("sim"),
		m("metrics") + " → " + m("lambdatest"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestProductionImportsNoSim runs `go list -deps` over the production
// packages (without their tests) and fails naming the import chain of any
// that links the simulated account, the demo, the benchmarks or lambdatest.
func TestProductionImportsNoSim(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the go tool is required in CI but was not found on PATH")
		}
		t.Skip("the go tool is not on PATH; skipping the import guard (CI runs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, goTool, args...)
		cmd.Dir = ".." // the module root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out)
	}
	if gomod := strings.TrimSpace(run("env", "GOMOD")); filepath.Base(gomod) != "go.mod" {
		t.Fatalf("not in the module: GOMOD=%q", gomod)
	}

	var roots []string
	for pkg := range strings.FieldsSeq(run(append([]string{"list", "-f", "{{.ImportPath}}"}, productionPatterns...)...)) {
		if !testSupport(pkg) {
			roots = append(roots, pkg)
		}
	}
	for _, must := range []string{"scanner", "fanout", "metrics", "logstats", "cost", "insights", "notify", "store", "config"} {
		if !slices.Contains(roots, module+"/"+must) {
			t.Fatalf("go list found no %s package among %q: the guard would check nothing", must, roots)
		}
	}

	imports := map[string][]string{}
	out := run(append([]string{"list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, roots...)...)
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) > 0 {
			imports[f[0]] = f[1:]
		}
	}
	for _, chain := range forbiddenChains(roots, imports, forbidden) {
		t.Errorf("a production package links the sim, demo, bench or lambdatest: %s", chain)
	}
	t.Logf("checked %d production packages, %d packages in their dependencies", len(roots), len(imports))
}
