package notify

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
)

func TestOpsgenieConfigValidate(t *testing.T) {
	many := make([]string, 16)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	cases := []struct {
		name string
		cfg  OpsgenieConfig
		want string // "" = valid; else a substring of the error
	}{
		{"defaults with a key", OpsgenieConfig{APIKey: ogTestKey}, ""},
		{"dry run needs no key", OpsgenieConfig{DryRun: true}, ""},
		{"no key", OpsgenieConfig{}, "APIKey (OPSGENIE_API_KEY) is empty"},
		{"key with a newline", OpsgenieConfig{APIKey: ogTestKey + "\n"}, "APIKey (OPSGENIE_API_KEY) holds spaces"},
		{"key with a space inside", OpsgenieConfig{APIKey: "abc def"}, "holds spaces or control characters (value not shown)"},
		{"EU", OpsgenieConfig{APIKey: ogTestKey, BaseURL: OpsgenieEU}, ""},
		{"JSM", OpsgenieConfig{APIKey: ogTestKey, BaseURL: OpsgenieJSM}, ""},
		{"http on loopback", OpsgenieConfig{APIKey: ogTestKey, BaseURL: "http://127.0.0.1:8080"}, ""},
		{"http elsewhere", OpsgenieConfig{APIKey: ogTestKey, BaseURL: "http://api.opsgenie.com"}, "BaseURL (OPSGENIE_URL) \"http://api.opsgenie.com\": must be https"},
		{"not a URL", OpsgenieConfig{APIKey: ogTestKey, BaseURL: "api.opsgenie.com"}, "must be an absolute https URL"},
		{"credentials in the URL", OpsgenieConfig{APIKey: ogTestKey, BaseURL: "https://u:p@api.opsgenie.com"}, "must not hold credentials"},
		{"query in the URL", OpsgenieConfig{APIKey: ogTestKey, BaseURL: "https://api.opsgenie.com?x=1"}, "query or a fragment"},
		{"critical only", OpsgenieConfig{APIKey: ogTestKey, MinSeverity: insights.Critical}, ""},
		{"info never pages", OpsgenieConfig{APIKey: ogTestKey, MinSeverity: insights.Info}, "MinSeverity (OPSGENIE_MIN_SEVERITY) \"info\": must be warning or critical (info never pages)"},
		{"priority P1", OpsgenieConfig{APIKey: ogTestKey, Priorities: map[insights.Severity]string{insights.Critical: "P1"}}, ""},
		{"priority P6", OpsgenieConfig{APIKey: ogTestKey, Priorities: map[insights.Severity]string{insights.Warning: "P6"}}, "Priorities (OPSGENIE_PRIORITIES): warning=\"P6\": must be P1 to P5"},
		{"priority for info", OpsgenieConfig{APIKey: ogTestKey, Priorities: map[insights.Severity]string{insights.Info: "P5"}}, "severity \"info\": only critical and warning page"},
		{"team by name", OpsgenieConfig{APIKey: ogTestKey, Responders: []Responder{{Type: "team", Name: "payments"}}}, ""},
		{"user by username", OpsgenieConfig{APIKey: ogTestKey, Responders: []Responder{{Type: "user", Username: "ana@example.com"}}}, ""},
		{"unknown responder type", OpsgenieConfig{APIKey: ogTestKey, Responders: []Responder{{Type: "group", Name: "x"}}}, "Responders[0] (OPSGENIE_RESPONDERS): type \"group\""},
		{"team without a name", OpsgenieConfig{APIKey: ogTestKey, Responders: []Responder{{Type: "team"}}}, "a team needs an id or a name"},
		{"user by name", OpsgenieConfig{APIKey: ogTestKey, Responders: []Responder{{Type: "user", Name: "Ana"}}}, "a user is named by username"},
		{"15 tags", OpsgenieConfig{APIKey: ogTestKey, Tags: many[:15]}, ""},
		{"16 tags", OpsgenieConfig{APIKey: ogTestKey, Tags: many}, "Tags (OPSGENIE_TAGS): 16, at most 15"},
		{"tag with a comma", OpsgenieConfig{APIKey: ogTestKey, Tags: []string{"a,b"}}, "Tags[0] (OPSGENIE_TAGS) \"a,b\""},
		{"tag too long", OpsgenieConfig{APIKey: ogTestKey, Tags: []string{strings.Repeat("x", 51)}}, "longer than 50 characters"},
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
			if !errors.Is(err, ErrOpsgenieConfig) {
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
		want OpsgenieConfig
		err  string
	}{
		{"nothing set: not enabled", nil, OpsgenieConfig{}, ""},
		{"key only: US", map[string]string{"OPSGENIE_API_KEY": ogTestKey}, OpsgenieConfig{APIKey: ogTestKey}, ""},
		{"EU", map[string]string{"OPSGENIE_API_KEY": ogTestKey, "OPSGENIE_REGION": "eu"}, OpsgenieConfig{APIKey: ogTestKey, BaseURL: OpsgenieEU}, ""},
		{"JSM", map[string]string{"OPSGENIE_API_KEY": ogTestKey, "OPSGENIE_REGION": "JSM"}, OpsgenieConfig{APIKey: ogTestKey, BaseURL: OpsgenieJSM}, ""},
		{"URL wins over region", map[string]string{"OPSGENIE_REGION": "eu", "OPSGENIE_URL": "https://og.example.com"}, OpsgenieConfig{BaseURL: "https://og.example.com"}, ""},
		{"unknown region", map[string]string{"OPSGENIE_REGION": "apac"}, OpsgenieConfig{}, "OPSGENIE_REGION \"apac\": must be us, eu or jsm"},
		{"everything", map[string]string{
			"OPSGENIE_API_KEY": ogTestKey, "OPSGENIE_MIN_SEVERITY": "Critical", "OPSGENIE_PRIORITIES": "critical=p1, warning=P4",
			"OPSGENIE_RESPONDERS": "team:payments, user:ana@example.com,schedule:Primary", "OPSGENIE_TEAM": "platform",
			"OPSGENIE_TAGS": "prod, lambda,", "OPSGENIE_DRY_RUN": "true"},
			OpsgenieConfig{APIKey: ogTestKey, MinSeverity: insights.Critical,
				Priorities: map[insights.Severity]string{insights.Critical: "P1", insights.Warning: "P4"},
				Responders: []Responder{{Type: "team", Name: "payments"}, {Type: "user", Username: "ana@example.com"},
					{Type: "schedule", Name: "Primary"}, {Type: "team", Name: "platform"}},
				Tags: []string{"prod", "lambda"}, DryRun: true}, ""},
		{"bad priorities", map[string]string{"OPSGENIE_PRIORITIES": "P1"}, OpsgenieConfig{}, "OPSGENIE_PRIORITIES \"P1\": want severity=P1..P5 or kind=P1..P5 pairs"},
		{"bad responder", map[string]string{"OPSGENIE_RESPONDERS": "payments"}, OpsgenieConfig{}, "OPSGENIE_RESPONDERS \"payments\": want type:name"},
		{"bad dry run", map[string]string{"OPSGENIE_DRY_RUN": "maybe"}, OpsgenieConfig{}, "OPSGENIE_DRY_RUN \"maybe\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ogConfigFromLookup(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
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
	cfg := OpsgenieConfig{APIKey: ogTestKey, BaseURL: OpsgenieEU}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "opsgenie", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%v %+v %s", cfg, cfg, cfg), logs.String()} {
		if strings.Contains(s, ogTestKey) {
			t.Errorf("key shown: %s", s)
		}
		if !strings.Contains(s, "[redacted]") || !strings.Contains(s, OpsgenieEU) {
			t.Errorf("want the base URL and [redacted]: %s", s)
		}
	}
}
