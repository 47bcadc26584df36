// Package slack delivers the digest to Slack: Digest builds the Block
// Kit message within Slack's limits (MaxBlocks, MaxSectionChars,
// MessageBudget), AWS text mrkdwn-escaped and shown verbatim, continued
// in thread replies in the bot mode; Payload is its exact request body
// (slack.json); Sender posts it through an incoming webhook or a bot
// token, retrying with notify.Retrier. Its Config is read from
// SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and SLACK_CHANNEL.
//
// The webhook URL and the token never appear in a log, an error or a
// file. It reads the report through package digest and decides nothing
// about it.
package slack
