package opsgenie

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
)

func TestOpsgenieConfigValidate(t *testing.T) {
	many := make([]string, 16)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	cases := []struct {
		name string
		cfg  Config
		want string // "" = valid; else a substring of the error
	}{
		{"defaults with a key", Config{APIKey: notifytest.OpsgenieKey}, ""},
		{"dry run needs no key", Config{DryRun: true}, ""},
		{"no key", Config{}, "APIKey (OPSGENIE_API_KEY) is empty"},
		{"key with a newline", Config{APIKey: notifytest.OpsgenieKey + "\n"}, "APIKey (OPSGENIE_API_KEY) holds spaces"},
		{"key with a space inside", Config{APIKey: "abc def"}, "holds spaces or control characters (value not shown)"},
		{"EU", Config{APIKey: notifytest.OpsgenieKey, BaseURL: EU}, ""},
		{"JSM", Config{APIKey: notifytest.OpsgenieKey, BaseURL: JSM}, ""},
		{"http on loopback", Config{APIKey: notifytest.OpsgenieKey, BaseURL: "http://127.0.0.1:8080"}, ""},
		{"http elsewhere", Config{APIKey: notifytest.OpsgenieKey, BaseURL: "http://api.opsgenie.com"}, "BaseURL (OPSGENIE_URL) \"http://api.opsgenie.com\": must be https"},
		{"not a URL", Config{APIKey: notifytest.OpsgenieKey, BaseURL: "api.opsgenie.com"}, "must be an absolute https URL"},
		{"credentials in the URL", Config{APIKey: notifytest.OpsgenieKey, BaseURL: "https://u:p@api.opsgenie.com"}, "must not hold credentials"},
		{"query in the URL", Config{APIKey: notifytest.OpsgenieKey, BaseURL: "https://api.opsgenie.com?x=1"}, "query or a fragment"},
		{"critical only", Config{APIKey: notifytest.OpsgenieKey, MinSeverity: insights.Critical}, ""},
		{"info never pages", Config{APIKey: notifytest.OpsgenieKey, MinSeverity: insights.Info}, "MinSeverity (OPSGENIE_MIN_SEVERITY) \"info\": must be warning or critical (info never pages)"},
		{"priority P1", Config{APIKey: notifytest.OpsgenieKey, Priorities: map[insights.Severity]string{insights.Critical: "P1"}}, ""},
		{"priority P6", Config{APIKey: notifytest.OpsgenieKey, Priorities: map[insights.Severity]string{insights.Warning: "P6"}}, "Priorities (OPSGENIE_PRIORITIES): warning=\"P6\": must be P1 to P5"},
		{"priority for info", Config{APIKey: notifytest.OpsgenieKey, Priorities: map[insights.Severity]string{insights.Info: "P5"}}, "severity \"info\": only critical and warning page"},
		{"team by name", Config{APIKey: notifytest.OpsgenieKey, Responders: []Responder{{Type: "team", Name: "payments"}}}, ""},
		{"user by username", Config{APIKey: notifytest.OpsgenieKey, Responders: []Responder{{Type: "user", Username: "ana@example.com"}}}, ""},
		{"unknown responder type", Config{APIKey: notifytest.OpsgenieKey, Responders: []Responder{{Type: "group", Name: "x"}}}, "Responders[0] (OPSGENIE_RESPONDERS): type \"group\""},
		{"team without a name", Config{APIKey: notifytest.OpsgenieKey, Responders: []Responder{{Type: "team"}}}, "a team needs an id or a name"},
		{"user by name", Config{APIKey: notifytest.OpsgenieKey, Responders: []Responder{{Type: "user", Name: "Ana"}}}, "a user is named by username"},
		{"15 tags", Config{APIKey: notifytest.OpsgenieKey, Tags: many[:15]}, ""},
		{"16 tags", Config{APIKey: notifytest.OpsgenieKey, Tags: many}, "Tags (OPSGENIE_TAGS): 16, at most 15"},
		{"tag with a comma", Config{APIKey: notifytest.OpsgenieKey, Tags: []string{"a,b"}}, "Tags[0] (OPSGENIE_TAGS) \"a,b\""},
		{"tag too long", Config{APIKey: notifytest.OpsgenieKey, Tags: []string{strings.Repeat("x", 51)}}, "longer than 50 characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate: got %v, want an error containing %q", err, c.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error does not wrap ErrOpsgenieConfig: %v", err)
			}
			if c.cfg.APIKey != "" && strings.Contains(err.Error(), strings.TrimSpace(c.cfg.APIKey)) {
				t.Errorf("error quotes the key: %v", err)
			}
		})
	}
}

