package slack

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
		cfg  Config
		// err lists substrings of the error; none means valid.
		err  []string
		mode string
	}{
		{"not configured", Config{}, nil, ""},
		{"webhook", Config{WebhookURL: hook}, nil, Webhook},
		{"GovSlack webhook", Config{WebhookURL: "https://hooks.slack-gov.com/services/T0/B0/s3cr3t"}, nil, Webhook},
		{"webhook on loopback (tests)", Config{WebhookURL: "http://127.0.0.1:8080/services/s3cr3t"}, nil, Webhook},
		{"bot", Config{BotToken: "xoxb-1-s3cr3t", Channel: "C0LAMBDA"}, nil, Bot},
		{"bot with a channel name", Config{BotToken: "xoxb-1-s3cr3t", Channel: "#lambda-digest"}, nil, Bot},
		{"webhook over http", Config{WebhookURL: "http://hooks.slack.com/services/T0/B0/s3cr3t"}, []string{"SLACK_WEBHOOK_URL: must be an https URL"}, Webhook},
		{"webhook not a URL", Config{WebhookURL: "s3cr3t"}, []string{"SLACK_WEBHOOK_URL: not a URL"}, Webhook},
		{"webhook of another Slack path", Config{WebhookURL: "https://hooks.slack.com/workflows/s3cr3t"}, []string{"SLACK_WEBHOOK_URL: not an incoming webhook", "/services/"}, Webhook},
		{"webhook without a path", Config{WebhookURL: "https://example.com/"}, []string{"SLACK_WEBHOOK_URL: no webhook path"}, Webhook},
		{"webhook with user info", Config{WebhookURL: "https://u:s3cr3t@hooks.slack.com/services/T0"}, []string{"SLACK_WEBHOOK_URL: must not carry user info"}, Webhook},
		{"token without channel", Config{BotToken: "xoxb-1-s3cr3t"}, []string{"SLACK_CHANNEL: required with SLACK_BOT_TOKEN"}, Bot},
		{"channel without token", Config{Channel: "C0LAMBDA"}, []string{"SLACK_CHANNEL: set, but SLACK_BOT_TOKEN is not"}, ""},
		{"not a token", Config{BotToken: "s3cr3t", Channel: "C0LAMBDA"}, []string{"SLACK_BOT_TOKEN: not a Slack token"}, Bot},
		{"token with a newline", Config{BotToken: "xoxb-1-s3cr3t\n", Channel: "C0LAMBDA"}, []string{"SLACK_BOT_TOKEN: not a Slack token"}, Bot},
		{"both", Config{WebhookURL: hook, BotToken: "xoxb-1-s3cr3t", Channel: "C0"}, []string{"SLACK_WEBHOOK_URL and SLACK_BOT_TOKEN: set one of them, not both"}, Bot},
		{"webhook with a channel", Config{WebhookURL: hook, Channel: "C0"}, []string{"SLACK_CHANNEL: an incoming webhook posts to its own channel"}, Webhook},
		{"channel with spaces", Config{BotToken: "xoxb-1-s3cr3t", Channel: "lambda digest"}, []string{"SLACK_CHANNEL: \"lambda digest\" is not a channel"}, Bot},
		{"bad API URL", Config{BotToken: "xoxb-1-s3cr3t", Channel: "C0", APIURL: "ftp://x"}, []string{"slack API URL"}, Bot},
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
	t.Setenv(EnvWebhookURL, "")
	t.Setenv(EnvBotToken, " xoxb-1-s3cr3t\n")
	t.Setenv(EnvChannel, "C0LAMBDA")
	cfg := ConfigFromEnv()
	if cfg.BotToken != "xoxb-1-s3cr3t" || cfg.Channel != "C0LAMBDA" || cfg.WebhookURL != "" || !cfg.Enabled() || cfg.Mode() != Bot {
		t.Errorf("SlackConfigFromEnv() = %s", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	if s := cfg.String(); s != "slack bot (token xoxb-…) to channel C0LAMBDA" {
		t.Errorf("String() = %q", s)
	}
	if _, err := NewSender(Config{}, SenderOptions{}); err == nil || !strings.Contains(err.Error(), "set SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and SLACK_CHANNEL") {
		t.Errorf("NewSlackSender of an empty config: %v", err)
	}
}
