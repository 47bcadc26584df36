package lambdatest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestKept checks which records a successful invocation's response
// leaves in the queue, against the rules of Lambda's partial batch
// responses.
func TestKept(t *testing.T) {
	// Records a1 a2 b1 a3 b2: groups a and b on a FIFO queue.
	ev := events.SQSEvent{}
	for _, id := range []string{"a1", "a2", "b1", "a3", "b2"} {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: id, Attributes: map[string]string{"MessageGroupId": id[:1]}})
	}
	cases := []struct {
		name    string
		report  bool
		resp    string
		want    []string
		wantErr string
	}{
		{name: "without ReportBatchItemFailures the response is ignored", resp: `{"batchItemFailures":[{"itemIdentifier":"a1"}]}`},
		{name: "empty response", report: true, resp: ``},
		{name: "null response", report: true, resp: `null`},
		{name: "empty object", report: true, resp: `{}`},
		{name: "null list", report: true, resp: `{"batchItemFailures":null}`},
		{name: "empty list", report: true, resp: `{"batchItemFailures":[]}`},
		{name: "standard queue keeps what is listed", report: true, resp: `{"batchItemFailures":[{"itemIdentifier":"a2"},{"itemIdentifier":"b2"}]}`, want: []string{"a2", "b2"}},
		{name: "FIFO keeps only what is listed, as Lambda", report: true, resp: `{"batchItemFailures":[{"itemIdentifier":"a2"}]}`, want: []string{"a2"}},
		{name: "unknown identifier fails the batch", report: true, resp: `{"batchItemFailures":[{"itemIdentifier":"zz"}]}`, wantErr: `itemIdentifier "zz"`},
		{name: "empty identifier fails the batch", report: true, resp: `{"batchItemFailures":[{"itemIdentifier":""}]}`, wantErr: `itemIdentifier ""`},
		{name: "bad key name fails the batch", report: true, resp: `{"batchItemFailures":[{"id":"a1"}]}`, wantErr: `itemIdentifier ""`},
		{name: "not JSON fails the batch", report: true, resp: `"ok"`, wantErr: "not an SQSEventResponse"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &ESM{ReportBatchItemFailures: c.report}
			keep, err := e.kept(ev, []byte(c.resp))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Sorted(maps.Keys(keep))
			if !slices.Equal(got, c.want) {
				t.Errorf("kept %q, want %q", got, c.want)
			}
		})
	}
}

// TestEvent checks a record's shape against the event Lambda sends.
func TestEvent(t *testing.T) {
	body := `{"id":"x"}`
	sum := md5.Sum([]byte(body))
	msg := sqstypes.Message{
		MessageId: aws.String("m-1"), ReceiptHandle: aws.String("rh-1"), Body: aws.String(body),
		MD5OfBody: aws.String(hex.EncodeToString(sum[:])), MD5OfMessageAttributes: aws.String("abc"),
		Attributes: map[string]string{
			"ApproximateReceiveCount": "2", "SentTimestamp": "1", "SenderId": "s", "ApproximateFirstReceiveTimestamp": "2",
			"SequenceNumber": "9", "MessageGroupId": "acct/us-east-1", "MessageDeduplicationId": "d",
			"DeadLetterQueueSourceArn": "not passed by Lambda",
		},
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"scan": {DataType: aws.String("String"), StringValue: aws.String("s1")}},
	}
	ev := event(source{arn: "arn:aws:sqs:eu-west-1:123456789012:q.fifo", region: "eu-west-1", fifo: true}, []sqstypes.Message{msg})
	got, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Records":[{"messageId":"m-1","receiptHandle":"rh-1","body":"{\"id\":\"x\"}","md5OfBody":"` + hex.EncodeToString(sum[:]) + `",` +
		`"md5OfMessageAttributes":"abc","attributes":{"ApproximateFirstReceiveTimestamp":"2","ApproximateReceiveCount":"2","MessageDeduplicationId":"d",` +
		`"MessageGroupId":"acct/us-east-1","SenderId":"s","SentTimestamp":"1","SequenceNumber":"9"},` +
		`"messageAttributes":{"scan":{"stringValue":"s1","stringListValues":[],"binaryListValues":[],"dataType":"String"}},` +
		`"eventSourceARN":"arn:aws:sqs:eu-west-1:123456789012:q.fifo","eventSource":"aws:sqs","awsRegion":"eu-west-1"}]}`
	if string(got) != want {
		t.Errorf("event\n got %s\nwant %s", got, want)
	}
}
