package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/lambdaudit/lambdaudit/config"
)

// now is the tests' clock: 2026-11-20 is the last complete day.
func now() time.Time { return time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC) }

// writeFile writes body to a file in a fresh directory and returns its path.
func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lambdaudit.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadEnvironment is the path of a host with no flags (the Lambda
// bootstrap): LAMBDAUDIT_* variables and an optional file.
func TestLoadEnvironment(t *testing.T) {
	file := writeFile(t, "regions: [eu-west-1]\ndays: 3\nquotas:\n  \"Lambda:*\": 20\n")
	tests := []struct {
		name string
		env  []string
		file string
		ok   func(config.Config) bool
	}{
		{"nothing set is the defaults", nil, "", func(c config.Config) bool { return reflect.DeepEqual(c, config.Defaults()) }},
		{"variables set the scanner's settings", []string{
			"LAMBDAUDIT_REGIONS=us-east-1,eu-west-1", "LAMBDAUDIT_ACCOUNTS=all", "LAMBDAUDIT_ROLE=LambdauditReadOnly",
			"LAMBDAUDIT_DAYS=7", "LAMBDAUDIT_LOGS=false", "LAMBDAUDIT_LOGS_BUDGET_USD=0", "LAMBDAUDIT_HTTP_TIMEOUT=10s",
			"LAMBDAUDIT_RATE_FRACTION=0.5", "LAMBDAUDIT_QUOTAS=CloudWatch:GetMetricData=100",
		}, "", func(c config.Config) bool {
			s := c.Scanner
			return reflect.DeepEqual(s.Regions, []string{"us-east-1", "eu-west-1"}) && s.Accounts[0] == "all" && s.Role == "LambdauditReadOnly" &&
				s.Days == 7 && !*s.Logs && *s.LogsBudgetUSD == 0 && s.HTTPTimeout == 10*time.Second && s.RateFraction == 0.5 &&
				s.Quotas["CloudWatch:GetMetricData"] == 100 && *s.Tags && s.CallTimeout == 5*time.Minute
		}},
		{"variables set the command's settings", []string{"LAMBDAUDIT_LOG_LEVEL=debug", "LAMBDAUDIT_TIMEOUT=10m", "LAMBDAUDIT_OUT=s.json"}, "", func(c config.Config) bool {
			return c.LogLevel == "debug" && c.Timeout == 10*time.Minute && c.Out == "s.json" && c.Progress == "auto"
		}},
		{"the host's file", nil, file, func(c config.Config) bool {
			return c.Scanner.Regions[0] == "eu-west-1" && c.Scanner.Days == 3 && c.Scanner.RateFraction == 0.9 && *c.Scanner.Logs
		}},
		{"LAMBDAUDIT_CONFIG names the file", []string{"LAMBDAUDIT_CONFIG=" + file}, "", func(c config.Config) bool { return c.Scanner.Days == 3 }},
		{"LAMBDAUDIT_CONFIG wins over the host's file", []string{"LAMBDAUDIT_CONFIG=" + file}, "/nonexistent/lambdaudit.yaml", func(c config.Config) bool {
			return c.Scanner.Days == 3
		}},
		{"a variable wins over the file", []string{"LAMBDAUDIT_DAYS=5", "LAMBDAUDIT_REGIONS=us-east-1"}, file, func(c config.Config) bool {
			return c.Scanner.Days == 5 && c.Scanner.Regions[0] == "us-east-1"
		}},
		{"quotas merge key by key, the variable's winning", []string{"LAMBDAUDIT_QUOTAS=Lambda:*=5,CloudWatch:*=30"}, file, func(c config.Config) bool {
			return reflect.DeepEqual(c.Scanner.Quotas, map[string]float64{"Lambda:*": 5, "CloudWatch:*": 30})
		}},
		{"other variables are not settings", []string{"HOME=/root", "AWS_REGION=us-east-1", "LAMBDAUDIT_QUEUE_URL=https://sqs"}, "", func(c config.Config) bool {
			return reflect.DeepEqual(c, config.Defaults())
		}},
		{"an empty variable is an empty value", []string{"LAMBDAUDIT_ROLE="}, "", func(c config.Config) bool { return c.Scanner.Role == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(config.Sources{Env: tt.env, File: tt.file, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.ok(c) {
				t.Errorf("loaded %+v (scanner %+v)", c, c.Scanner)
			}
		})
	}
}

// TestLoadEnvironmentErrors: what a CLI user is told of a bad value, a
// host with no flags is told too, naming the variable.
func TestLoadEnvironmentErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		file string
		want []string
	}{
		{"zero days", []string{"LAMBDAUDIT_DAYS=0"}, "", []string{"LAMBDAUDIT_DAYS 0: must be 1 to 63 (leave it out for the default, 15)"}},
		{"zero duration", []string{"LAMBDAUDIT_HTTP_TIMEOUT=0s"}, "", []string{"LAMBDAUDIT_HTTP_TIMEOUT 0s: must be more than 0"}},
		{"zero rate fraction", []string{"LAMBDAUDIT_RATE_FRACTION=0"}, "", []string{"LAMBDAUDIT_RATE_FRACTION 0: must be in (0, 1]"}},
		{"days out of range", []string{"LAMBDAUDIT_DAYS=90"}, "", []string{"days: must be 1 to 63", "got 90"}},
		{"rate fraction out of range", []string{"LAMBDAUDIT_RATE_FRACTION=1.5"}, "", []string{"rateFraction: must be in (0, 1], got 1.5"}},
		{"day not complete", []string{"LAMBDAUDIT_DAY=2026-11-21"}, "", []string{"day: 2026-11-21 is not a complete day yet"}},
		{"not a whole number", []string{"LAMBDAUDIT_DAYS=three"}, "", []string{`LAMBDAUDIT_DAYS="three": want a whole number`}},
		{"not a boolean", []string{"LAMBDAUDIT_LOGS=maybe"}, "", []string{`LAMBDAUDIT_LOGS="maybe": want true or false`}},
		{"not a duration", []string{"LAMBDAUDIT_TIMEOUT=10"}, "", []string{`LAMBDAUDIT_TIMEOUT="10": want a duration like 30s or 5m`}},
		{"unknown progress mode", []string{"LAMBDAUDIT_PROGRESS=bogus"}, "", []string{`LAMBDAUDIT_PROGRESS "bogus": want auto, always, never`}},
		{"unknown log level", []string{"LAMBDAUDIT_LOG_LEVEL=loud"}, "", []string{`LAMBDAUDIT_LOG_LEVEL "loud": want debug, info, warn, error`}},
		{"misspelt quota API", []string{"LAMBDAUDIT_QUOTAS=CloudWatch:GetMetricDta=10"}, "", []string{"LAMBDAUDIT_QUOTAS: quotas.CloudWatch:GetMetricDta", `did you mean "CloudWatch:GetMetricData"?`}},
		{"quota not a number", []string{"LAMBDAUDIT_QUOTAS=Lambda:*=many"}, "", []string{"LAMBDAUDIT_QUOTAS Lambda:*=many: want requests per second"}},
		{"a bad file names the file and the key", []string{"LAMBDAUDIT_CONFIG=testdata/typo.yaml"}, "", []string{"config testdata/typo.yaml: unknown key 'region' at line 1; did you mean 'regions'?"}},
		{"a missing file", nil, "/nonexistent/lambdaudit.yaml", []string{"config: open /nonexistent/lambdaudit.yaml"}},
		{"the variable's value is checked before the file is read", []string{"LAMBDAUDIT_DAYS=0"}, "/nonexistent/lambdaudit.yaml", []string{"LAMBDAUDIT_DAYS 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(config.Sources{Env: tt.env, File: tt.file, Now: now})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, goType := range []string{"scanner.Config", "config.Config", "float64", "[]string", "time.Duration", "*bool", " int", "strconv", "stringToString"} {
				if strings.Contains(err.Error(), goType) {
					t.Errorf("error %q names a Go type (%s)", err, goType)
				}
			}
		})
	}
}

