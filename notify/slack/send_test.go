package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
)

// Secrets of the tests: none may appear in an error or a log line.
const (
	testToken       = "xoxb-1111-2222-T0pS3cr3tT0k3n"
	testWebhookPath = "/services/T0LAMBDA/B0AUDIT/W3bh00kS3cr3t"
	testChannel     = "C0LAMBDA"
)

// scripted is one scripted answer of the fake Slack.
type scripted struct {
	status     int
	retryAfter string
	body       string // a webhook's text, or a Web API's JSON
}

// fakeSlack is slacktest's server with handlers for the webhook and
// chat.postMessage that check each request against Slack's contract,
// record it and answer from a script (then "ok").
type fakeSlack struct {
	t   *testing.T
	srv *slacktest.Server
	mu  sync.Mutex
	// script answers the requests in turn; requests records what came.
	script   []scripted
	requests []map[string]any
	ts       int
}

func newFakeSlack(t *testing.T, script ...scripted) *fakeSlack {
	f := &fakeSlack{t: t, script: script}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle(testWebhookPath, f.webhook)
		c.Handle("/chat.postMessage", f.postMessage)
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) webhookURL() string { return "http://" + f.srv.ServerAddr + testWebhookPath }

func (f *fakeSlack) next() (scripted, bool) {
	if len(f.script) == 0 {
		return scripted{}, false
	}
	r := f.script[0]
	f.script = f.script[1:]
	return r, true
}

func (f *fakeSlack) answer(w http.ResponseWriter, r scripted) {
	if r.retryAfter != "" {
		w.Header().Set("Retry-After", r.retryAfter)
	}
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, r.body)
}

// webhook enforces an incoming webhook's contract: POST, JSON, text and
// blocks; it answers "ok".
func (f *fakeSlack) webhook(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		f.t.Errorf("webhook: %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	var msg map[string]any
	if err := json.Unmarshal(body, &msg); err != nil {
		f.t.Errorf("webhook: body is not JSON: %v", err)
	}
	if msg["text"] == "" || msg["blocks"] == nil {
		f.t.Errorf("webhook: no text or no blocks")
	}
	f.requests = append(f.requests, msg)
	if rep, ok := f.next(); ok {
		f.answer(w, rep)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// postMessage enforces chat.postMessage's contract: a form with the
// token, the channel, text and blocks (JSON), thread_ts on replies.
func (f *fakeSlack) postMessage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if r.Method != http.MethodPost || err != nil {
		f.t.Errorf("chat.postMessage: %s, form %v", r.Method, err)
	}
	req := map[string]any{"channel": form.Get("channel"), "text": form.Get("text")}
	for _, k := range []string{"thread_ts", "unfurl_links", "unfurl_media"} {
		if v := form.Get(k); v != "" {
			req[k] = v
		}
	}
	var blocks any
	if err := json.Unmarshal([]byte(form.Get("blocks")), &blocks); err != nil {
		f.t.Errorf("chat.postMessage: blocks are not JSON: %v", err)
	}
	req["blocks"] = blocks
	f.requests = append(f.requests, req)
	if rep, ok := f.next(); ok {
		f.answer(w, rep)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if form.Get("token") != testToken {
		_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
		return
	}
	f.ts++
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": form.Get("channel"), "ts": fmt.Sprintf("1700000000.%06d", f.ts)})
}

func (f *fakeSlack) recorded() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.requests...)
}

// sleeps records the sender's waits instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
	// cancel, when set, is called at the first wait.
	cancel func()
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	c := s.cancel
	s.mu.Unlock()
	if c != nil {
		c()
	}
	return ctx.Err()
}

