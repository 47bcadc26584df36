package infra

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lintRegions are the regions cfn-lint checks the templates against: a
// commercial one in each of two continents, GovCloud and China (resource
// types and properties differ by partition).
var lintRegions = []string{"us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1"}

// cfnLint is the path of cfn-lint (PATH, else pyenv's shims, where the
// machine image has it). It skips the test when missing, and fails it in
// CI, where the image has it.
func cfnLint(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("cfn-lint"); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("PYENV_ROOT"), filepath.Join(os.Getenv("HOME"), ".pyenv")} {
		p := filepath.Join(dir, "shims", "cfn-lint")
		if dir != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("cfn-lint is required in CI (it is on the machine image under ~/.pyenv/shims) but was not found")
	}
	t.Skip("cfn-lint not found on PATH or in ~/.pyenv/shims; skipping the template lint (CI runs it)")
	return ""
}

// runCfnLint lints files, informational findings included, and returns
// its output and whether it found nothing.
func runCfnLint(t *testing.T, bin string, files ...string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"--format", "parseable", "--include-checks", "I", "--regions"}, lintRegions...)
	args = append(append(args, "--"), files...)
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
	return string(out), err == nil
}

// TestCfnLint: every template in this directory is clean for cfn-lint
// (errors, warnings and informational findings; a rule a template must
// break is ignored in that template's Metadata with the reason).
func TestCfnLint(t *testing.T) {
	bin := cfnLint(t)
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("templates: %v %v", files, err)
	}
	if out, clean := runCfnLint(t, bin, files...); !clean || strings.TrimSpace(out) != "" {
		t.Errorf("cfn-lint %s:\n%s", strings.Join(files, " "), out)
	}
}

// TestCfnLintFindsFaults: the lint really runs (a template with a fault
// it must report).
func TestCfnLintFindsFaults(t *testing.T) {
	bin := cfnLint(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	src := "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: 99999\n"
	if err := os.WriteFile(bad, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	out, clean := runCfnLint(t, bin, bad)
	if clean || !strings.Contains(out, ":6:7:6:24:E3034:") {
		t.Errorf("cfn-lint passed a queue with VisibilityTimeout 99999 (most is 43200):\n%s", out)
	}
}
