package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		{"Ningxia, priced in CNY", "cost-china.golden",
			[]string{"--memory", "1024", "--region", "cn-northwest-1", "--requests", "1000000", "--duration", "1s"}, "CNY 114.84"},
		{"London, a region the table of 7 regions did not have", "cost-london.golden",
			[]string{"--memory", "1024", "--region", "eu-west-2", "--requests", "7440000", "--duration", "2s"}, "$249.49"},
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
		{"memory 0", []string{"--memory", "0", "--requests", "1", "--duration", "1ms"}, "--memory 0: Lambda functions have 128 to 10240 MB"},
		{"memory above the limit", []string{"--memory", "10241", "--requests", "1", "--duration", "1ms"}, "--memory 10241"},
		{"negative requests", []string{"--memory", "128", "--requests", "-5", "--duration", "1ms"}, "--requests -5"},
		{"negative duration", []string{"--memory", "128", "--requests", "5", "--duration", "-1ms"}, "--duration -1ms"},
		{"duration beyond the timeout", []string{"--memory", "128", "--requests", "5", "--duration", "16m"}, "--duration 16m0s: an invocation runs 0 to 15m0s"},
		{"ephemeral below 512 MB", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--ephemeral", "100"}, "--ephemeral 100: Lambda's /tmp is 512 to 10240 MB"},
		{"unknown region", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--region", "xx-nowhere-1"}, `--region "xx-nowhere-1": no price for it in the price table`},
		{"unknown region lists the choices", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--region", "xx-nowhere-1"}, "valid choices: af-south-1, "},
		{"unknown architecture", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--arch", "sparc"}, `--arch "sparc": valid choices are x86_64 and arm64`},
		{"provisioned without hours", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--provisioned", "3"}, "--provisioned and --hours"},
		{"negative provisioned", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--provisioned", "-3", "--hours", "1"}, "--provisioned -3"},
		{"hours beyond a month", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--provisioned", "3", "--hours", "800"}, "--hours 800: provisioned concurrency is enabled 0 to 744 hours"},
		{"share above 1", []string{"--memory", "128", "--requests", "5", "--duration", "1ms", "--provisioned", "3", "--hours", "1", "--provisioned-share", "1.5"}, "--provisioned-share 1.5: a share of the requests, 0 to 1"},
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
	// The simulated Price List serves every region of the embedded table.
	n := len(cost.LambdaRegions)
	if want := fmt.Sprintf("wrote %d prices (%d regions)", 2*n, n); !strings.Contains(out, want) || len(tb.Entries) != 2*n {
		t.Fatalf("refresh said %q, want %q; the file has %d entries", out, want, len(tb.Entries))
	}
	if strings.Contains(out, "kept") {
		t.Errorf("a full refresh kept regions: %q", out)
	}

	// --china reads the China regions from the aws-cn Price List (the
	// simulator serves it at the same endpoint), in CNY.
	out, err = runCost(t, "refresh", "--out", path, "--china")
	if err != nil {
		t.Fatal(err)
	}
	if tb, err = cost.Load(path); err != nil {
		t.Fatal(err)
	}
	if cn, err := tb.Prices("cn-northwest-1", "arm64"); err != nil || cn.Currency != "CNY" || len(tb.Entries) != 2*n ||
		!strings.Contains(tb.Source, "aws-cn (cn-north-1, cn-northwest-1) from: AWS Price List") {
		t.Fatalf("--china: %v, %+v; %d entries; source %q", err, cn, len(tb.Entries), tb.Source)
	}
	if strings.Contains(out, "kept") {
		t.Errorf("a full refresh with --china kept regions: %q", out)
	}

	// A refresh of one region keeps the others of the file it replaces.
	out, err = runCost(t, "refresh", "--out", path, "--regions", "eu-west-2")
	if err != nil {
		t.Fatal(err)
	}
	if tb, err = cost.Load(path); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("kept %d regions the Price List did not return", n-1); !strings.Contains(out, want) || len(tb.Entries) != 2*n ||
		!strings.Contains(out, "cn-north-1") {
		t.Fatalf("refresh of eu-west-2 said %q, want %q; the file has %d entries", out, want, len(tb.Entries))
	}
	out, err = runCost(t, "--memory", "1536", "--requests", "3000000", "--duration", "120ms", "--free-tier", "--prices", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "("+path+")") || !strings.Contains(out, "$2.73") {
		t.Errorf("with the refreshed table:\n%s", out)
	}
}

// TestCostRefreshBounded: cost refresh checks its output before any call,
// and a Price List endpoint that never answers fails within the stated
// time naming the API, instead of hanging; the previous table stays.
func TestCostRefreshBounded(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	dir := t.TempDir()
	path := filepath.Join(dir, "prices.json")
	var previous bytes.Buffer
	if err := cost.Embedded().Write(&previous); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, previous.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("output checked first", func(t *testing.T) {
		blocker := filepath.Join(dir, "file")
		if err := os.WriteFile(blocker, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_ENDPOINT_URL", simtest.SilentEndpoint(t))
		start := time.Now()
		_, err := runCost(t, "refresh", "--out", filepath.Join(blocker, "prices.json"))
		if err == nil || !strings.Contains(err.Error(), "--out") || time.Since(start) > 5*time.Second {
			t.Errorf("refresh to a path under a file: %v after %v, want an --out error before any call", err, time.Since(start))
		}
	})
	t.Run("silent endpoint", func(t *testing.T) {
		url := simtest.SilentEndpoint(t)
		t.Setenv("AWS_ENDPOINT_URL", url)
		start := time.Now()
		_, err := runCost(t, "refresh", "--out", path, "--http-timeout", "200ms", "--call-timeout", "500ms")
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("failed after %v", el)
		}
		if want := "pricing:GetProducts at " + url + ": no answer within"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("refresh: %v, want %q", err, want)
		}
		if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, previous.Bytes()) {
			t.Errorf("the previous table was not kept (%v)", err)
		}
	})
}
