// Package infra owns lambdaudit's deployment templates and reads them back
// for tests.
//
// template.yaml is the AWS SAM template of the central account (plan, work
// and report functions from one bootstrap artifact, the SQS FIFO queue and
// its dead-letter queue, the results bucket, the EventBridge Scheduler
// schedules, one IAM role per function and the alarms); member-role.yaml is
// the read-only role of the member accounts, rolled out as a
// service-managed StackSet. README.md in this directory says how to deploy
// them and what each IAM action is for.
//
// Both templates are embedded. Load parses one; Template.Grants and
// Template.GrantedActions list what an IAM role of it may do, so the
// least-privilege test can compare the actions an end-to-end run performed
// (IAMAction maps an SDK call to its action) with what the templates grant,
// less the actions AWS itself performs as the role (UsedByAWS).
//
// The templates use CloudFormation's short-form tags (!Sub, !Ref, !If,
// !GetAtt, ...); the reader treats a tagged node like its long form
// ({"Fn::Sub": ...}), so either form may be used.
//
// The package must not be imported by the scanner or the Lambda host: it
// describes the deployment, it does not take part in it.
package infra
