package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// buildCLI compiles the lambdaudit binary once per test.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lambdaudit")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestSimServesAWSCLI is the sim issue's acceptance: `lambdaudit sim
// --functions 1000` serves a fleet that the aws CLI lists and queries.
func TestSimServesAWSCLI(t *testing.T) {
	aws := simtest.AWSCLI(t)
	bin := buildCLI(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "sim", "--functions", "1000", "--seed", "7", "--addr", addr, "--latency", "0s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	var banner []string
	for sc.Scan() {
		banner = append(banner, sc.Text())
		if strings.HasPrefix(sc.Text(), "accounting:") {
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	text := strings.Join(banner, "\n")
	url := "http://" + addr
	for _, want := range []string{"1,000 functions", "export AWS_ENDPOINT_URL=" + url, "export AWS_ACCESS_KEY_ID="} {
		if !strings.Contains(text, want) {
			t.Fatalf("banner lacks %q:\n%s", want, text)
		}
	}
	run := func(args ...string) []byte {
		t.Helper()
		c := exec.CommandContext(ctx, aws, append(args, "--endpoint-url", url, "--output", "json")...)
		// The sim enforces Lambda's 15 req/s: the CLI's own retryer absorbs
		// the throttles of listing 1000 functions as fast as it can.
		c.Env = append(simtest.CLIEnv(t, "us-east-1"), "AWS_MAX_ATTEMPTS=10", "AWS_RETRY_MODE=standard")
		out, err := c.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return out
	}
	var list struct {
		Functions []struct{ FunctionName string }
	}
	if err := json.Unmarshal(run("lambda", "list-functions"), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Functions) != 1000 {
		t.Fatalf("aws lambda list-functions: %d functions, want 1000", len(list.Functions))
	}
	name := list.Functions[0].FunctionName
	end := time.Now().UTC().Truncate(24 * time.Hour)
	start := end.Add(-3 * 24 * time.Hour)
	q := `[{"Id":"inv","MetricStat":{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Invocations","Dimensions":[{"Name":"FunctionName","Value":"` + name + `"}]},"Period":86400,"Stat":"Sum"}}]`
	var md struct {
		MetricDataResults []struct {
			ID         string `json:"Id"`
			StatusCode string
			Values     []float64
		}
	}
	if err := json.Unmarshal(run("cloudwatch", "get-metric-data", "--metric-data-queries", q,
		"--start-time", start.Format(time.RFC3339), "--end-time", end.Format(time.RFC3339)), &md); err != nil {
		t.Fatal(err)
	}
	if len(md.MetricDataResults) != 1 || md.MetricDataResults[0].StatusCode != "Complete" {
		t.Fatalf("get-metric-data: %+v", md)
	}
	if len(md.MetricDataResults[0].Values) != 3 {
		t.Fatalf("get-metric-data: %d daily values for %s, want 3: %+v", len(md.MetricDataResults[0].Values), name, md)
	}
	var who struct{ Account string }
	if err := json.Unmarshal(run("sts", "get-caller-identity"), &who); err != nil || who.Account == "" {
		t.Fatalf("sts get-caller-identity: %v %+v", err, who)
	}
}

func TestSimRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"neither spec nor functions", []string{"sim"}, "exactly one of --spec"},
		{"both", []string{"sim", "--spec", "x.yaml", "--functions", "3"}, "exactly one of --spec"},
		{"non-loopback", []string{"sim", "--functions", "100", "--addr", "0.0.0.0:4566"}, "not a loopback address"},
		{"bad fault", []string{"sim", "--functions", "100", "--fault", "throttlePct=200"}, "throttlePct"},
		{"fault flag not true or false", []string{"sim", "--functions", "100", "--fault", "accessDenied=yes"}, `--fault: fault "accessDenied=yes": accessDenied must be true or false, got "yes"`},
		{"fault key misspelt", []string{"sim", "--functions", "100", "--fault", "acessDenied=true"}, "did you mean accessDenied?"},
		{"bad mix", []string{"sim", "--functions", "10", "--mix", "nope=0.1"}, "unknown anomaly kind"},
		{"missing spec file", []string{"sim", "--spec", "/nonexistent.yaml"}, "nonexistent.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRootCmd()
			root.SetArgs(tc.args)
			root.SetOut(io.Discard)
			err := root.Execute()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
