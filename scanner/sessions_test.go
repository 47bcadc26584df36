package scanner_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
)

// invAllTargets is every account and region of invSpec, entered with the
// staging account's external ID.
var invAllTargets = scanner.Targets{Regions: []string{"all"}, Accounts: []string{"all"}, Role: invRole, ExternalID: invExtID}

func TestSessionsAssumeRolePerAccount(t *testing.T) {
	var offset atomic.Int64
	env := invStart(t, invSpec, &offset)
	ctx := context.Background()
	// The hook sees every pair once per client built from its config.
	var mu sync.Mutex
	hooked := map[string]int{}
	hook := func(account, region string) []func(*middleware.Stack) error {
		mu.Lock()
		hooked[account+"/"+region]++
		mu.Unlock()
		return nil
	}
	s := invSessions(t, env.Config, invAllTargets, scanner.WithAPIOptions(hook))
	failed, err := s.Preflight(ctx)
	if err != nil || len(failed) != 0 {
		t.Fatalf("Preflight = %v, %v", failed, err)
	}
	pairs, err := s.Pairs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 6 {
		t.Fatalf("pairs = %v, want 3 accounts × 2 regions", pairs)
	}
	// Every pair twice: the account's credentials are assumed once and
	// shared by its regions; the pair's identity is the account's.
	for range 2 {
		for _, p := range pairs {
			cfg, err := s.Config(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != p.Region {
				t.Fatalf("%v: region %s", p, cfg.Region)
			}
			id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			wantARN := "arn:aws:sts::" + p.Account + ":assumed-role/" + invRole + "/lambdaudit"
			if p.Account == invMgmt {
				wantARN = "arn:aws:iam::111111111111:user/lambdaudit"
			}
			if aws.ToString(id.Account) != p.Account || aws.ToString(id.Arn) != wantARN {
				t.Fatalf("%v: identity %s %s, want %s", p, aws.ToString(id.Account), aws.ToString(id.Arn), wantARN)
			}
		}
	}
	if n := env.Server.Accounting().API("sts", "AssumeRole").Calls; n != 2 {
		t.Fatalf("%d AssumeRole calls, want 2 (one per member account)", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range pairs {
		if hooked[p.String()] == 0 {
			t.Errorf("the API options hook never saw %v", p)
		}
	}
}

func TestSessionsMemberAccountFailures(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		targets scanner.Targets
		faults  []sim.Fault
		account string
		kind    error
		op      string
	}{
		{name: "wrong external ID", targets: scanner.Targets{Accounts: []string{"all"}, Role: invRole, ExternalID: "guessed-wrong"},
			account: invStaging, kind: scanner.ErrAccessDenied, op: "sts:AssumeRole arn:aws:iam::222222222222:role/LambdauditReadOnly (session lambdaudit, with the external ID)"},
		{name: "missing external ID", targets: scanner.Targets{Accounts: []string{"all"}, Role: invRole},
			account: invStaging, kind: scanner.ErrAccessDenied, op: "sts:AssumeRole arn:aws:iam::222222222222:role/LambdauditReadOnly (session lambdaudit)"},
		{name: "no such role", targets: scanner.Targets{Accounts: []string{invMgmt, invOther}, Role: "arn:aws:iam::{account}:role/Nope"},
			account: invOther, kind: scanner.ErrAccessDenied, op: "sts:AssumeRole arn:aws:iam::333333333333:role/Nope"},
		{name: "everything the account's principal calls is denied", targets: invAllTargets, faults: []sim.Fault{{Account: invOther, AccessDenied: true}},
			account: invOther, kind: scanner.ErrAccessDenied, op: "sts:GetCallerIdentity with the credentials of arn:aws:iam::333333333333:role/LambdauditReadOnly"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var offset atomic.Int64
			env := invStart(t, invSpec, &offset, sim.WithFaults(tc.faults...))
			s := invSessions(t, env.Config, tc.targets)
			failed, err := s.Preflight(ctx)
			if err != nil {
				t.Fatalf("Preflight: %v (a member account must not fail the scan)", err)
			}
			pairs, _ := s.Pairs(ctx)
			for _, p := range pairs {
				ferr := failed[p]
				if p.Account != tc.account {
					if ferr != nil {
						t.Errorf("%v failed too: %v", p, ferr)
					}
					continue
				}
				te := invTargetErr(t, ferr, tc.kind, tc.account, "")
				if !strings.HasPrefix(te.Op, tc.op) {
					t.Errorf("Op = %q, want %q…", te.Op, tc.op)
				}
				if !strings.Contains(ferr.Error(), "account "+tc.account) {
					t.Errorf("error %q does not name the account", ferr)
				}
				// Config gives the same reason, without calling again.
				before := env.Server.Accounting().Total().Calls
				if _, cerr := s.Config(ctx, p); !errors.Is(cerr, tc.kind) || cerr.Error() != ferr.Error() {
					t.Errorf("Config(%v) = %v, want the preflight error", p, cerr)
				}
				if after := env.Server.Accounting().Total().Calls; after != before {
					t.Errorf("Config called AWS %d times for a failed account", after-before)
				}
			}
			t.Log(failed)
		})
	}
}

// TestSessionsRefreshBeforeExpiry: credentials within the expiry window
// of their end are never used — the account's role is assumed again
// first — while fresh ones are shared by every call. The simulated clock
// is shifted back so that STS issues credentials that end 2 minutes from
// now (inside the 5-minute window) without waiting for time to pass.
func TestSessionsRefreshBeforeExpiry(t *testing.T) {
	var offset atomic.Int64
	env := invStart(t, invSpec, &offset)
	ctx := context.Background()
	const window, session = 5 * time.Minute, 15 * time.Minute
	s := invSessions(t, env.Config, scanner.Targets{Accounts: []string{invStaging}, Role: invRole, ExternalID: invExtID, RoleDuration: session},
		scanner.WithExpiryWindow(window))
	p := scanner.Pair{Account: invStaging, Region: "us-east-1"}
	assumed := func() int64 { return env.Server.Accounting().API("sts", "AssumeRole").Calls }
	list := func(t *testing.T, cfg aws.Config, n int) {
		t.Helper()
		client := lambda.NewFromConfig(cfg)
		for range n {
			if _, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
				t.Fatal(err)
			}
		}
	}

	offset.Store(int64(-session + 2*time.Minute))
	cfg, err := s.Config(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("credentials inside the window are refreshed before every call", func(t *testing.T) {
		before := assumed()
		list(t, cfg, 3)
		if got := assumed() - before; got != 3 {
			t.Fatalf("%d AssumeRole calls for 3 calls, want 3: credentials ending within the window must not be used", got)
		}
		if c := env.Server.Accounting().API("lambda", "ListFunctions"); c.ClientErrors != 0 {
			t.Fatalf("%d refused calls", c.ClientErrors)
		}
	})
	t.Run("fresh credentials are assumed once and shared", func(t *testing.T) {
		offset.Store(0)
		before := assumed()
		list(t, cfg, 3)
		cfg2, err := s.Config(ctx, scanner.Pair{Account: invStaging, Region: "eu-west-1"})
		if err != nil {
			t.Fatal(err)
		}
		list(t, cfg2, 2)
		if got := assumed() - before; got != 1 {
			t.Fatalf("%d AssumeRole calls, want 1", got)
		}
	})
	t.Run("the cache ends the credentials one window early", func(t *testing.T) {
		prov, err := s.Credentials(ctx, invStaging)
		if err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		offset.Store(int64(time.Hour)) // the next AssumeRole is stamped an hour ahead: far from the window
		prov.(interface{ Invalidate() }).Invalidate()
		c, err := prov.Retrieve(ctx)
		after := time.Now()
		offset.Store(0)
		if err != nil {
			t.Fatal(err)
		}
		// STS stamps Expiration = sim now + session, to the second.
		lo, hi := before.Add(time.Hour+session-window-time.Second), after.Add(time.Hour+session-window)
		if !c.CanExpire || c.Expires.Before(lo) || c.Expires.After(hi) {
			t.Fatalf("Expires = %v, want STS's expiry minus the %v window (%v … %v)", c.Expires, window, lo, hi)
		}
	})
}

func TestNewSessionsErrors(t *testing.T) {
	var offset atomic.Int64
	env := invStart(t, invSpec, &offset)
	noCreds := env.Config.Copy()
	noCreds.Credentials = nil
	for _, tc := range []struct {
		name string
		cfg  aws.Config
		t    scanner.Targets
		opts []scanner.SessionOption
		want string
	}{
		{name: "bad targets", cfg: env.Config, t: scanner.Targets{Regions: []string{"mars-1"}}, want: `regions "mars-1"`},
		{name: "no credentials", cfg: noCreds, want: "no credentials provider"},
		{name: "window longer than the session", cfg: env.Config, t: scanner.Targets{RoleDuration: 15 * time.Minute}, opts: []scanner.SessionOption{scanner.WithExpiryWindow(15 * time.Minute)}, want: "must be shorter than the role session"},
		{name: "negative window", cfg: env.Config, opts: []scanner.SessionOption{scanner.WithExpiryWindow(-time.Second)}, want: "must not be negative"},
		{name: "nil hook", cfg: env.Config, opts: []scanner.SessionOption{scanner.WithAPIOptions(nil)}, want: "nil function"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scanner.NewSessions(tc.cfg, tc.t, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("a pair outside the scan", func(t *testing.T) {
		s := invSessions(t, env.Config, scanner.Targets{})
		if _, err := s.Config(context.Background(), scanner.Pair{Account: invOther, Region: "us-east-1"}); err == nil || !strings.Contains(err.Error(), `accounts "333333333333"`) {
			t.Fatalf("err = %v", err)
		}
	})
}
