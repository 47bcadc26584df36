package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// runCLI runs lambdaudit with args in-process, as the binary would.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	switch {
	case err == nil:
	default:
		code = 2
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errb.WriteString("lambdaudit: " + err.Error() + "\n")
	}
	return out.String(), errb.String(), code
}

// simEnv points the default credential chain and AWS_ENDPOINT_URL at env.
func simEnv(t *testing.T, env *simtest.Env) {
	t.Setenv("AWS_ENDPOINT_URL", env.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", sim.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sim.SecretAccessKey)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

func exampleFleet(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The example fleet's report day: the sim's fleets end at simtest.Now.
const reportDay = "2026-11-20"

func TestScanCommand(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	out := filepath.Join(t.TempDir(), "scan.json")

	t.Run("one region, every function scanned", func(t *testing.T) {
		_, stderr, code := runCLI(t, "scan", "--day", reportDay, "-o", out, "--progress", "never")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		res := readScanFile(t, out)
		want := len(env.Fleet.Account("111111111111").Region("us-east-1").Functions)
		if res.Coverage.Listed != want || res.Coverage.Scanned != want {
			t.Errorf("coverage %+v, want %d scanned", res.Coverage, want)
		}
		if !strings.Contains(stderr, "lambdaudit scan: 1 target (0 failed)") {
			t.Errorf("summary line missing: %s", stderr)
		}
	})

	t.Run("a disabled region completes with failures", func(t *testing.T) {
		_, stderr, code := runCLI(t, "scan", "--day", reportDay, "--regions", "us-east-1,ap-east-1", "--logs=false", "-o", out, "--progress", "never")
		if code != exitFailures {
			t.Fatalf("exit %d, want %d (completed with failures): %s", code, exitFailures, stderr)
		}
		if !strings.Contains(stderr, "UnrecognizedClientException lambda:ListFunctions in 111111111111/ap-east-1: 1 account-region not listed") {
			t.Errorf("failure not listed: %s", stderr)
		}
	})

	t.Run("environment and config file", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "lambdaudit.yaml")
		if err := os.WriteFile(cfg, []byte("regions: [us-east-1]\nlogs: false\ndays: 3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("LAMBDAUDIT_DAY", reportDay)
		_, stderr, code := runCLI(t, "scan", "--config", cfg, "-o", out, "--progress", "never")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		res := readScanFile(t, out)
		if res.Window.Days != 3 || res.Window.End.Format("2006-01-02") != "2026-11-21" || res.Logs.Queries != 0 {
			t.Errorf("window %+v, log queries %d: config file or environment ignored", res.Window, res.Logs.Queries)
		}
	})
}

// TestScanBadInput: bad input stops before any scanning, with an error
// naming the input.
func TestScanBadInput(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown region", nil, []string{"--regions", "us-middle-9"}, "us-middle-9"},
		{"malformed role template", nil, []string{"--accounts", "222222222222", "--role", "arn:aws:iam::222222222222:role/x{acount}"}, "role"},
		{"bad account ID", nil, []string{"--accounts", "12345"}, "12345"},
		{"bad day", nil, []string{"--day", "20-11-2026"}, "day"},
		{"rate fraction out of range", nil, []string{"--rate-fraction", "1.5"}, "rateFraction"},
		{"unreachable endpoint", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, nil, "127.0.0.1:1"},
		{"invalid credentials", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAUNKNOWN000000000"}, nil, "InvalidClientTokenId"},
		{"unknown config key", nil, []string{"--config", "testdata/bad-config.yaml"}, "regoins"},
		{"config key typo suggests the key", nil, []string{"--config", "testdata/region-typo.yaml"}, "unknown key 'region' at line 2; did you mean 'regions'?"},
		{"zero days", nil, []string{"--days", "0"}, "--days 0: must be 1 to 63"},
		{"zero days from the environment", map[string]string{"LAMBDAUDIT_DAYS": "0"}, nil, "LAMBDAUDIT_DAYS 0: must be 1 to 63"},
		{"zero rate fraction", nil, []string{"--rate-fraction", "0"}, "--rate-fraction 0: must be in (0, 1]"},
		{"unknown progress mode", nil, []string{"--progress", "bogus"}, `--progress "bogus": want auto, always, never`},
		{"unknown log level", nil, []string{"--log-level", "loud"}, `--log-level "loud": want debug, info, warn, error`},
		{"misspelt quota API", nil, []string{"--quotas", "CloudWatch:GetMetricDta=10"}, `did you mean "CloudWatch:GetMetricData"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simEnv(t, env)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			env.Server.ResetAccounting()
			args := append([]string{"scan", "--sdk-attempts", "2", "-o", filepath.Join(t.TempDir(), "x.json")}, tt.args...)
			if !slices.Contains(args, "--progress") {
				args = append(args, "--progress", "never")
			}
			_, stderr, code := runCLI(t, args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("error does not name %q: %s", tt.want, stderr)
			}
			if strings.Contains(stderr, "scanner.Config") {
				t.Errorf("error names a Go type: %s", stderr)
			}
			if n := env.Server.Accounting().API("lambda", "ListFunctions").Calls; n != 0 {
				t.Errorf("%d ListFunctions calls: scanning started despite bad input", n)
			}
		})
	}
}

// TestScanOutputCheckedFirst: an output that cannot be written stops the
// scan before any AWS call, instead of after the whole scan.
func TestScanOutputCheckedFirst(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	dir := t.TempDir()
	tests := []struct {
		name, out, want string
	}{
		{"missing directory", "/nonexistent/x.json", "/nonexistent/x.json"},
		{"a directory", dir, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Server.ResetAccounting()
			_, stderr, code := runCLI(t, "scan", "--day", reportDay, "-o", tt.out, "--progress", "never")
			if code != 2 || !strings.Contains(stderr, "--out") || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 naming --out and %q", code, stderr, tt.want)
			}
			if n := env.Server.Accounting().API("sts", "GetCallerIdentity").Calls; n != 0 {
				t.Errorf("%d GetCallerIdentity calls before the output was checked", n)
			}
		})
	}
}

// TestScanUnknownVariable: a misspelt LAMBDAUDIT_ variable is warned
// once, naming the nearest real one; the scan still runs.
func TestScanUnknownVariable(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	t.Setenv("LAMBDAUDIT_REGION", "eu-west-1")
	_, stderr, code := runCLI(t, "scan", "--day", reportDay, "--logs=false", "-o", filepath.Join(t.TempDir(), "x.json"), "--progress", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "warning: LAMBDAUDIT_REGION is not a lambdaudit variable and is ignored; did you mean LAMBDAUDIT_REGIONS?"
	if strings.Count(stderr, want) != 1 {
		t.Errorf("want the warning once: %s", stderr)
	}
}

// TestScanCommandKeys: --out, --timeout, --progress, --log-level and
// quotas are keys of the file and variables too, as the docs say.
func TestScanCommandKeys(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	dir := t.TempDir()
	out := filepath.Join(dir, "from-file.json")
	cfg := filepath.Join(dir, "c.yaml")
	body := "regions: us-east-1\nlogs: false\nout: " + out + "\nprogress: never\nlogLevel: error\ntimeout: 10m\nquotas:\n  \"Lambda:*\": 20\n"
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LAMBDAUDIT_QUOTAS", "CloudWatch:GetMetricData=40")
	_, stderr, code := runCLI(t, "scan", "--config", cfg, "--day", reportDay)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("out key ignored: %v", err)
	}
	t.Setenv("LAMBDAUDIT_QUOTAS", "CloudWatch:GetMetricDat=40")
	_, stderr, code = runCLI(t, "scan", "--config", cfg, "--day", reportDay)
	if code != 2 || !strings.Contains(stderr, "LAMBDAUDIT_QUOTAS") {
		t.Errorf("exit %d, %s: want the variable named", code, stderr)
	}
}

// TestReportOutput: report checks its output first and never leaves half
// a file: a failed run keeps the previous report whole.
func TestReportOutput(t *testing.T) {
	good := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(good, []byte("previous report"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, out, scan, want string
	}{
		{"missing directory", "/nonexistent/r.json", fixtureScan, "--out: /nonexistent/r.json"},
		{"bad scan keeps the previous report", good, "testdata/future-scan.json", "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, "report", "--scan", tt.scan, "-o", tt.out)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, %s; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(good); string(b) != "previous report" {
		t.Errorf("the previous report became %q", b)
	}
}

// TestScanGzipOutput: `scan -o FILE.gz` writes the result compact and
// gzip-compressed, and `report` reads it as it reads the plain file: the
// same result, the same insights.
func TestScanGzipOutput(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	dir := t.TempDir()
	reports := map[string]*insights.Report{}
	results := map[string]*scanner.Result{}
	for _, tc := range []struct{ name, out string }{
		{"plain", filepath.Join(dir, "scan.json")},
		{"gzip", filepath.Join(dir, "scan.json.gz")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, "scan", "--day", reportDay, "--logs=false", "-o", tc.out, "--progress", "never")
			if code != 0 {
				t.Fatalf("scan: exit %d: %s", code, stderr)
			}
			b, err := os.ReadFile(tc.out)
			if err != nil {
				t.Fatal(err)
			}
			if gz := len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b; gz != (tc.name == "gzip") {
				t.Errorf("%s: gzip magic %v", tc.out, gz)
			}
			if tc.name == "plain" && (bytes.Count(b, []byte("\n")) != 1 || !bytes.HasSuffix(b, []byte("}\n"))) {
				t.Errorf("%s: want compact JSON on one line", tc.out)
			}
			results[tc.name] = readScanFile(t, tc.out)
			rep := filepath.Join(dir, tc.name+"-report.json")
			if _, stderr, code := runCLI(t, "report", "--scan", tc.out, "-o", rep); code != 0 {
				t.Fatalf("report --scan %s: exit %d: %s", tc.out, code, stderr)
			}
			reports[tc.name] = readReportFile(t, rep)
		})
	}
	p, g := results["plain"], results["gzip"]
	if p == nil || g == nil {
		t.FailNow()
	}
	if len(g.Functions) == 0 || !reflect.DeepEqual(g.Functions, p.Functions) || !reflect.DeepEqual(g.Coverage, p.Coverage) {
		t.Errorf("the gzip result (%d functions) differs from the plain one (%d)", len(g.Functions), len(p.Functions))
	}
	if rg, rp := reports["gzip"], reports["plain"]; len(rg.Insights) == 0 || !reflect.DeepEqual(rg.Insights, rp.Insights) || !reflect.DeepEqual(rg.Counts, rp.Counts) {
		t.Errorf("report from gzip: %d insights %+v; from plain: %d %+v", len(rg.Insights), rg.Counts, len(rp.Insights), rp.Counts)
	}
}
