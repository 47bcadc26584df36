package fanout_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdaudit/lambdaudit/fanout"
)

// A planner sends units on an SQS FIFO queue; each account/region is one
// message group, so at most one worker at a time runs a pair's units.
func ExampleNewSQS() {
	ctx := context.Background()
	var cfg aws.Config // from config.LoadDefaultConfig
	q, err := fanout.NewSQS(sqs.NewFromConfig(cfg), "https://sqs.us-east-1.amazonaws.com/999999999999/lambdaudit-work.fifo",
		fanout.SQSConfig{DedupScope: "scan-2026-11-22"})
	if err != nil {
		fmt.Println(err)
		return
	}
	u, err := fanout.NewUnit("111111111111", "us-east-1", "metrics", []string{"111111111111/us-east-1/api"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := q.Send(ctx, 0, u); err != nil {
		var se *fanout.SendError
		if errors.As(err, &se) {
			fmt.Println("not sent:", se.UnitIDs())
		}
	}
}

// A Lambda worker fed by an SQS event source mapping runs the event's
// records through a pool and answers with the records to deliver again:
// here the one whose body is not a unit (logged, then moved to the
// dead-letter queue by the redrive policy after maxReceiveCount).
func ExampleNewSQSBatch() {
	ctx := context.Background()
	var ev events.SQSEvent // the handler's argument
	if err := json.Unmarshal([]byte(`{"Records":[
		{"messageId":"m-1","body":"{\"id\":\"metrics/111111111111/us-east-1/a1\",\"account\":\"111111111111\",\"region\":\"us-east-1\",\"kind\":\"metrics\",\"items\":[\"111111111111/us-east-1/api\"],\"attempt\":0}","attributes":{"ApproximateReceiveCount":"1"},"eventSourceARN":"arn:aws:sqs:us-east-1:999999999999:lambdaudit-work.fifo"},
		{"messageId":"m-2","body":"not a unit","attributes":{"ApproximateReceiveCount":"1"},"eventSourceARN":"arn:aws:sqs:us-east-1:999999999999:lambdaudit-work.fifo"}
	]}`), &ev); err != nil {
		fmt.Println(err)
		return
	}
	// In a real worker, pass the *fanout.SQS of the same queue so that
	// retries are sent on it.
	batch, err := fanout.NewSQSBatch(ev, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Println(err)
		return
	}
	ledger := fanout.NewLedger()
	handler := func(ctx context.Context, u fanout.Unit) error { return nil }
	pool, err := fanout.NewPool(batch, handler, ledger, fanout.Config{Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	// No CloseInput: Run ends when the batch is drained (ErrClosed).
	if err := pool.Run(ctx); err != nil {
		fmt.Println(err)
		return
	}
	resp, _ := json.Marshal(batch.Response())
	fmt.Println("done:", ledger.Snapshot().Items.Done)
	fmt.Println(string(resp))
	// Output:
	// done: 1
	// {"batchItemFailures":[{"itemIdentifier":"m-2"}]}
}
