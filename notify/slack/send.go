package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/lambdaudit/lambdaudit/notify"
)

// Defaults of SenderOptions.
const (
	DefaultAttempts           = 5
	DefaultSlackMaxRetryAfter = 5 * time.Minute
	DefaultSlackBackoff       = time.Second
	DefaultSlackMaxBackoff    = 30 * time.Second
	// DefaultSlackMaxElapsed bounds one message's retries in time.
	DefaultSlackMaxElapsed = 10 * time.Minute
	// DefaultSlackInterval spaces the messages of a thread: Slack allows
	// about one message a second per channel.
	DefaultSlackInterval = time.Second
)

// SenderOptions tune a Sender; the zero value is the defaults.
type SenderOptions struct {
	// HTTPClient sends the requests; nil is a client whose attempts time
	// out after notify.DefaultAttemptTimeout.
	HTTPClient *http.Client
	// Logger gets one line per retry and per delivery (never a secret);
	// nil discards.
	Logger *slog.Logger
	// Attempts per message, the first included (429 and transient errors
	// are retried); 0 is DefaultAttempts.
	Attempts int
	// MaxRetryAfter is the longest Retry-After the sender waits out; a
	// longer one fails the delivery. 0 is DefaultSlackMaxRetryAfter.
	MaxRetryAfter time.Duration
	// Backoff is the first wait after a transient error (5xx, network),
	// doubled at each retry up to MaxBackoff; 0 are the defaults.
	Backoff, MaxBackoff time.Duration
	// MaxElapsed bounds one message's retries: a wait that would end
	// later than this after its first attempt fails it instead; 0 is
	// DefaultSlackMaxElapsed.
	MaxElapsed time.Duration
	// Interval spaces the thread's messages; 0 is DefaultSlackInterval,
	// negative none.
	Interval time.Duration
	// Sleep waits d or until ctx is done; nil is a timer. Tests pass a
	// recorder so they never wait.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Sender posts digests with slack-go: to an incoming webhook
// (one message), or with a bot token to a channel (chat.postMessage,
// the thread as replies under the message's ts). It retries a 429 after
// its Retry-After and a transient error (5xx, internal_error, a network
// error) with exponential back-off, and reports a permanent error
// (invalid_auth, channel_not_found, no_service…) at once as a
// *Error naming the setting to check. Neither the webhook URL nor
// the token ever appears in its errors or logs.
type Sender struct {
	cfg        Config
	client     *http.Client
	log        *slog.Logger
	attempts   int
	maxAfter   time.Duration
	backoff    time.Duration
	maxBackoff time.Duration
	maxElapsed time.Duration
	interval   time.Duration
	sleep      func(context.Context, time.Duration) error
}

// NewSender validates cfg (see Config.Validate) and returns a
// sender; cfg must not be empty.
func NewSender(cfg Config, opt SenderOptions) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Mode() == "" {
		return nil, fmt.Errorf("slack config: set %s, or %s and %s", EnvWebhookURL, EnvBotToken, EnvChannel)
	}
	s := &Sender{cfg: cfg, client: opt.HTTPClient, log: opt.Logger, attempts: opt.Attempts, maxAfter: opt.MaxRetryAfter,
		backoff: opt.Backoff, maxBackoff: opt.MaxBackoff, maxElapsed: opt.MaxElapsed, interval: opt.Interval, sleep: opt.Sleep}
	if s.client == nil {
		s.client = &http.Client{Timeout: notify.DefaultAttemptTimeout}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.attempts <= 0 {
		s.attempts = DefaultAttempts
	}
	if s.maxAfter <= 0 {
		s.maxAfter = DefaultSlackMaxRetryAfter
	}
	if s.backoff <= 0 {
		s.backoff = DefaultSlackBackoff
	}
	if s.maxBackoff <= 0 {
		s.maxBackoff = DefaultSlackMaxBackoff
	}
	if s.maxElapsed <= 0 {
		s.maxElapsed = DefaultSlackMaxElapsed
	}
	switch {
	case s.interval == 0:
		s.interval = DefaultSlackInterval
	case s.interval < 0:
		s.interval = 0
	}
	if s.sleep == nil {
		s.sleep = notify.Sleep
	}
	if s.cfg.APIURL == "" {
		s.cfg.APIURL = slack.APIURL
	} else if !strings.HasSuffix(s.cfg.APIURL, "/") {
		s.cfg.APIURL += "/"
	}
	return s, nil
}

// Threaded says whether the sender posts thread replies (the bot mode):
// build the digest with DigestOptions{Thread: s.Threaded()}.
func (s *Sender) Threaded() bool { return s.cfg.Mode() == Bot }

// Delivery is what a Send delivered.
type Delivery struct {
	Mode string
	// Channel and TS are the bot mode's channel and message timestamp.
	Channel, TS string
	// Replies counts the thread replies posted.
	Replies int
	// Attempts counts the HTTP requests, retries included.
	Attempts int
}

// Send posts the digest: the message, then (bot mode) its thread
// replies one by one. A webhook posts the message only: its thread is
// dropped (build the digest with Thread false, so the message points to
// the CSV instead). When a reply fails the message stays posted: the
// delivery says how many replies went out and the error which did not.
// ctx cancels waits and requests.
func (s *Sender) Send(ctx context.Context, m DigestMessage) (Delivery, error) {
	d := Delivery{Mode: s.cfg.Mode()}
	if s.cfg.Mode() == Webhook {
		err := s.retry(ctx, "post the digest", &d, func(bc *bodyCapture) error {
			return slack.PostWebhookCustomHTTPContext(ctx, s.cfg.WebhookURL, bc.client(s.client), webhookMessage(m.Message))
		})
		if err != nil {
			return d, err
		}
		if len(m.Thread) > 0 {
			s.log.Warn("slack: an incoming webhook cannot reply in a thread; thread replies not sent", "replies", len(m.Thread))
		}
		s.log.Info("slack: digest posted", "mode", d.Mode, "attempts", d.Attempts)
		return d, nil
	}
	d.Channel = s.cfg.Channel
	var err error
	d.TS, err = s.postBot(ctx, &d, "post the digest", m.Message, "")
	if err != nil {
		return d, err
	}
	for i, r := range m.Thread {
		if err := s.wait(ctx, s.interval); err != nil {
			return d, s.fail(ctx, fmt.Sprintf("post thread reply %d of %d", i+1, len(m.Thread)), d.Attempts, err)
		}
		if _, err := s.postBot(ctx, &d, fmt.Sprintf("post thread reply %d of %d", i+1, len(m.Thread)), r, d.TS); err != nil {
			return d, err
		}
		d.Replies++
	}
	s.log.Info("slack: digest posted", "mode", d.Mode, "channel", d.Channel, "replies", d.Replies, "attempts", d.Attempts)
	return d, nil
}

// postBot posts one message with chat.postMessage (a reply when
// threadTS is set) and returns its ts.
func (s *Sender) postBot(ctx context.Context, d *Delivery, op string, msg Message, threadTS string) (string, error) {
	var ts string
	err := s.retry(ctx, op, d, func(bc *bodyCapture) error {
		api := slack.New(s.cfg.BotToken, slack.OptionHTTPClient(bc.client(s.client)), slack.OptionAPIURL(s.cfg.APIURL))
		opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...),
			slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl()}
		if threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(threadTS))
		}
		var err error
		_, ts, err = api.PostMessageContext(ctx, s.cfg.Channel, opts...)
		return err
	})
	return ts, err
}

