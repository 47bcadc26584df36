package notify

import (
	"strings"
	"testing"
)

// TestSlackConfigValidate: bad settings are refused at start-up, naming
// the setting and never echoing the secret.
func TestSlackConfigValidate(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T0/B0/s3cr3t"
	cases := []struct {
		name string
		cfg  SlackConfig
		// err lists substrings of the error; none means valid.
		err  []string
		mode string
	}{
		{"not configured", SlackConfig{}, nil, ""},
		{"webhook", SlackConfig{WebhookURL: hook}, nil, SlackWebhook},
		{"GovSlack webhook", SlackConfig{WebhookURL: "https://hooks.slack-gov.com/services/T0/B0/s3cr3t"}, nil, SlackWebhook},
		{"webhook on loopback (tests)", SlackConfig{WebhookURL: "http://127.0.0.1:8080/services/s3cr3t"}, nil, SlackWebhook},
		{"bot", SlackConfig{BotToken: "xoxb-1-s3cr3t", Channel: "C0LAMBDA"}, nil, SlackBot},
		{"bot with a channel name", SlackConfig{BotToken: "xoxb-1-s3cr3t", Channel: "#lambda-digest"}, nil, SlackBot},
		{"webhook over http", SlackConfig{WebhookURL: "http://hooks.slack.com/services/T0/B0/s3cr3t"}, []string{"SLACK_WEBHOOK_URL: must be an https URL"}, SlackWebhook},
		{"webhook not a URL", SlackConfig{WebhookURL: "s3cr3t"}, []string{"SLACK_WEBHOOK_URL: not a URL"}, SlackWebhook},
		{"webhook of another Slack path", SlackConfig{WebhookURL: "https://hooks.slack.com/workflows/s3cr3t"}, []string{"SLACK_WEBHOOK_URL: not an incoming webhook", "/services/"}, SlackWebhook},
		{"webhook without a path", SlackConfig{WebhookURL: "https://example.com/"}, []string{"SLACK_WEBHOOK_URL: no webhook path"}, SlackWebhook},
		{"webhook with user info", SlackConfig{WebhookURL: "https://u:s3cr3t@hooks.slack.com/services/T0"}, []string{"SLACK_WEBHOOK_URL: must not carry user info"}, SlackWebhook},
		{"token without channel", SlackConfig{BotToken: "xoxb-1-s3cr3t"}, []string{"SLACK_CHANNEL: required with SLACK_BOT_TOKEN"}, SlackBot},
		{"channel without token", SlackConfig{Channel: "C0LAMBDA"}, []string{"SLACK_CHANNEL: set, but SLACK_BOT_TOKEN is not"}, ""},
		{"not a token", SlackConfig{BotToken: "s3cr3t", Channel: "C0LAMBDA"}, []string{"SLACK_BOT_TOKEN: not a Slack token"}, SlackBot},
		{"token with a newline", SlackConfig{BotToken: "xoxb-1-s3cr3t\n", Channel: "C0LAMBDA"}, []string{"SLACK_BOT_TOKEN: not a Slack token"}, SlackBot},
		{"both", SlackConfig{WebhookURL: hook, BotToken: "xoxb-1-s3cr3t", Channel: "C0"}, []string{"SLACK_WEBHOOK_URL and SLACK_BOT_TOKEN: set one of them, not both"}, SlackBot},
		{"webhook with a channel", SlackConfig{WebhookURL: hook, Channel: "C0"}, []string{"SLACK_CHANNEL: an incoming webhook posts to its own channel"}, SlackWebhook},
		{"channel with spaces", SlackConfig{BotToken: "xoxb-1-s3cr3t", Channel: "lambda digest"}, []string{"SLACK_CHANNEL: \"lambda digest\" is not a channel"}, SlackBot},
		{"bad API URL", SlackConfig{BotToken: "xoxb-1-s3cr3t", Channel: "C0", APIURL: "ftp://x"}, []string{"slack API URL"}, SlackBot},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if m := c.cfg.Mode(); m != c.mode {
				t.Errorf("Mode() = %q, want %q", m, c.mode)
			}
			err := c.cfg.Validate()
			if len(c.err) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate: no error")
			}
			for _, want := range c.err {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate: %q, want %q in it", err, want)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("Validate echoes a secret: %v", err)
			}
		})
	}
}

func TestSlackConfigFromEnv(t *testing.T) {
	t.Setenv(EnvSlackWebhookURL, "")
	t.Setenv(EnvSlackBotToken, " xoxb-1-s3cr3t\n")
	t.Setenv(EnvSlackChannel, "C0LAMBDA")
	cfg := SlackConfigFromEnv()
	if cfg.BotToken != "xoxb-1-s3cr3t" || cfg.Channel != "C0LAMBDA" || cfg.WebhookURL != "" || !cfg.Enabled() || cfg.Mode() != SlackBot {
		t.Errorf("SlackConfigFromEnv() = %s", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	if s := cfg.String(); s != "slack bot (token xoxb-…) to channel C0LAMBDA" {
		t.Errorf("String() = %q", s)
	}
	if _, err := NewSlackSender(SlackConfig{}, SlackSenderOptions{}); err == nil || !strings.Contains(err.Error(), "set SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and SLACK_CHANNEL") {
		t.Errorf("NewSlackSender of an empty config: %v", err)
	}
}