// sender returns a sender for mode with its waits recorded and its log
// captured.
func (f *fakeSlack) sender(t *testing.T, mode string, sl *sleeps, log *bytes.Buffer) *Sender {
	t.Helper()
	cfg := Config{WebhookURL: f.webhookURL()}
	if mode == Bot {
		cfg = Config{BotToken: testToken, Channel: testChannel, APIURL: f.srv.GetAPIURL()}
	}
	s, err := NewSender(cfg, SenderOptions{Sleep: sl.sleep, Logger: slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSlackSendGolden checks the requests Slack receives against golden
// files: the webhook's body, and the bot's message and thread replies.
func TestSlackSendGolden(t *testing.T) {
	cases := []struct {
		name, mode, report, golden string
		thread                     bool
		replies                    int
	}{
		{"webhook", Webhook, "testdata/slack-report.json", "testdata/slack-webhook-request.golden.json", false, 0},
		{"bot with thread", Bot, "testdata/slack-report.json", "testdata/slack-bot-requests.golden.json", true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeSlack(t)
			var sl sleeps
			var log bytes.Buffer
			s := f.sender(t, c.mode, &sl, &log)
			if s.Threaded() != c.thread {
				t.Fatalf("Threaded() = %v", s.Threaded())
			}
			m := Digest(notifytest.LoadReport(t, c.report), DigestOptions{CSVURL: testCSVURL, Thread: s.Threaded()})
			d, err := s.Send(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			reqs := f.recorded()
			if len(reqs) != 1+c.replies || d.Replies != c.replies || d.Attempts != len(reqs) {
				t.Fatalf("%d requests, delivery %+v", len(reqs), d)
			}
			if c.mode == Bot {
				if d.TS != "1700000000.000001" || d.Channel != testChannel {
					t.Errorf("delivery %+v", d)
				}
				for _, r := range reqs[1:] {
					if r["thread_ts"] != d.TS {
						t.Errorf("a reply with thread_ts %v, want %s", r["thread_ts"], d.TS)
					}
				}
				// One second between the messages of a channel.
				if fmt.Sprint(sl.d) != "[1s]" {
					t.Errorf("waits %v, want [1s]", sl.d)
				}
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			var doc any = reqs
			if c.mode == Webhook {
				doc = reqs[0]
			}
			if err := enc.Encode(doc); err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, c.golden, buf.Bytes())
		})
	}
}

// TestSlackSendRetries: 429 waits Retry-After, 5xx backs off, permanent
// errors stop at once and say what to check, ctx stops the waits.
func TestSlackSendRetries(t *testing.T) {
	cases := []struct {
		name     string
		mode     string
		script   []scripted
		cancel   bool
		waits    string // the sender's waits
		requests int
		// err is a substring of the error ("" for success); code its Code.
		err, code string
		permanent bool
	}{
		{"webhook 429 honours Retry-After", Webhook, []scripted{{429, "7", "rate_limited"}}, false, "[7s]", 2, "", "", false},
		{"bot 429 honours Retry-After", Bot, []scripted{{429, "3", ""}, {429, "2", ""}}, false, "[3s 2s]", 3, "", "", false},
		{"webhook 5xx backs off", Webhook, []scripted{{503, "", "<html>down</html>"}, {500, "", "rollup_error"}}, false, "[1s 2s]", 3, "", "", false},
		{"bot 5xx backs off", Bot, []scripted{{502, "", ""}, {503, "", ""}, {504, "", ""}}, false, "[1s 2s 4s]", 4, "", "", false},
		{"bot transient API error", Bot, []scripted{{200, "", `{"ok":false,"error":"internal_error"}`}}, false, "[1s]", 2, "", "", false},
		{"5xx until the attempts run out", Webhook, []scripted{{500, "", ""}, {500, "", ""}, {500, "", ""}, {500, "", ""}, {500, "", ""}},
			false, "[1s 2s 4s 8s]", 5, "slack webhook: post the digest: http_500 (HTTP 500) after 5 attempts", "http_500", false},
		{"Retry-After too long", Bot, []scripted{{429, "3600", ""}}, false, "[]", 1, "Slack asked to wait 1h0m0s", "ratelimited", true},
		{"invalid_auth", Bot, []scripted{{200, "", `{"ok":false,"error":"invalid_auth"}`}}, false, "[]", 1,
			"slack bot: post the digest: invalid_auth (HTTP 200): the token is not valid: check SLACK_BOT_TOKEN", "invalid_auth", true},
		{"channel_not_found", Bot, []scripted{{200, "", `{"ok":false,"error":"channel_not_found"}`}}, false, "[]", 1,
			"channel_not_found (HTTP 200): no such channel, or the bot cannot see it: check SLACK_CHANNEL", "channel_not_found", true},
		{"not_in_channel", Bot, []scripted{{200, "", `{"ok":false,"error":"not_in_channel"}`}}, false, "[]", 1, "invite it", "not_in_channel", true},
		{"webhook no_service", Webhook, []scripted{{404, "", "no_service"}}, false, "[]", 1,
			"slack webhook: post the digest: no_service (HTTP 404): the webhook was disabled or removed: check SLACK_WEBHOOK_URL", "no_service", true},
		{"webhook invalid_token", Webhook, []scripted{{403, "", "invalid_token"}}, false, "[]", 1, "check SLACK_WEBHOOK_URL", "invalid_token", true},
		{"webhook channel_not_found", Webhook, []scripted{{404, "", "channel_not_found"}}, false, "[]", 1, "create a new webhook", "channel_not_found", true},
		{"webhook 400 without a code", Webhook, []scripted{{400, "", "<html>Bad Request</html>"}}, false, "[]", 1, "http_400 (HTTP 400): Slack refused the request", "http_400", true},
		{"ctx canceled while waiting", Bot, []scripted{{503, "", ""}}, true, "[1s]", 1, "context canceled", "canceled", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeSlack(t, c.script...)
			var log bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sl := &sleeps{}
			if c.cancel {
				sl.cancel = cancel
			}
			s := f.sender(t, c.mode, sl, &log)
			m := Digest(notifytest.LoadReport(t, "testdata/slack-report.json"), DigestOptions{})
			d, err := s.Send(ctx, m)
			if got := fmt.Sprint(sl.d); got != c.waits {
				t.Errorf("waits %s, want %s", got, c.waits)
			}
			if n := len(f.recorded()); n != c.requests || d.Attempts != c.requests {
				t.Errorf("%d requests, %d attempts; want %d", n, d.Attempts, c.requests)
			}
			if c.err == "" {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Send: %v, want a *SlackError", err)
			}
			if !strings.Contains(err.Error(), c.err) || se.Code != c.code || se.Permanent != c.permanent {
				t.Errorf("Send: %q (code %s, permanent %v), want %q (code %s, permanent %v)", err, se.Code, se.Permanent, c.err, c.code, c.permanent)
			}
			if c.cancel && !errors.Is(err, context.Canceled) {
				t.Errorf("Send: %v, not context.Canceled", err)
			}
		})
	}
}

// TestSlackThreadReplyFails: the message stays posted; the delivery
// says how many replies went out and the error which did not.
func TestSlackThreadReplyFails(t *testing.T) {
	f := newFakeSlack(t, scripted{200, "", `{"ok":true,"channel":"C0LAMBDA","ts":"1700000000.000042"}`}, scripted{200, "", `{"ok":true,"ts":"1700000000.000043"}`},
		scripted{200, "", `{"ok":false,"error":"msg_blocks_too_long"}`})
	var log bytes.Buffer
	s := f.sender(t, Bot, &sleeps{}, &log)
	m := Digest(notifytest.LoadReport(t, "testdata/slack-report-big.json.gz"), DigestOptions{Thread: true})
	d, err := s.Send(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "post thread reply 2 of 5: msg_blocks_too_long") {
		t.Fatalf("Send: %v", err)
	}
	if d.TS != "1700000000.000042" || d.Replies != 1 {
		t.Errorf("delivery %+v, want the message's ts and 1 reply", d)
	}
}

// TestSlackSecretsNeverLeak: whatever goes wrong — Slack refusing,
// rate limiting, failing, or the network failing with the webhook URL in
// Go's error — neither the webhook URL nor the token appears in an error
// or a log line.
func TestSlackSecretsNeverLeak(t *testing.T) {
	scripts := [][]scripted{
		{{200, "", `{"ok":false,"error":"invalid_auth"}`}},
		{{404, "", "no_service"}},
		{{403, "", "invalid_token " + testToken}},
		{{429, "1", ""}, {500, "", testWebhookPath}, {503, "", ""}, {503, "", ""}, {503, "", ""}},
		{{429, "99999", ""}},
	}
	check := func(t *testing.T, what string, s string) {
		t.Helper()
		for _, secret := range []string{testToken, testWebhookPath, "T0pS3cr3t", "W3bh00kS3cr3t"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s holds a secret: %s", what, s)
			}
		}
	}
	for i, script := range scripts {
		for _, mode := range []string{Webhook, Bot} {
			if i == 0 && mode == Webhook {
				continue // a webhook's 200 is a success
			}
			t.Run(fmt.Sprintf("%s script %d", mode, i), func(t *testing.T) {
				f := newFakeSlack(t, script...)
				var log bytes.Buffer
				s := f.sender(t, mode, &sleeps{}, &log)
				_, err := s.Send(context.Background(), Digest(notifytest.LoadReport(t, "testdata/slack-report.json"), DigestOptions{Thread: true}))
				if err == nil {
					t.Fatal("Send: no error")
				}
				check(t, "the error", err.Error())
				check(t, "the error (%+v)", fmt.Sprintf("%+v %#v", err, err))
				check(t, "the log", log.String())
				if log.Len() == 0 {
					t.Error("nothing logged")
				}
			})
		}
	}
	// The network fails: Go's *url.Error carries the request's URL.
	for _, mode := range []string{Webhook, Bot} {
		t.Run(mode+" network error", func(t *testing.T) {
			f := newFakeSlack(t)
			var log bytes.Buffer
			s := f.sender(t, mode, &sleeps{}, &log)
			f.srv.Stop()
			_, err := s.Send(context.Background(), Digest(notifytest.LoadReport(t, "testdata/slack-report.json"), DigestOptions{}))
			var se *Error
			if !errors.As(err, &se) || se.Code != "network" || se.Attempts != DefaultAttempts {
				t.Fatalf("Send: %v", err)
			}
			// It names where it got no answer, without the secret.
			if !strings.Contains(err.Error(), "no answer from http://"+f.srv.ServerAddr) {
				t.Errorf("the error does not name the endpoint: %v", err)
			}
			check(t, "the error", err.Error())
			for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
				check(t, "a wrapped error", e.Error())
			}
			check(t, "the log", log.String())
		})
	}
	// Printing or logging the config redacts it.
	cfgs := []Config{{WebhookURL: "https://hooks.slack.com" + testWebhookPath}, {BotToken: testToken, Channel: testChannel}}
	for _, cfg := range cfgs {
		var log bytes.Buffer
		slog.New(slog.NewJSONHandler(&log, nil)).Info("config", "slack", cfg)
		check(t, "the printed config", fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg))
		check(t, "the logged config", log.String())
	}
}