func webhookMessage(m Message) *slack.WebhookMessage {
	no := false
	return &slack.WebhookMessage{Text: m.Text, Blocks: &slack.Blocks{BlockSet: m.Blocks}, UnfurlLinks: &no, UnfurlMedia: &no}
}

// retry runs one request with the senders' notify.Retrier until it succeeds,
// fails permanently, runs out of attempts or ctx ends, and logs a
// failure once, here (a cancellation is the caller's to tell).
func (s *Sender) retry(ctx context.Context, op string, d *Delivery, do func(*bodyCapture) error) error {
	r := notify.Retrier{Attempts: s.attempts, Base: s.backoff, Max: s.maxBackoff, MaxWait: s.maxAfter, MaxElapsed: s.maxElapsed, Sleep: s.sleep,
		OnRetry: func(attempt int, wait time.Duration, err error) {
			var f *Error
			if errors.As(err, &f) {
				s.log.Warn("slack: retrying", "mode", f.Mode, "op", op, "code", f.Code, "status", f.Status, "attempt", attempt, "wait", wait)
			}
		}}
	_, err := r.Do(ctx, func(ctx context.Context, attempt int) (bool, error) {
		bc := &bodyCapture{}
		d.Attempts++
		err := do(bc)
		if err == nil {
			return false, nil
		}
		if ctx.Err() != nil {
			return false, s.fail(ctx, op, attempt, ctx.Err())
		}
		f := s.classify(err, bc.text())
		f.Op, f.Attempts = op, attempt
		return !f.Permanent, notify.RetryAfter(f, f.RetryAfter)
	})
	var stop *notify.RetryStop
	var f *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &stop) && stop.Why == notify.StopCanceled:
		return s.fail(ctx, op, stop.Attempts, stop.Err)
	case !errors.As(err, &f):
		return err
	case f.Code == "canceled":
		return f
	case stop != nil && stop.Why == notify.StopRetryAfter:
		f.Hint = fmt.Sprintf("Slack asked to wait %s, longer than %s: try again later", stop.Wait, s.maxAfter)
		f.Permanent = true
		// Debug only: the error returned is the failure's one report.
		s.log.Debug("slack: delivery failed", "mode", f.Mode, "op", op, "code", f.Code, "status", f.Status, "retryAfter", stop.Wait)
		return f
	}
	s.log.Debug("slack: delivery failed", "mode", f.Mode, "op", op, "code", f.Code, "status", f.Status, "attempts", f.Attempts)
	return f
}

