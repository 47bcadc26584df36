package fleet

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseErrors(t *testing.T) {
	const head = `seed: 1
accounts:
  - id: "111111111111"
    regions:
      - name: us-east-1
        functions:
          - name: f1
`
	for _, tc := range []struct {
		name string
		yaml string
		path string
		line int
		msg  string
	}{
		{"unknown top-level field", "seed: 1\nsede: 2\naccounts: []\n", "sede", 2, `unknown field "sede"`},
		{"unknown function field", head + "            memoryMb: 512\n", "accounts[0].regions[0].functions[0].memoryMb", 8, `unknown field "memoryMb"`},
		{"unknown series key", head + "            profile:\n              invocations: {perDay: 5, each: 3}\n", "accounts[0].regions[0].functions[0].profile.invocations.each", 9, `unknown field "each"`},
		{"unknown spike key", head + "            profile:\n              invocations:\n                perDay: 5\n                spike: {day: 1, factor: 2}\n", "accounts[0].regions[0].functions[0].profile.invocations.spike.day", 11, `unknown field "day"`},
		{"unknown dist key", head + "            profile:\n              duration: {p50: 5, p98: 7, max: 9}\n", "accounts[0].regions[0].functions[0].profile.duration.p98", 9, `unknown field "p98"`},
		{"not a number", head + "            memoryMB: lots\n", "accounts[0].regions[0].functions[0].memoryMB", 8, "cannot unmarshal"},
		{"not a number in a list", head + "            profile:\n              errors:\n                - 1\n                - many\n", "accounts[0].regions[0].functions[0].profile.errors[1]", 11, "cannot unmarshal"},
		{"bad memory", head + "            memoryMB: 64\n", "accounts[0].regions[0].functions[0].memoryMB", 8, "must be between 128 and 10240, got 64"},
		{"bad timeout", head + "            timeoutS: 901\n", "accounts[0].regions[0].functions[0].timeoutS", 8, "must be between 1 and 900"},
		{"bad runtime", head + "            runtime: cobol85\n", "accounts[0].regions[0].functions[0].runtime", 8, `unknown runtime "cobol85"`},
		{"image with runtime", head + "            packageType: Image\n            runtime: nodejs24.x\n", "accounts[0].regions[0].functions[0].runtime", 9, "an Image function has no runtime"},
		{"list of wrong length", head + "            profile:\n              invocations: [1, 2, 3]\n", "accounts[0].regions[0].functions[0].profile.invocations", 9, "a list needs one value per day (14), got 3"},
		{"errors exceed invocations", head + "            profile:\n              invocations: 10\n              errors: 8\n              timeouts: 3\n", "accounts[0].regions[0].functions[0].profile.errors", 10, "exceed the invocations"},
		{"rate too big", head + "            profile:\n              invocations: 10\n              coldStarts: {rate: 1.5}\n", "accounts[0].regions[0].functions[0].profile.coldStarts", 10, "rate must be between 0 and 1"},
		{"invocations as a rate", head + "            profile:\n              invocations: {rate: 0.5}\n", "accounts[0].regions[0].functions[0].profile.invocations", 9, "cannot be a rate"},
		{"dist out of order", head + "            profile:\n              duration: {p50: 50, p99: 20, max: 100}\n", "accounts[0].regions[0].functions[0].profile.duration", 9, "needs min ≤ p50 ≤ p99 ≤ max"},
		{"duration beyond timeout", head + "            timeoutS: 1\n            profile:\n              duration: {p50: 50, max: 1500}\n", "accounts[0].regions[0].functions[0].profile.duration.max", 10, "exceeds the limit 1000"},
		{"memory used beyond memory", head + "            memoryMB: 256\n            profile:\n              memoryUsed: {p50: 50, max: 300}\n", "accounts[0].regions[0].functions[0].profile.memoryUsed.max", 10, "exceeds the limit 256"},
		{"bad region name", "accounts:\n  - id: \"111111111111\"\n    regions:\n      - name: us-east-1\n      - name: mars-north\n", "accounts[0].regions[1].name", 5, `not a region name: "mars-north"`},
		{"duplicate region", "accounts:\n  - id: \"111111111111\"\n    regions:\n      - name: us-east-1\n      - name: us-east-1\n", "accounts[0].regions[1].name", 5, "duplicate region"},
		{"bad account id", "accounts:\n  - id: \"1234\"\n", "accounts[0].id", 2, "must be 12 digits"},
		{"duplicate function", head + "          - name: f1\n", "accounts[0].regions[0].functions[1].name", 8, "duplicate function f1"},
		{"bad function name", head + "          - name: has space\n", "accounts[0].regions[0].functions[1].name", 8, "must be 1-64 letters"},
		{"spike outside history", head + "            profile:\n              invocations: {perDay: 5, spike: {daysAgo: 20, factor: 2}}\n", "accounts[0].regions[0].functions[0].profile.invocations.spike.daysAgo", 9, "must be between 1 and 14"},
		{"utilization without provisioned concurrency", head + "            profile:\n              provisionedUtilization: 0.5\n", "accounts[0].regions[0].functions[0].profile.provisionedUtilization", 9, "needs provisionedConcurrency"},
		{"on-demand memory above 10240 points at capacityProvider", head + "            memoryMB: 20480\n", "accounts[0].regions[0].functions[0].memoryMB", 8, "must be between 128 and 10240, got 20480 (up to 32768 with capacityProvider"},
		{"on-demand timeout above 900 points at capacityProvider", head + "            timeoutS: 3600\n", "accounts[0].regions[0].functions[0].timeoutS", 8, "(up to 5400 with capacityProvider"},
		{"managed instances memory above 32768", head + "            capacityProvider: big\n            memoryMB: 32769\n            logFormat: JSON\n", "accounts[0].regions[0].functions[0].memoryMB", 9, "must be between 128 and 32768, got 32769 (Lambda Managed Instances)"},
		{"managed instances timeout above 5400", head + "            capacityProvider: big\n            timeoutS: 5401\n", "accounts[0].regions[0].functions[0].timeoutS", 9, "must be between 1 and 5400, got 5401"},
		{"managed instances log Text", head + "            capacityProvider: big\n            logFormat: Text\n", "accounts[0].regions[0].functions[0].logFormat", 9, "logs JSON only"},
		{"bad capacity provider", head + "            capacityProvider: \"no spaces\"\n", "accounts[0].regions[0].functions[0].capacityProvider", 8, "must be a capacity provider name"},
		{"bad log group class", head + "            logGroupClass: GLACIER\n", "accounts[0].regions[0].functions[0].logGroupClass", 8, `must be STANDARD, INFREQUENT_ACCESS or DELIVERY, got "GLACIER"`},
		{"too few days", "days: 7\naccounts: []\n", "days", 1, "must be between 14 and 455"},
		{"bad now", "now: yesterday\naccounts: []\n", "now", 1, "not an RFC 3339 time"},
		{"no accounts", "seed: 3\n", "accounts", 1, "a spec needs accounts or generate"},
		{"created before history", head + "            createdDaysAgo: 15\n", "accounts[0].regions[0].functions[0].createdDaysAgo", 8, "must be between 1 and days (14)"},
		{"bad log format", head + "            logFormat: XML\n", "accounts[0].regions[0].functions[0].logFormat", 8, "must be Text or JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a FieldError", err, err)
			}
			if fe.Path != tc.path || fe.Line != tc.line || !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("got path %q line %d msg %q\nwant path %q line %d msg ~%q", fe.Path, fe.Line, fe.Msg, tc.path, tc.line, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "line ") || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("message %q does not name the line and path", err)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	s, err := Parse([]byte(`
defaults:
  runtime: python3.13
  memoryMB: 256
accounts:
  - id: "111111111111"
    regions:
      - name: us-east-1
        functions:
          - name: a
          - name: img
            packageType: Image
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Days != 14 {
		t.Errorf("days %d", s.Days)
	}
	a, img := s.Accounts[0].Regions[0].Functions[0], s.Accounts[0].Regions[0].Functions[1]
	for _, c := range []struct{ name, got, want string }{
		{"runtime", a.Runtime, "python3.13"},
		{"image runtime", img.Runtime, ""},
		{"architecture", a.Architecture, ArchX86},
		{"log group", a.LogGroup, "/aws/lambda/a"},
		{"log format", a.LogFormat, FormatTxt},
		{"handler", a.Handler, "index.handler"},
		{"role", s.Accounts[0].RoleName, "lambdaudit-member"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if a.MemoryMB != 256 || a.TimeoutS != 3 || a.EphemeralMB != 512 || a.CreatedDaysAgo != 14 || s.Accounts[0].ConcurrencyLimit != 1000 {
		t.Errorf("defaults: %+v", a)
	}
	if d := a.Profile.MemoryUsed; d.P50 != 128 || d.Max != 154 {
		t.Errorf("memoryUsed default %+v", *d)
	}
}

func TestParseManagedInstancesAndLogClass(t *testing.T) {
	s, err := Parse([]byte(`
accounts:
  - id: "111111111111"
    regions:
      - name: eu-west-2
        functions:
          - name: mi
            capacityProvider: fleet-cp
            memoryMB: 32768
            timeoutS: 5400
          - name: shipped
            logGroupClass: DELIVERY
          - name: plain
`))
	if err != nil {
		t.Fatal(err)
	}
	fns := s.Accounts[0].Regions[0].Functions
	for _, c := range []struct{ name, got, want string }{
		{"managed instances log format defaults to JSON", fns[0].LogFormat, FormatJSN},
		{"managed instances class", fns[0].LogGroupClass, ClassStandard},
		{"delivery class kept", fns[1].LogGroupClass, ClassDelivery},
		{"on-demand log format stays Text", fns[2].LogFormat, FormatTxt},
		{"class defaults to STANDARD", fns[2].LogGroupClass, ClassStandard},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	f, err := Build(s, time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	r := f.Account("111111111111").Region("eu-west-2")
	if got, want := r.Function("mi").CapacityProviderARN(), "arn:aws:lambda:eu-west-2:111111111111:capacity-provider:fleet-cp"; got != want {
		t.Errorf("capacity provider ARN %q, want %q", got, want)
	}
	if got := r.Function("plain").CapacityProviderARN(); got != "" {
		t.Errorf("on-demand function has capacity provider %q", got)
	}
	for _, ft := range f.Truth(time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)).Functions {
		c := ft.Config
		switch ft.Name {
		case "mi":
			if c.CapacityProviderARN != "arn:aws:lambda:eu-west-2:111111111111:capacity-provider:fleet-cp" || c.LogGroupClass != "" || c.MemoryMB != 32768 {
				t.Errorf("truth of mi: %+v", c)
			}
		case "shipped":
			if c.LogGroupClass != ClassDelivery || c.CapacityProviderARN != "" {
				t.Errorf("truth of shipped: %+v", c)
			}
		}
	}
}
