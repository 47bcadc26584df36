package sim_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// ExampleServer builds a fleet from a tiny spec, serves it on loopback
// and lists its functions with the real aws-sdk-go-v2 Lambda client.
func ExampleServer() {
	spec, err := fleet.Parse([]byte(`
accounts:
  - id: "123456789012"
    regions:
      - name: us-east-1
        functions:
          - name: checkout-api
            memoryMB: 1024
          - name: image-resizer
            runtime: python3.12
            architecture: arm64
`))
	if err != nil {
		log.Fatal(err)
	}
	f, err := fleet.Build(spec, time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := sim.New(f, sim.WithLatency(sim.Latency{}))
	if err != nil {
		log.Fatal(err)
	}
	run, err := srv.Start("") // 127.0.0.1, a free port
	if err != nil {
		log.Fatal(err)
	}
	defer run.Close()

	client := lambda.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(sim.AccessKeyID, sim.SecretAccessKey, ""),
		BaseEndpoint: aws.String(run.URL),
	})
	pages := lambda.NewListFunctionsPaginator(client, &lambda.ListFunctionsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		for _, fn := range page.Functions {
			fmt.Println(aws.ToString(fn.FunctionName), fn.Runtime, fn.Architectures[0], aws.ToInt32(fn.MemorySize))
		}
	}
	// Output:
	// checkout-api nodejs22.x x86_64 1024
	// image-resizer python3.12 arm64 128
}