// TestLoadSameErrorForFlagAndVariable: a bad value is told the same way
// whether it came as a flag (the CLI) or as its variable (the CLI's
// environment, or the Lambda bootstrap's), only the name differing.
func TestLoadSameErrorForFlagAndVariable(t *testing.T) {
	tests := []struct {
		name, flag, value string
	}{
		{"zero days", "days", "0"},
		{"days out of range", "days", "90"},
		{"zero workers", "workers", "0"},
		{"zero call timeout", "call-timeout", "0s"},
		{"negative timeout", "timeout", "-1m"},
		{"rate fraction out of range", "rate-fraction", "2"},
		{"unknown progress", "progress", "sometimes"},
		{"misspelt quota", "quotas", "Lambda:ListFunction=5"},
		{"bad day", "day", "20-11-2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("scan", pflag.ContinueOnError)
			config.AddFlags(fs)
			if err := fs.Parse([]string{"--" + tt.flag + "=" + tt.value}); err != nil {
				t.Fatal(err)
			}
			_, flagErr := config.Load(config.Sources{Flags: fs, Now: now})
			_, envErr := config.Load(config.Sources{Env: []string{config.EnvName(tt.flag) + "=" + tt.value}, Now: now})
			if flagErr == nil || envErr == nil {
				t.Fatalf("accepted: flag %v, variable %v", flagErr, envErr)
			}
			if got := strings.ReplaceAll(envErr.Error(), config.EnvName(tt.flag), "--"+tt.flag); got != flagErr.Error() {
				t.Errorf("variable: %q\nflag:     %q", envErr, flagErr)
			}
		})
	}
}

