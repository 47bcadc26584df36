package infra

import "strings"

// iamPrefix is the IAM service prefix of each SDK service ID
// (awsmiddleware.GetServiceID) lambdaudit calls.
var iamPrefix = map[string]string{
	"Lambda":                      "lambda",
	"CloudWatch":                  "cloudwatch",
	"CloudWatch Logs":             "logs",
	"Resource Groups Tagging API": "tag",
	"STS":                         "sts",
	"EC2":                         "ec2",
	"Organizations":               "organizations",
	"SQS":                         "sqs",
	"S3":                          "s3",
	"SSM":                         "ssm",
	"KMS":                         "kms",
}

// iamName is the IAM action of the SDK operations whose action has
// another name ("" = no permission needed).
var iamName = map[string]string{
	"SQS:SendMessageBatch":             "sqs:SendMessage",
	"SQS:DeleteMessageBatch":           "sqs:DeleteMessage",
	"SQS:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
	"S3:ListObjectsV2":                 "s3:ListBucket",
	"S3:ListObjects":                   "s3:ListBucket",
	"S3:HeadObject":                    "s3:GetObject",
	"S3:HeadBucket":                    "s3:ListBucket",
	"STS:GetCallerIdentity":            "", // answers for any caller: no grant needed
}

// IAMAction is the IAM action an SDK call needs, from its service ID and
// operation name as the SDK's middleware gives them ("CloudWatch Logs",
// "StartQuery" → "logs:StartQuery"; "SQS", "SendMessageBatch" →
// "sqs:SendMessage"). ok is false for a service lambdaudit does not call
// and for a call that needs no permission (STS GetCallerIdentity).
func IAMAction(serviceID, operation string) (action string, ok bool) {
	key := serviceID + ":" + operation
	if a, renamed := iamName[key]; renamed {
		return a, a != ""
	}
	prefix, known := iamPrefix[serviceID]
	if !known || operation == "" || strings.ContainsAny(operation, ": ") {
		return "", false
	}
	return prefix + ":" + operation, true
}

// UsedByAWS is, per role of the central template, the actions AWS itself
// performs as the role rather than lambdaudit's code, with why: the
// least-privilege test leaves them out of "granted but never used".
var UsedByAWS = map[string]map[string]string{
	PlanRole: {
		"logs:CreateLogStream": "Lambda writes the function's log to its log group",
		"logs:PutLogEvents":    "Lambda writes the function's log to its log group",
	},
	WorkRole: {
		"logs:CreateLogStream":   "Lambda writes the function's log to its log group",
		"logs:PutLogEvents":      "Lambda writes the function's log to its log group",
		"sqs:ReceiveMessage":     "the event source mapping polls the queue as the function's role",
		"sqs:DeleteMessage":      "the event source mapping deletes the batch's succeeded messages",
		"sqs:GetQueueAttributes": "the event source mapping reads the queue's attributes",
	},
	ReportRole: {
		"logs:CreateLogStream": "Lambda writes the function's log to its log group",
		"logs:PutLogEvents":    "Lambda writes the function's log to its log group",
	},
	PlanScheduleRole: {
		"lambda:InvokeFunction": "EventBridge Scheduler invokes the plan function",
	},
	DeadlineScheduleRole: {
		"lambda:InvokeFunction": "EventBridge Scheduler invokes the report function",
	},
}
