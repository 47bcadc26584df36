package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
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

func (f *Fault) matches(svc, api, account, region string) bool {
	return (f.Service == "" || f.Service == svc) && (f.API == "" || f.API == api) &&
		(f.Account == "" || f.Account == account) && (f.Region == "" || f.Region == region)
}

// Validate checks the ranges.
func (f *Fault) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"throttlePct", f.ThrottlePct}, {"errorPct", f.ErrorPct}, {"queryFailPct", f.QueryFailPct}} {
		if p.v < 0 || p.v > 100 {
			return fmt.Errorf("fault %s: must be between 0 and 100, got %v", p.name, p.v)
		}
	}
	if f.LatencyMultiplier < 0 {
		return fmt.Errorf("fault latencyMultiplier: must not be negative, got %v", f.LatencyMultiplier)
	}
	switch f.Service {
	case "", svcLambda, svcCloudWatch, svcLogs, svcSTS, svcTagging, svcEC2, svcOrganizations, svcPricing:
	default:
		return fmt.Errorf("fault service: unknown service %q (lambda, monitoring, logs, sts, tagging, ec2, organizations, pricing)", f.Service)
	}
	return nil
}

// ParseFault reads a fault from "key=value,..." text, e.g.
// "service=monitoring,api=GetMetricData,throttlePct=20".
func ParseFault(s string) (Fault, error) {
	var f Fault
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return f, fmt.Errorf("fault %q: %q is not key=value", s, kv)
		}
		var err error
		switch k {
		case "service":
			f.Service = v
		case "api":
			f.API = v
		case "account":
			f.Account = v
		case "region":
			f.Region = v
		case "throttlePct":
			_, err = fmt.Sscan(v, &f.ThrottlePct)
		case "errorPct":
			_, err = fmt.Sscan(v, &f.ErrorPct)
		case "latencyMultiplier":
			_, err = fmt.Sscan(v, &f.LatencyMultiplier)
		case "accessDenied":
			_, err = fmt.Sscan(v, &f.AccessDenied)
		case "disableRegion":
			_, err = fmt.Sscan(v, &f.DisableRegion)
		case "queryFailPct":
			_, err = fmt.Sscan(v, &f.QueryFailPct)
		case "queryTimeout":
			_, err = fmt.Sscan(v, &f.QueryTimeout)
		default:
			return f, fmt.Errorf("fault %q: unknown key %q", s, k)
		}
		if err != nil {
			return f, fmt.Errorf("fault %q: %s: %w", s, k, err)
		}
	}
	return f, f.Validate()
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
}

func (f *faults) judge(svc, api, account, region string) verdict {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := verdict{latency: 1}
	for i := range f.list {
		x := &f.list[i]
		if !x.matches(svc, api, account, region) {
			continue
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