func (s *Sender) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	return s.sleep(ctx, d)
}

// fail is the error of a delivery that ctx ended.
func (s *Sender) fail(ctx context.Context, op string, attempts int, err error) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return &Error{Mode: s.cfg.Mode(), Op: op, Code: "canceled", Attempts: attempts, Permanent: true, cause: err}
}

// Error is a failed Slack delivery. Its message names Slack's error
// code, the HTTP status, the attempts and what to check; it never holds
// the webhook URL or the token.
type Error struct {
	// Mode is Webhook or Bot; Op what was being done ("post the
	// digest", "post thread reply 2 of 5").
	Mode, Op string
	// Code is Slack's error (invalid_auth, channel_not_found, no_service,
	// ratelimited…), "http_503" for a bare status, "network" for a
	// transport error, "canceled" when ctx ended.
	Code string
	// Status is the HTTP status (0 without a response).
	Status int
	// Attempts made; RetryAfter what a 429 asked for.
	Attempts   int
	RetryAfter time.Duration
	// Permanent errors are not worth retrying as they are: a setting or
	// the Slack app must change.
	Permanent bool
	// Hint says what to check.
	Hint  string
	cause error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "slack %s", e.Mode)
	if e.Op != "" {
		fmt.Fprintf(&b, ": %s", e.Op)
	}
	fmt.Fprintf(&b, ": %s", e.Code)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, ": %s", e.Hint)
	}
	if e.cause != nil {
		fmt.Fprintf(&b, " (%v)", e.cause)
	}
	return b.String()
}

// Unwrap is the cause: ctx's error when the delivery was canceled, else
// an error holding the redacted text of what slack-go returned.
func (e *Error) Unwrap() error { return e.cause }

// The Web API's error codes (bot mode) that no retry will fix, with
// what to check.
var slackPermanent = map[string]string{
	"invalid_auth":           "the token is not valid: check " + EnvBotToken,
	"not_authed":             "no token was sent: check " + EnvBotToken,
	"token_revoked":          "the token was revoked: check " + EnvBotToken,
	"token_expired":          "the token expired: check " + EnvBotToken,
	"account_inactive":       "the token's app or user was deactivated: check " + EnvBotToken,
	"missing_scope":          "the bot token lacks the chat:write scope: add it to the Slack app and reinstall it",
	"not_allowed_token_type": "a bot token (xoxb-) is needed: check " + EnvBotToken,
	"channel_not_found":      "no such channel, or the bot cannot see it: check " + EnvChannel,
	"not_in_channel":         "the bot is not in the channel: invite it (/invite @app) or give it chat:write.public",
	"is_archived":            "the channel is archived: check " + EnvChannel,
	"restricted_action":      "the workspace does not let the bot post there: check " + EnvChannel,
	"invalid_blocks":         "Slack refused the digest's blocks (a lambdaudit bug: please report it)",
	"msg_too_long":           "Slack refused the digest as too long (a lambdaudit bug: please report it)",
	"msg_blocks_too_long":    "Slack refused the digest's blocks as too long (a lambdaudit bug: please report it)",
	"invalid_arguments":      "Slack refused the request (a lambdaudit bug: please report it)",
	"no_text":                "Slack refused a message without text (a lambdaudit bug: please report it)",
}

