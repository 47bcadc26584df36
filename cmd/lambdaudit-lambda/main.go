// Command lambdaudit-lambda is the bootstrap of the Lambda deployment
// (runtime provided.al2023): one binary for the plan, work and report
// functions, chosen by LAMBDAUDIT_HANDLER (see package lambdahost and
// infra/). Build it with
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -o bootstrap ./cmd/lambdaudit-lambda
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/lambdaudit/lambdaudit/lambdahost"
	"github.com/lambdaudit/lambdaudit/scanner"
)

func main() {
	// Lambda gives the function AWS_LAMBDA_FUNCTION_MEMORY_SIZE MB and
	// kills it above; the Go runtime does not know. A soft limit at 90 %
	// makes the collector work harder before that, rather than the
	// container die (GOMEMLIMIT, when set, wins).
	if mb, err := strconv.Atoi(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")); err == nil && mb > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(mb) << 20 * 9 / 10)
	}
	logger := lambdacontext.NewLogger()
	c, err := lambdahost.ConfigFromEnv(os.Environ(), func(msg string) { logger.Warn(msg) })
	if err != nil {
		// A bad configuration stops the container at start-up, with the
		// variable named: Lambda reports it as an init error.
		fmt.Fprintln(os.Stderr, "lambdaudit-lambda:", err)
		os.Exit(2)
	}
	logger = logger.With("handler", c.Handler)
	base, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRetryer(scanner.Retryer(c.Scan.Scanner.SDKAttempts)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdaudit-lambda: aws config:", err)
		os.Exit(2)
	}
	// The deployment's own services (queue, store, secrets) get the HTTP
	// attempt timeout but not BoundCalls' call deadline: that deadline
	// ends when the operation returns, before the store reads a streamed
	// S3 body, and every Get would fail with "context canceled".
	own := base.Copy()
	httpTimeout := c.Scan.Scanner.HTTPTimeout
	if httpTimeout <= 0 {
		httpTimeout = scanner.DefaultHTTPTimeout
	}
	own.HTTPClient = awshttp.NewBuildableClient().WithTimeout(httpTimeout)
	scanner.BoundCalls(&base, c.Scan.Scanner.HTTPTimeout, c.Scan.Scanner.CallTimeout)
	h, err := lambdahost.New(base, c, lambdahost.WithLogger(logger), lambdahost.WithServiceConfig(own))
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdaudit-lambda:", err)
		os.Exit(2)
	}
	lambda.Start(h.Handler())
}
