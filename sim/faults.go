package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/lambdaudit/lambdaudit/didyoumean"
)

// Fault injects failures into the calls it matches. Empty match fields
// match everything; every matching fault applies.
type Fault struct {
	// Service is a SigV4 service name: lambda, monitoring, logs, sts,
	// tagging, ec2, organizations, pricing.
	Service string `json:"service,omitempty"`
	// API is an operation name such as GetMetricData.
	API     string `json:"api,omitempty"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// Function matches only the calls that name this function (by name):
	// the Lambda per-function APIs (GetFunction, ListTags,
	// ListProvisionedConcurrencyConfigs, …) and Logs StartQuery over its
	// log group. LogGroup matches StartQuery over this log group. A fault
	// with either never matches ListFunctions, GetMetricData or other
	// calls that name no single function. A StartQuery over several log
	// groups matches when one of them does, and AccessDenied then names
	// that group's ARN, as IAM does for a resource-level denial.
	Function string `json:"function,omitempty"`
	LogGroup string `json:"logGroup,omitempty"`
	// ThrottlePct throttles this share (0–100) of the calls on top of the quotas.
	ThrottlePct float64 `json:"throttlePct,omitempty"`
	// ErrorPct fails this share of the calls with HTTP 500 or 503.
	ErrorPct float64 `json:"errorPct,omitempty"`
	// LatencyMultiplier scales the simulated latency (0 = unchanged).
	LatencyMultiplier float64 `json:"latencyMultiplier,omitempty"`
	// AccessDenied refuses every matching call with AccessDenied.
	AccessDenied bool `json:"accessDenied,omitempty"`
	// DisableRegion answers like an opt-in region that is not enabled.
	DisableRegion bool `json:"disableRegion,omitempty"`
	// QueryFailPct makes this share of Logs Insights queries end Failed;
	// QueryTimeout makes every matching query end Timeout.
	QueryFailPct float64 `json:"queryFailPct,omitempty"`
	QueryTimeout bool    `json:"queryTimeout,omitempty"`
}

// faultTarget is one function (and its log group) a call names.
type faultTarget struct{ function, logGroup string }

// matches reports whether the fault applies to the call, and the target
// it matched when it matches by function or log group.
func (f *Fault) matches(svc, api, account, region string, targets []faultTarget) (faultTarget, bool) {
	if !((f.Service == "" || f.Service == svc) && (f.API == "" || f.API == api) &&
		(f.Account == "" || f.Account == account) && (f.Region == "" || f.Region == region)) {
		return faultTarget{}, false
	}
	if f.Function == "" && f.LogGroup == "" {
		return faultTarget{}, true
	}
	for _, t := range targets {
		if (f.Function == "" || f.Function == t.function) && (f.LogGroup == "" || f.LogGroup == t.logGroup) {
			return t, true
		}
	}
	return faultTarget{}, false
}

// faultServices are the services a fault may name.
var faultServices = []string{svcLambda, svcCloudWatch, svcLogs, svcSTS, svcTagging, svcEC2, svcOrganizations, svcPricing}

var faultAccountRe = regexp.MustCompile(`^[0-9]{12}$`)

// Validate checks the ranges and that the fault does something.
func (f *Fault) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"throttlePct", f.ThrottlePct}, {"errorPct", f.ErrorPct}, {"queryFailPct", f.QueryFailPct}} {
		if !(p.v >= 0 && p.v <= 100) {
			return fmt.Errorf("fault %s: must be a number between 0 and 100, got %v", p.name, p.v)
		}
	}
	if !(f.LatencyMultiplier >= 0) || math.IsInf(f.LatencyMultiplier, 0) {
		return fmt.Errorf("fault latencyMultiplier: must be a number of 0 or more (0 = unchanged), got %v", f.LatencyMultiplier)
	}
	if f.Service != "" && !slices.Contains(faultServices, f.Service) {
		return fmt.Errorf("fault service: unknown service %q (valid: %s)", f.Service, strings.Join(faultServices, ", "))
	}
	if f.Account != "" && !faultAccountRe.MatchString(f.Account) {
		return fmt.Errorf("fault account: must be a 12-digit account ID, got %q", f.Account)
	}
	if f.ThrottlePct == 0 && f.ErrorPct == 0 && f.LatencyMultiplier == 0 && !f.AccessDenied && !f.DisableRegion && f.QueryFailPct == 0 && !f.QueryTimeout {
		return errors.New("fault: does nothing; give one of throttlePct, errorPct, latencyMultiplier, accessDenied, disableRegion, queryFailPct, queryTimeout")
	}
	return nil
}

// faultKeys are ParseFault's keys, in the order --help lists them.
var faultKeys = []string{"service", "api", "account", "region", "function", "logGroup",
	"throttlePct", "errorPct", "latencyMultiplier", "accessDenied", "disableRegion", "queryFailPct", "queryTimeout"}

// ParseFault reads a fault from "key=value,..." text, e.g.
// "service=monitoring,api=GetMetricData,throttlePct=20". Percentages are
// numbers from 0 to 100, latencyMultiplier a number of 0 or more, and
// accessDenied, disableRegion and queryTimeout true or false; any other
// value, an unknown key (the nearest valid one is suggested) or a key
// given twice is an error naming the key, the value and the valid choices.
func ParseFault(s string) (Fault, error) {
	var f Fault
	seen := map[string]bool{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return f, fmt.Errorf("fault %q: %q is not key=value (keys: %s)", s, kv, strings.Join(faultKeys, ", "))
		}
		if seen[k] {
			return f, fmt.Errorf("fault %q: %s given twice", s, k)
		}
		seen[k] = true
		num := func(dst *float64, valid string) error {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("fault %q: %s must be %s, got %q", s, k, valid, v)
			}
			*dst = x
			return nil
		}
		flag := func(dst *bool) error {
			switch v {
			case "true":
				*dst = true
			case "false":
				*dst = false
			default:
				return fmt.Errorf("fault %q: %s must be true or false, got %q", s, k, v)
			}
			return nil
		}
		name := func(dst *string) error {
			if v == "" {
				return fmt.Errorf("fault %q: %s needs a value (leave the key out to match every %s)", s, k, k)
			}
			*dst = v
			return nil
		}
		var err error
		switch k {
		case "service":
			err = name(&f.Service)
		case "api":
			err = name(&f.API)
		case "account":
			err = name(&f.Account)
		case "region":
			err = name(&f.Region)
		case "function":
			err = name(&f.Function)
		case "logGroup":
			err = name(&f.LogGroup)
		case "throttlePct":
			err = num(&f.ThrottlePct, "a number between 0 and 100")
		case "errorPct":
			err = num(&f.ErrorPct, "a number between 0 and 100")
		case "queryFailPct":
			err = num(&f.QueryFailPct, "a number between 0 and 100")
		case "latencyMultiplier":
			err = num(&f.LatencyMultiplier, "a number of 0 or more")
		case "accessDenied":
			err = flag(&f.AccessDenied)
		case "disableRegion":
			err = flag(&f.DisableRegion)
		case "queryTimeout":
			err = flag(&f.QueryTimeout)
		default:
			return f, fmt.Errorf("fault %q: unknown key %q%s (keys: %s)", s, k, suggestKey(k, faultKeys), strings.Join(faultKeys, ", "))
		}
		if err != nil {
			return f, err
		}
	}
	if err := f.Validate(); err != nil {
		return f, fmt.Errorf("%q: %w", s, err)
	}
	return f, nil
}

// ParseFaultsJSON reads a JSON array of faults (the /_sim/faults body,
// keys as ParseFault's) with ParseFault's checks: an unknown key is
// named with the nearest valid one, a value of the wrong kind with the
// key, the value and the valid choices — never a Go type name.
func ParseFaultsJSON(b []byte) ([]Fault, error) {
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("faults: want a JSON array of objects such as [{\"service\": \"logs\", \"throttlePct\": 20}]: %w", err)
	}
	out := make([]Fault, 0, len(raw))
	for i, m := range raw {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			v := string(m[k])
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			if strings.Contains(v, ",") {
				return nil, fmt.Errorf("faults[%d]: %s: a value cannot contain a comma, got %q", i, k, v)
			}
			parts = append(parts, k+"="+v)
		}
		f, err := ParseFault(strings.Join(parts, ","))
		if err != nil {
			return nil, fmt.Errorf("faults[%d]: %w", i, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// suggestKey is ", did you mean X?" for the valid key nearest to k
// (didyoumean.Nearest, as the scan's config errors), or "".
func suggestKey(k string, valid []string) string {
	best := didyoumean.Nearest(k, valid)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(", did you mean %s?", best)
}

// faults decides, reproducibly for a seed, which calls fail.
type faults struct {
	mu   sync.Mutex
	list []Fault
	rng  *rand.Rand
}

func newFaults(seed uint64, list []Fault) *faults {
	return &faults{list: list, rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

func (f *faults) set(list []Fault) {
	f.mu.Lock()
	f.list = append([]Fault(nil), list...)
	f.mu.Unlock()
}

// verdict is what the faults say about one call.
type verdict struct {
	throttle, fail503, fail500, denied, disabled bool
	latency                                      float64
	queryFail, queryTimeout                      bool
	// deniedOn is the function or log group a resource-level denial
	// names (empty: the call as a whole is denied).
	deniedOn faultTarget
}

// judge decides a call naming targets (the functions and log groups it
// touches; none for calls that name no single function).
func (f *faults) judge(svc, api, account, region string, targets []faultTarget) verdict {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := verdict{latency: 1}
	for i := range f.list {
		x := &f.list[i]
		t, ok := x.matches(svc, api, account, region, targets)
		if !ok {
			continue
		}
		if x.AccessDenied && !v.denied {
			v.deniedOn = t
		}
		if x.ThrottlePct > 0 && f.rng.Float64()*100 < x.ThrottlePct {
			v.throttle = true
		}
		if x.ErrorPct > 0 && f.rng.Float64()*100 < x.ErrorPct {
			if f.rng.IntN(2) == 0 {
				v.fail500 = true
			} else {
				v.fail503 = true
			}
		}
		if x.LatencyMultiplier > 0 {
			v.latency *= x.LatencyMultiplier
		}
		v.denied = v.denied || x.AccessDenied
		v.disabled = v.disabled || x.DisableRegion
		if x.QueryFailPct > 0 && f.rng.Float64()*100 < x.QueryFailPct {
			v.queryFail = true
		}
		v.queryTimeout = v.queryTimeout || x.QueryTimeout
	}
	return v
}