// The incoming webhooks' error codes (the body of a 4xx) that no retry
// will fix.
var webhookPermanent = map[string]string{
	"invalid_token":                     "the webhook is not valid: check " + EnvWebhookURL,
	"no_service":                        "the webhook was disabled or removed: check " + EnvWebhookURL,
	"no_service_id":                     "the webhook URL is incomplete: check " + EnvWebhookURL,
	"no_team":                           "the webhook's workspace is gone: check " + EnvWebhookURL,
	"team_disabled":                     "the webhook's workspace is disabled: check " + EnvWebhookURL,
	"channel_is_archived":               "the webhook's channel is archived: create a new webhook (" + EnvWebhookURL + ")",
	"action_prohibited":                 "an admin restricted posting to the webhook's channel",
	"posting_to_general_channel_denied": "only admins may post to the webhook's channel",
	"invalid_payload":                   "Slack refused the digest's payload (a lambdaudit bug: please report it)",
	"channel_not_found":                 "the webhook's channel was deleted: create a new webhook (" + EnvWebhookURL + ")",
}

// Slack's error codes worth retrying.
var slackTransient = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true, "request_timeout": true,
	"ratelimited": true, "rate_limited": true, "rollup_error": true,
}

var webhookCode = regexp.MustCompile(`^[a-z_]{3,64}$`)

// classify turns what slack-go returned into a Error. body is the
// text of a failed response (the incoming webhooks' error code).
func (s *Sender) classify(err error, body string) *Error {
	e := &Error{Mode: s.cfg.Mode(), cause: errors.New(s.redact(err.Error()))}
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		e.Code, e.Status, e.RetryAfter = "ratelimited", http.StatusTooManyRequests, rl.RetryAfter
		e.cause = nil
	case errors.As(err, &sc):
		e.Status = sc.Code
		e.Code = fmt.Sprintf("http_%d", sc.Code)
		if webhookCode.MatchString(body) {
			e.Code = body
		}
		e.cause = nil
		e.Permanent = !sc.Retryable() && !slackTransient[e.Code]
	case errors.As(err, &se):
		e.Code, e.Status = s.redact(se.Err), http.StatusOK
		e.cause = nil
		e.Permanent = !slackTransient[e.Code]
	default:
		e.Code = "network"
		e.Hint = "no answer from " + s.endpoint()
	}
	hints := slackPermanent
	if e.Mode == Webhook {
		hints = webhookPermanent
	}
	if h, ok := hints[e.Code]; ok {
		e.Hint, e.Permanent = h, true
	}
	if e.Permanent && e.Hint == "" {
		e.Hint = "Slack refused the request"
	}
	return e
}

// endpoint names where the sender posts without its secret: the
// webhook's scheme and host, or the Web API's URL.
func (s *Sender) endpoint() string {
	if s.cfg.Mode() == Webhook {
		return redactedWebhook(s.cfg.WebhookURL)
	}
	return s.cfg.APIURL
}

var secretPatterns = regexp.MustCompile(`xox[a-z]-[A-Za-z0-9-]+|hooks\.slack(-gov)?\.com/services/[^\s"']+`)

// redact removes the webhook URL (and its path), the token and anything
// shaped like them from a text.
func (s *Sender) redact(text string) string {
	for _, secret := range []string{s.cfg.WebhookURL, webhookPath(s.cfg.WebhookURL), s.cfg.BotToken} {
		if len(secret) > 1 {
			text = strings.ReplaceAll(text, secret, "[redacted]")
		}
	}
	return secretPatterns.ReplaceAllString(text, "[redacted]")
}

func webhookPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[i+3+j:]
		}
	}
	return ""
}

// bodyCapture keeps the start of a failed response's body: an incoming
// webhook says why it refused a message there (no_service,
// invalid_token…), which slack-go drops.
type bodyCapture struct {
	mu   sync.Mutex
	body []byte
}

func (c *bodyCapture) client(base *http.Client) *http.Client {
	cl := *base
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	cl.Transport = captureTransport{rt: rt, c: c}
	return &cl
}

func (c *bodyCapture) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSpace(string(c.body))
}

type captureTransport struct {
	rt http.RoundTripper
	c  *bodyCapture
}

func (t captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), rest), rest}
	t.c.mu.Lock()
	t.c.body = b
	t.c.mu.Unlock()
	return resp, nil
}
