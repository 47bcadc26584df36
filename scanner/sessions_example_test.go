package scanner_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// An organization of two accounts: the management account the
// credentials belong to, and a member entered through a role with an
// external ID; an opt-in region the member has not enabled.
const exampleOrg = `
accounts:
  - id: "111111111111"
    regions:
      - name: us-east-1
        functions: [{name: api, tags: {team: checkout}}, {name: worker, architecture: arm64, memoryMB: 1024}]
      - name: eu-west-1
        functions: [{name: api-eu}]
  - id: "222222222222"
    externalId: example-ext-id
    roleName: LambdauditReadOnly
    regions:
      - name: us-east-1
        functions: [{name: staging-api}]
      - name: eu-west-1
        disabled: true
`

// Every region of every account of an organization: resolve the targets,
// check each account's credentials, then list each pair's functions.
func ExampleSessions() {
	// The simulated AWS account stands in for AWS.
	spec, err := fleet.Parse([]byte(exampleOrg))
	if err != nil {
		log.Fatal(err)
	}
	f, err := fleet.Build(spec, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	srv, err := sim.New(f, sim.WithLatency(sim.Latency{}))
	if err != nil {
		log.Fatal(err)
	}
	run, err := srv.Start("")
	if err != nil {
		log.Fatal(err)
	}
	defer run.Close()

	ctx := context.Background()
	base, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithBaseEndpoint(run.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(sim.AccessKeyID, sim.SecretAccessKey, "")))
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := scanner.NewSessions(base, scanner.Targets{
		Regions:    []string{scanner.All},
		Accounts:   []string{scanner.All},
		Role:       "LambdauditReadOnly",
		ExternalID: "example-ext-id",
	})
	if err != nil {
		log.Fatal(err)
	}
	failed, err := sessions.Preflight(ctx)
	if err != nil {
		log.Fatal(err) // the base credentials or the endpoint do not work
	}
	pairs, err := sessions.Pairs(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range pairs {
		if err := failed[p]; err != nil {
			fmt.Println(p, "failed:", err)
			continue
		}
		cfg, err := sessions.Config(ctx, p)
		if err != nil {
			log.Fatal(err)
		}
		err = scanner.NewInventory(cfg, p).ListFunctionConfigs(ctx, func(page []scanner.FunctionConfig) error {
			for _, fn := range page {
				fmt.Println(p, fn.Name, fn.Architecture, fn.MemoryMB, fn.LogGroup)
			}
			return nil
		})
		switch {
		case errors.Is(err, scanner.ErrRegionDisabled):
			fmt.Println(p, "not scanned:", scanner.ErrRegionDisabled)
		case err != nil:
			log.Fatal(err)
		}
	}
	// Output:
	// 111111111111/eu-west-1 api-eu x86_64 128 /aws/lambda/api-eu
	// 111111111111/us-east-1 api x86_64 128 /aws/lambda/api
	// 111111111111/us-east-1 worker arm64 1024 /aws/lambda/worker
	// 222222222222/eu-west-1 not scanned: region not enabled for the account (the security token is not valid there)
	// 222222222222/us-east-1 staging-api x86_64 128 /aws/lambda/staging-api
}
