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

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/lambdaudit/lambdaudit/lambdahost"
	"github.com/lambdaudit/lambdaudit/scanner"
)

func main() {
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
	scanner.BoundCalls(&base, c.Scan.Scanner.HTTPTimeout, c.Scan.Scanner.CallTimeout)
	h, err := lambdahost.New(base, c, lambdahost.WithLogger(logger))
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdaudit-lambda:", err)
		os.Exit(2)
	}
	lambda.Start(h.Handler())
}
