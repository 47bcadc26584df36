package slack

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/lambdaudit/lambdaudit/notify"
)

// The environment variables of ConfigFromEnv; errors of Validate
// name them.
const (
	EnvWebhookURL = "SLACK_WEBHOOK_URL"
	EnvBotToken   = "SLACK_BOT_TOKEN"
	EnvChannel    = "SLACK_CHANNEL"
)

// Slack delivery modes.
const (
	// Webhook posts one message to an incoming webhook: it cannot
	// reply in a thread, so what does not fit points to the CSV.
	Webhook = "webhook"
	// Bot posts with a bot token (chat.postMessage) and continues
	// long content in the message's thread.
	Bot = "bot"
)

// Config says where the digest goes: an incoming webhook, or a bot
// token and a channel. Its String and LogValue redact the secrets (the
// webhook URL, the token), so printing or logging it is safe.
type Config struct {
	// WebhookURL is an incoming webhook
	// (https://hooks.slack.com/services/…). Secret.
	WebhookURL string
	// BotToken is a bot token (xoxb-…) with chat:write; Channel the
	// channel to post to (an ID such as C0123ABCD, or a name).
	BotToken string
	Channel  string
	// APIURL is the Web API's base URL; empty is Slack's
	// (https://slack.com/api/). Tests point it at slacktest.
	APIURL string
}

// ConfigFromEnv reads SLACK_WEBHOOK_URL, SLACK_BOT_TOKEN and
// SLACK_CHANNEL (surrounding spaces trimmed). Call Validate on the result.
func ConfigFromEnv() Config {
	get := func(k string) string { return strings.TrimSpace(os.Getenv(k)) }
	return Config{WebhookURL: get(EnvWebhookURL), BotToken: get(EnvBotToken), Channel: get(EnvChannel)}
}

// Enabled says whether any Slack setting is given.
func (c Config) Enabled() bool {
	return c.WebhookURL != "" || c.BotToken != "" || c.Channel != ""
}

// Mode is Bot with a token, Webhook with a webhook URL, else "".
func (c Config) Mode() string {
	switch {
	case c.BotToken != "":
		return Bot
	case c.WebhookURL != "":
		return Webhook
	}
	return ""
}

// Validate checks the settings before anything is scanned, naming the
// setting at fault and never echoing a secret: an invalid webhook URL,
// a token that is not a Slack token, a token without a channel (or a
// channel without a token), or both a webhook and a token. An empty
// config (Slack not used) is valid.
func (c Config) Validate() error {
	var errs []error
	if c.WebhookURL != "" && c.BotToken != "" {
		errs = append(errs, fmt.Errorf("%s and %s: set one of them, not both", EnvWebhookURL, EnvBotToken))
	}
	if c.WebhookURL != "" {
		if err := validWebhook(c.WebhookURL); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvWebhookURL, err))
		}
		if c.Channel != "" && c.BotToken == "" {
			errs = append(errs, fmt.Errorf("%s: an incoming webhook posts to its own channel; %s is for the bot token", EnvChannel, EnvChannel))
		}
	}
	if c.BotToken != "" {
		if !strings.HasPrefix(c.BotToken, "xox") || strings.ContainsFunc(c.BotToken, isSpaceOrControl) {
			errs = append(errs, fmt.Errorf("%s: not a Slack token (want a bot token, xoxb-…)", EnvBotToken))
		}
		if c.Channel == "" {
			errs = append(errs, fmt.Errorf("%s: required with %s (a channel ID such as C0123ABCD, or a channel name)", EnvChannel, EnvBotToken))
		}
	}
	if c.Channel != "" && c.BotToken == "" && c.WebhookURL == "" {
		errs = append(errs, fmt.Errorf("%s: set, but %s is not", EnvChannel, EnvBotToken))
	}
	if c.Channel != "" && strings.ContainsFunc(c.Channel, isSpaceOrControl) {
		errs = append(errs, fmt.Errorf("%s: %q is not a channel (no spaces)", EnvChannel, notify.Clean(c.Channel)))
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("slack API URL: not an http(s) URL"))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("slack config: %w", errors.Join(errs...))
	}
	return nil
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// validWebhook accepts an https URL with a path (http only on loopback,
// for tests); on Slack's hosts the path must be /services/….
func validWebhook(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("not a URL (want https://hooks.slack.com/services/…)")
	}
	host := u.Hostname()
	switch {
	case u.Scheme == "http" && notify.IsLoopback(host):
	case u.Scheme != "https":
		return fmt.Errorf("must be an https URL, got scheme %q", u.Scheme)
	}
	if u.User != nil {
		return errors.New("must not carry user info")
	}
	if (host == "hooks.slack.com" || host == "hooks.slack-gov.com") && !strings.HasPrefix(u.Path, "/services/") {
		return fmt.Errorf("not an incoming webhook of %s (the path must start with /services/)", host)
	}
	if u.Path == "" || u.Path == "/" {
		return fmt.Errorf("no webhook path on host %q", host)
	}
	return nil
}

// String describes the config with its secrets redacted.
func (c Config) String() string {
	switch c.Mode() {
	case Bot:
		return fmt.Sprintf("slack bot (token %s) to channel %s", redactedToken(c.BotToken), c.Channel)
	case Webhook:
		return "slack webhook " + redactedWebhook(c.WebhookURL)
	}
	return "slack (not configured)"
}

// GoString is String, so %#v does not print the secrets either.
func (c Config) GoString() string { return c.String() }

// LogValue logs the config with its secrets redacted.
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("mode", c.Mode())}
	if c.BotToken != "" {
		attrs = append(attrs, slog.String("token", redactedToken(c.BotToken)), slog.String("channel", c.Channel))
	}
	if c.WebhookURL != "" {
		attrs = append(attrs, slog.String("webhook", redactedWebhook(c.WebhookURL)))
	}
	return slog.GroupValue(attrs...)
}

// redactedToken keeps a token's type prefix (xoxb-) only.
func redactedToken(tok string) string {
	if i := strings.IndexByte(tok, '-'); i > 0 && i <= 5 {
		return tok[:i+1] + "…"
	}
	return "…"
}

// redactedWebhook keeps the webhook's scheme and host only: its path is
// the secret.
func redactedWebhook(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