// TestLoadPrecedence: flags over variables over the file over the
// defaults, setting by setting.
func TestLoadPrecedence(t *testing.T) {
	file := writeFile(t, "regions: [eu-west-1]\naccounts: \"111111111111\"\ndays: 3\nworkers: 2\nlogs: false\nquotas: {\"Lambda:*\": 20, \"STS:*\": 4}\n")
	tests := []struct {
		name string
		args []string
		env  []string
		ok   func(config.Config) bool
	}{
		{"the file alone", []string{"--config", file}, nil, func(c config.Config) bool {
			return c.Scanner.Days == 3 && c.Scanner.Workers == 2 && !*c.Scanner.Logs && c.Scanner.Accounts[0] == "111111111111"
		}},
		{"a variable over the file", []string{"--config", file}, []string{"LAMBDAUDIT_DAYS=5", "LAMBDAUDIT_LOGS=true"}, func(c config.Config) bool {
			return c.Scanner.Days == 5 && *c.Scanner.Logs && c.Scanner.Workers == 2
		}},
		{"a flag over its variable and the file", []string{"--config", file, "--days", "9"}, []string{"LAMBDAUDIT_DAYS=5"}, func(c config.Config) bool {
			return c.Scanner.Days == 9
		}},
		{"LAMBDAUDIT_CONFIG when --config is not given", nil, []string{"LAMBDAUDIT_CONFIG=" + file}, func(c config.Config) bool { return c.Scanner.Days == 3 }},
		{"the flag's quotas over the variable's and the file's, key by key", []string{"--config", file, "--quotas", "Lambda:*=7"}, []string{"LAMBDAUDIT_QUOTAS=STS:*=1"},
			func(c config.Config) bool {
				return reflect.DeepEqual(c.Scanner.Quotas, map[string]float64{"Lambda:*": 7, "STS:*": 4})
			}},
		{"what no source sets takes the default", []string{"--config", file}, nil, func(c config.Config) bool {
			d := config.Defaults()
			return c.Scanner.RateFraction == d.Scanner.RateFraction && c.Scanner.HTTPTimeout == d.Scanner.HTTPTimeout &&
				*c.Scanner.Tags && *c.Scanner.LogsBudgetUSD == 1 && c.Out == "-" && c.Progress == "auto" && c.LogLevel == "warn"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("scan", pflag.ContinueOnError)
			config.AddFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := config.Load(config.Sources{Flags: fs, Env: tt.env, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.ok(c) {
				t.Errorf("loaded %+v (scanner %+v)", c, c.Scanner)
			}
		})
	}
}

// TestLoadWarnsUnknownVariables: a misspelt LAMBDAUDIT_ variable is told
// once with the nearest real one; the host's own are not.
func TestLoadWarnsUnknownVariables(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		known []string
		want  []string
	}{
		{"misspelt", []string{"LAMBDAUDIT_REGION=eu-west-1"}, nil, []string{"LAMBDAUDIT_REGION is not a lambdaudit variable and is ignored; did you mean LAMBDAUDIT_REGIONS?"}},
		{"nothing near", []string{"LAMBDAUDIT_XYZZY=1"}, nil, []string{"LAMBDAUDIT_XYZZY is not a lambdaudit variable and is ignored"}},
		{"sorted, each once", []string{"LAMBDAUDIT_WORKRES=2", "LAMBDAUDIT_TAG=false"}, nil, []string{
			"LAMBDAUDIT_TAG is not a lambdaudit variable and is ignored; did you mean LAMBDAUDIT_TAGS?",
			"LAMBDAUDIT_WORKRES is not a lambdaudit variable and is ignored; did you mean LAMBDAUDIT_WORKERS?",
		}},
		{"the host's own variables", []string{"LAMBDAUDIT_QUEUE_URL=https://sqs"}, []string{"LAMBDAUDIT_QUEUE_URL"}, nil},
		{"settings", []string{"LAMBDAUDIT_DAYS=3", "LAMBDAUDIT_CONFIG=", "LAMBDAUDIT_OUT=-"}, nil, nil},
		{"other prefixes", []string{"LAMBDA_TASK_ROOT=/var/task", "AWS_LAMBDA_FUNCTION_NAME=f"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			_, err := config.Load(config.Sources{Env: tt.env, Known: tt.known, Now: now, Warn: func(m string) { got = append(got, m) }})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings %q, want %q", got, tt.want)
			}
		})
	}
}
