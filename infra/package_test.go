package infra

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// TestPackage runs the README's `aws cloudformation package` on the
// central template against moto_server's S3: every function's CodeUri
// becomes the same uploaded zip, which holds the bootstrap binary alone,
// executable, at its root (what provided.al2023 runs).
func TestPackage(t *testing.T) {
	cli := simtest.AWSCLI(t)
	endpoint := simtest.Moto(t)
	client := s3.NewFromConfig(simtest.SDKConfig(t, endpoint, "us-east-1"), func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	bucket := "lambdaudit-artifacts-" + strconv.FormatInt(time.Now().UnixNano(), 36)

	dir := t.TempDir()
	src, err := templates.ReadFile(Central)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, Central), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "build"), 0o755); err != nil {
		t.Fatal(err)
	}
	bootstrap := []byte("#!/bin/sh\n# a stand-in for the Go binary\n")
	if err := os.WriteFile(filepath.Join(dir, "build", "bootstrap"), bootstrap, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	packaged := filepath.Join(dir, "packaged.yaml")
	cmd := exec.CommandContext(ctx, cli, "cloudformation", "package",
		"--template-file", filepath.Join(dir, Central),
		"--s3-bucket", bucket, "--s3-prefix", "lambdaudit",
		"--output-template-file", packaged)
	// The upload goes to S3, not to CloudFormation: S3's endpoint variable,
	// path-style as a local endpoint needs.
	cmd.Env = append(simtest.CLIEnv(t, "us-east-1"), "AWS_ENDPOINT_URL_S3="+endpoint)
	for _, kv := range cmd.Env {
		if f, ok := strings.CutPrefix(kv, "AWS_CONFIG_FILE="); ok {
			if err := os.WriteFile(f, []byte("[default]\ns3 =\n    addressing_style = path\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("aws cloudformation package: %v\n%s", err, out)
	}
	b, err := os.ReadFile(packaged)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Parse("packaged.yaml", b)
	if err != nil {
		t.Fatal(err)
	}

	var uri string
	for _, fn := range []string{"PlanFunction", "WorkFunction", "ReportFunction"} {
		got := scalar(tpl.Node("Resources", fn, "Properties", "CodeUri"))
		if !strings.HasPrefix(got, "s3://"+bucket+"/lambdaudit/") {
			t.Fatalf("%s CodeUri %q, want s3://%s/lambdaudit/…", fn, got, bucket)
		}
		if uri != "" && got != uri {
			t.Errorf("%s CodeUri %q, the others %q: one artifact for all three", fn, got, uri)
		}
		uri = got
	}
	if tpl.Node("Globals", "Function", "CodeUri") != nil {
		t.Error("Globals.Function.CodeUri is set")
	}

	key := strings.TrimPrefix(uri, "s3://"+bucket+"/")
	obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", uri, err)
	}
	defer obj.Body.Close()
	body, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("%s is not a zip: %v", uri, err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		t.Fatalf("zip holds %q, want [bootstrap]", names)
	}
	if mode := zr.File[0].Mode(); mode&0o111 == 0 {
		t.Errorf("bootstrap mode %v: not executable", mode)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); !bytes.Equal(got, bootstrap) {
		t.Errorf("bootstrap in the zip is %q", got)
	}
}
