// Package notify owns delivery: the Slack digest (incoming webhook or bot
// token, Block Kit within Slack's limits, mrkdwn-escaped), the terminal
// digest, Opsgenie / Jira Service Management alerts with deduplication by
// alias and auto-close (their state kept in a store.Store), and the CSV
// cost report (local or S3 with a presigned link). It renders and sends
// what package insights decided; it computes no insight itself.
package notify
