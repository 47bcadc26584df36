package slack

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
)

// slackPayload is the document Payload writes.
type slackPayload struct {
	// Mode is Webhook, Bot or "none" (Slack not configured:
	// the payload shows what would be sent).
	Mode string `json:"mode"`
	// Channel is the bot mode's channel (not a secret).
	Channel string        `json:"channel,omitempty"`
	Text    string        `json:"text"`
	Blocks  []slack.Block `json:"blocks"`
	// Thread are the replies posted under the message (bot mode), each
	// with the message's ts as thread_ts.
	Thread []slackReply `json:"thread,omitempty"`
}

type slackReply struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

// Payload is the exact Block Kit message of a digest as indented
// JSON — what `lambdaudit demo` writes to slack.json: the mode, the bot
// mode's channel, the fallback text and blocks as posted (the top level
// pastes into Slack's Block Kit Builder), and the thread replies. The
// webhook URL and the bot token are never in it.
func Payload(m DigestMessage, cfg Config) ([]byte, error) {
	p := slackPayload{Mode: cfg.Mode(), Text: m.Text, Blocks: m.Blocks}
	if p.Mode == "" {
		p.Mode = "none"
	}
	if p.Mode == Bot {
		p.Channel = cfg.Channel
	}
	if p.Blocks == nil {
		p.Blocks = []slack.Block{}
	}
	for _, r := range m.Thread {
		p.Thread = append(p.Thread, slackReply(r))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("slack payload: %w", err)
	}
	return buf.Bytes(), nil
}
