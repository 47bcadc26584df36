package scanner_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// Accounts of invSpec: the management account (the simulator's own
// credentials) and two members entered through LambdauditReadOnly.
const (
	invMgmt    = "111111111111"
	invStaging = "222222222222"
	invOther   = "333333333333"
	invRole    = "LambdauditReadOnly"
	invExtID   = "lambdaudit-staging-7f3a"
)

// invSpec is a small organization: three accounts, a disabled opt-in
// region, one function per shape the inventory must map.
const invSpec = `
seed: 3
accounts:
  - id: "111111111111"
    name: mgmt
    concurrencyLimit: 1500
    regions:
      - name: us-east-1
        functions:
          - name: api
            memoryMB: 512
            timeoutS: 10
            tags: {team: checkout, env: prod}
            reservedConcurrency: 100
            provisionedConcurrency: 5
          - name: worker
            runtime: python3.13
            handler: app.handler
            architecture: arm64
            memoryMB: 1024
            timeoutS: 900
            ephemeralMB: 2048
            logFormat: JSON
            logGroup: /teams/ops/worker
            layers:
              - arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:20
              - arn:aws:lambda:us-east-1:111111111111:layer:common:4
            tags: {team: ops}
          - name: image-fn
            packageType: Image
            memoryMB: 2048
      - name: eu-west-1
        functions:
          - name: eu-fn
  - id: "222222222222"
    name: staging
    externalId: lambdaudit-staging-7f3a
    roleName: LambdauditReadOnly
    regions:
      - name: us-east-1
        functions:
          - name: staging-fn
      - name: ap-east-1
        disabled: true
  - id: "333333333333"
    name: other
    roleName: LambdauditReadOnly
    regions:
      - name: us-east-1
        functions:
          - name: other-fn
`

// invNoQuotas lifts the request-rate quotas so call counts are exact.
func invNoQuotas() sim.Option {
	q := sim.DefaultQuotas()
	q.LambdaControl, q.LambdaGetFunction, q.STS, q.Tagging = 0, 0, 0, 0
	return sim.WithQuotas(q)
}

// invStart serves a spec on a clock that follows real time shifted by
// *offset, so assumed credentials expire the way the SDK's cache (real
// time) expects; moving offset moves the simulated clock.
func invStart(t *testing.T, spec string, offset *atomic.Int64, opts ...sim.Option) *simtest.Env {
	t.Helper()
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	return simtest.Start(t, spec, append([]sim.Option{invNoQuotas(), sim.WithClock(clock)}, opts...)...)
}

// invFastRetries retries like the SDK's standard retryer without waiting.
func invFastRetries(cfg aws.Config, attempts int) aws.Config {
	cfg = cfg.Copy()
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = noRetryQuota{}
		})
	}
	return cfg
}

// noRetryQuota never runs out of retry tokens.
type noRetryQuota struct{}

func (noRetryQuota) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noRetryQuota) AddTokens(uint) error { return nil }

// invStatic is a config signing with fixed keys.
func invStatic(cfg aws.Config, key, secret, token string) aws.Config {
	cfg = cfg.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(key, secret, token)
	return cfg
}

// invSessions builds sessions or fails the test.
func invSessions(t *testing.T, cfg aws.Config, tg scanner.Targets, opts ...scanner.SessionOption) *scanner.Sessions {
	t.Helper()
	s, err := scanner.NewSessions(cfg, tg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// invTargetErr asserts err is a *TargetError of the kind about the
// account (and region, when not empty).
func invTargetErr(t *testing.T, err, kind error, account, region string) *scanner.TargetError {
	t.Helper()
	var te *scanner.TargetError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want a *scanner.TargetError", err, err)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want kind %q", err, kind)
	}
	if te.Account != account || te.Region != region {
		t.Fatalf("TargetError for %s/%s, want %s/%s: %v", te.Account, te.Region, account, region, err)
	}
	return te
}