func TestOpsgenieConfigFromEnv(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want Config
		err  string
	}{
		{"nothing set: not enabled", nil, Config{}, ""},
		{"key only: US", map[string]string{"OPSGENIE_API_KEY": notifytest.OpsgenieKey}, Config{APIKey: notifytest.OpsgenieKey}, ""},
		{"EU", map[string]string{"OPSGENIE_API_KEY": notifytest.OpsgenieKey, "OPSGENIE_REGION": "eu"}, Config{APIKey: notifytest.OpsgenieKey, BaseURL: EU}, ""},
		{"JSM", map[string]string{"OPSGENIE_API_KEY": notifytest.OpsgenieKey, "OPSGENIE_REGION": "JSM"}, Config{APIKey: notifytest.OpsgenieKey, BaseURL: JSM}, ""},
		{"URL wins over region", map[string]string{"OPSGENIE_REGION": "eu", "OPSGENIE_URL": "https://og.example.com"}, Config{BaseURL: "https://og.example.com"}, ""},
		{"unknown region", map[string]string{"OPSGENIE_REGION": "apac"}, Config{}, "OPSGENIE_REGION \"apac\": must be us, eu or jsm"},
		{"everything", map[string]string{
			"OPSGENIE_API_KEY": notifytest.OpsgenieKey, "OPSGENIE_MIN_SEVERITY": "Critical", "OPSGENIE_PRIORITIES": "critical=p1, warning=P4",
			"OPSGENIE_RESPONDERS": "team:payments, user:ana@example.com,schedule:Primary", "OPSGENIE_TEAM": "platform",
			"OPSGENIE_TAGS": "prod, lambda,", "OPSGENIE_DRY_RUN": "true"},
			Config{APIKey: notifytest.OpsgenieKey, MinSeverity: insights.Critical,
				Priorities: map[insights.Severity]string{insights.Critical: "P1", insights.Warning: "P4"},
				Responders: []Responder{{Type: "team", Name: "payments"}, {Type: "user", Username: "ana@example.com"},
					{Type: "schedule", Name: "Primary"}, {Type: "team", Name: "platform"}},
				Tags: []string{"prod", "lambda"}, DryRun: true}, ""},
		{"bad priorities", map[string]string{"OPSGENIE_PRIORITIES": "P1"}, Config{}, "OPSGENIE_PRIORITIES \"P1\": want severity=P1..P5 or kind=P1..P5 pairs"},
		{"bad responder", map[string]string{"OPSGENIE_RESPONDERS": "payments"}, Config{}, "OPSGENIE_RESPONDERS \"payments\": want type:name"},
		{"bad dry run", map[string]string{"OPSGENIE_DRY_RUN": "maybe"}, Config{}, "OPSGENIE_DRY_RUN \"maybe\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ConfigFromLookup(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want an error containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %#v\nwant %#v", got, c.want)
			}
			if got.Enabled() != (c.want.APIKey != "") {
				t.Errorf("Enabled() = %t", got.Enabled())
			}
		})
	}
}

// Printing or logging the config never shows the key.
func TestOpsgenieConfigRedacted(t *testing.T) {
	cfg := Config{APIKey: notifytest.OpsgenieKey, BaseURL: EU}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "opsgenie", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%v %+v %s", cfg, cfg, cfg), logs.String()} {
		if strings.Contains(s, notifytest.OpsgenieKey) {
			t.Errorf("key shown: %s", s)
		}
		if !strings.Contains(s, "[redacted]") || !strings.Contains(s, EU) {
			t.Errorf("want the base URL and [redacted]: %s", s)
		}
	}
}
