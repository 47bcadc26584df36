package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

var update = flag.Bool("update", false, "rewrite the golden files of the cost command")

// runCost runs `lambdaudit cost` with args in-process through
// newCostCmd, with no refreshed table in the user's configuration.
func runCost(t *testing.T, args ...string) (string, error) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	var out bytes.Buffer
	cmd := newCostCmd()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestCostCalculator prints AWS's worked examples line by line; the
// golden files hold the expected text (go test -update rewrites them).
func TestCostCalculator(t *testing.T) {
	cases := []struct {
		name, golden string
		args         []string
		total        string
	}{
		{"AWS example 1: 1536 MB, 3M x 120 ms, free tier", "cost-example1.golden",
			[]string{"--memory", "1536", "--arch", "x86_64", "--requests", "3000000", "--duration", "120ms", "--free-tier"}, "$2.73"},
		{"AWS example 2: 1024 MB, 7.44M x 2 s", "cost-example2.golden",
			[]string{"--memory", "1024", "--requests", "7440000", "--duration", "2s"}, "$249.49"},
		{"provisioned concurrency: 1000 x 1024 MB for 2 h, 1.2M x 1 s", "cost-provisioned.golden",
			[]string{"--memory", "1024", "--requests", "1200000", "--duration", "1s", "--provisioned", "1000", "--hours", "2", "--free-tier"}, "$41.91"},
		{"arm64 in Frankfurt with 2 GB of /tmp", "cost-arm-eu.golden",
			[]string{"--memory", "2048", "--arch", "arm64", "--region", "eu-central-1", "--requests", "5000000", "--duration", "350.2ms", "--ephemeral", "2048"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runCost(t, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			if c.total != "" && !strings.Contains(out, "total") || !strings.Contains(out, c.total) {
				t.Errorf("output has no total %s:\n%s", c.total, out)
			}
			path := filepath.Join("testdata", c.golden)
			if *update {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Errorf("output:\n%s\nwant (%s):\n%s", out, path, want)
			}
		})
	}
}

func TestCostCalculatorRefusesBadInput(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"memory missing", []string{"--requests", "1", "--duration", "1ms"}, "--memory is required"},
		{"memory 0", []string{"--memory", "0", "--requests", "1", "--duration", "1ms"}, "memory 0 MB"},
		{"negative requests", []string{"--memory", "128", "--requests", "-5", "--duration", "1ms"}, "requests -5"},
		{"negative duration", []string{"--memory", "128", "--requests", "5", "--duration", "-1ms"}, "--duration -1ms"},
		{"unknown region", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--region", "xx-nowhere-1"}, `region "xx-nowhere-1"`},
		{"unknown architecture", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--arch", "sparc"}, `architecture "sparc"`},
		{"provisioned without hours", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--provisioned", "3"}, "--provisioned and --hours"},
		{"price file missing", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--prices", "/nonexistent/prices.json"}, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runCost(t, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one naming %q", err, c.want)
			}
		})
	}
}

// TestCostRefresh fetches the simulated account's price list into a file
// that the calculator then uses.
func TestCostRefresh(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	path := filepath.Join(t.TempDir(), "prices.json")
	out, err := runCost(t, "refresh", "--out", path)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := cost.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "wrote 14 prices (7 regions)") || len(tb.Entries) != 14 {
		t.Fatalf("refresh said %q; the file has %d entries", out, len(tb.Entries))
	}
	out, err = runCost(t, "--memory", "1536", "--requests", "3000000", "--duration", "120ms", "--free-tier", "--prices", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "("+path+")") || !strings.Contains(out, "$2.73") {
		t.Errorf("with the refreshed table:\n%s", out)
	}
}
