package scanner_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
)

// invPair is an inventory of one pair of a running simulator.
func invPair(t *testing.T, s *scanner.Sessions, p scanner.Pair) *scanner.Inventory {
	t.Helper()
	cfg, err := s.Config(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return scanner.NewInventory(cfg, p)
}

// invList lists a pair, returning the functions and the page sizes.
func invList(t *testing.T, inv *scanner.Inventory) ([]scanner.FunctionConfig, []int) {
	t.Helper()
	var fns []scanner.FunctionConfig
	var pages []int
	err := inv.ListFunctionConfigs(context.Background(), func(page []scanner.FunctionConfig) error {
		pages = append(pages, len(page))
		fns = append(fns, page...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fns, pages
}

func TestInventoryListFunctionsFields(t *testing.T) {
	var offset atomic.Int64
	env := invStart(t, invSpec, &offset)
	s := invSessions(t, env.Config, invAllTargets)
	fns, _ := invList(t, invPair(t, s, scanner.Pair{Account: invMgmt, Region: "us-east-1"}))
	region := env.Fleet.Account(invMgmt).Region("us-east-1")
	if len(fns) != len(region.Functions) {
		t.Fatalf("%d functions, want %d", len(fns), len(region.Functions))
	}
	for i, want := range []scanner.FunctionConfig{
		{Name: "api", Runtime: "nodejs22.x", Architecture: "x86_64", MemoryMB: 512, TimeoutS: 10, EphemeralMB: 512, PackageType: "Zip",
			LogGroup: "/aws/lambda/api", LogFormat: "Text"},
		{Name: "worker", Runtime: "python3.13", Architecture: "arm64", MemoryMB: 1024, TimeoutS: 900, EphemeralMB: 2048, PackageType: "Zip",
			LogGroup: "/teams/ops/worker", LogFormat: "JSON", LambdaInsightsLayer: true,
			Layers: []string{"arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:20", "arn:aws:lambda:us-east-1:111111111111:layer:common:4"}},
		{Name: "image-fn", Runtime: "", Architecture: "x86_64", MemoryMB: 2048, TimeoutS: 3, EphemeralMB: 512, PackageType: "Image",
			LogGroup: "/aws/lambda/image-fn", LogFormat: "Text"},
	} {
		t.Run(want.Name, func(t *testing.T) {
			fn := region.Functions[i]
			want.Account, want.Region, want.ARN = invMgmt, "us-east-1", fn.ARN
			want.LastModified, want.CodeSize = fn.LastModified.UTC(), fn.CodeSize
			got := fns[i]
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			if id := got.ID(); id != "111111111111/us-east-1/"+want.Name {
				t.Fatalf("ID = %s", id)
			}
			r := got.Function()
			if r.ID != got.ID() || r.ARN != fn.ARN || r.MemoryMB != want.MemoryMB || r.LogGroup != want.LogGroup || r.LambdaInsights != want.LambdaInsightsLayer {
				t.Fatalf("Function() = %+v", r)
			}
		})
	}
	t.Run("the result's entries, page by page", func(t *testing.T) {
		var names []string
		err := invPair(t, s, scanner.Pair{Account: invStaging, Region: "us-east-1"}).ListFunctions(context.Background(), func(page []scanner.Function) error {
			for _, f := range page {
				names = append(names, f.ID)
			}
			return nil
		})
		if err != nil || !slices.Equal(names, []string{"222222222222/us-east-1/staging-fn"}) {
			t.Fatalf("names = %v, err = %v", names, err)
		}
	})
	t.Run("the callback's error stops the listing", func(t *testing.T) {
		stop := errors.New("enough")
		err := invPair(t, s, scanner.Pair{Account: invMgmt, Region: "us-east-1"}).ListFunctionConfigs(context.Background(), func([]scanner.FunctionConfig) error { return stop })
		if !errors.Is(err, stop) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestInventoryPagination: ListFunctions pages at 50, so n functions take
// exactly ceil(n/50) calls (one for an empty region), every function
// listed once, in order.
func TestInventoryPagination(t *testing.T) {
	for _, n := range []int{0, 1, 50, 51, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			spec := fmt.Sprintf("seed: 5\ngenerate:\n  functions: %d\n", n)
			if n == 0 {
				spec = "accounts:\n  - id: \"123456789012\"\n    regions:\n      - name: us-east-1\n"
			}
			var offset atomic.Int64
			env := invStart(t, spec, &offset)
			s := invSessions(t, env.Config, scanner.Targets{})
			fns, pages := invList(t, invPair(t, s, scanner.Pair{Account: "123456789012", Region: "us-east-1"}))
			calls := max(1, (n+49)/50)
			if got := env.Server.Accounting().API("lambda", "ListFunctions").Calls; got != int64(calls) {
				t.Fatalf("%d ListFunctions calls, want ceil(%d/50) = %d", got, n, calls)
			}
			if len(pages) != calls || len(fns) != n {
				t.Fatalf("%d pages, %d functions; want %d, %d", len(pages), len(fns), calls, n)
			}
			for i, p := range pages {
				if p > 50 || (i < len(pages)-1 && p != 50) {
					t.Fatalf("page sizes %v", pages)
				}
			}
			want := env.Fleet.Accounts[0].Region("us-east-1").Functions
			for i, f := range fns {
				if f.Name != want[i].Name {
					t.Fatalf("function %d = %s, want %s", i, f.Name, want[i].Name)
				}
			}
		})
	}
}

func TestInventoryAccountSettingsAndTags(t *testing.T) {
	var offset atomic.Int64
	env := invStart(t, invSpec, &offset)
	s := invSessions(t, env.Config, invAllTargets)
	ctx := context.Background()
	inv := invPair(t, s, scanner.Pair{Account: invMgmt, Region: "us-east-1"})
	set, err := inv.AccountSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if *set != (scanner.AccountSettings{ConcurrencyLimit: 1500, UnreservedConcurrencyLimit: 1400}) {
		t.Fatalf("settings = %+v, want the spec's 1500, 100 of it reserved", *set)
	}
	tags, err := inv.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"arn:aws:lambda:us-east-1:111111111111:function:api":    {"team": "checkout", "env": "prod"},
		"arn:aws:lambda:us-east-1:111111111111:function:worker": {"team": "ops"},
	}
	if !maps.EqualFunc(tags, want, maps.Equal) {
		t.Fatalf("tags = %v, want %v (untagged functions absent)", tags, want)
	}
}

// TestInventoryTagsInBulk: the tags of 1,000 functions take 10
// GetResources calls and not a single ListTags.
func TestInventoryTagsInBulk(t *testing.T) {
	var offset atomic.Int64
	env := invStart(t, "seed: 5\ngenerate:\n  functions: 1000\n", &offset)
	s := invSessions(t, env.Config, scanner.Targets{})
	tags, err := invPair(t, s, scanner.Pair{Account: "123456789012", Region: "us-east-1"}).Tags(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	acct := env.Server.Accounting()
	if len(tags) != 1000 || acct.API("tagging", "GetResources").Calls != 10 || acct.API("lambda", "ListTags").Calls != 0 {
		t.Fatalf("%d functions' tags in %d GetResources and %d ListTags calls; want 1000 in 10 and 0", len(tags), acct.API("tagging", "GetResources").Calls, acct.API("lambda", "ListTags").Calls)
	}
	for _, fn := range env.Fleet.Accounts[0].Regions[0].Functions {
		if !maps.Equal(tags[fn.ARN], fn.Tags) {
			t.Fatalf("%s: tags %v, want %v", fn.Name, tags[fn.ARN], fn.Tags)
		}
	}
}

func TestInventoryProvisionedConcurrency(t *testing.T) {
	ctx := context.Background()
	p := scanner.Pair{Account: invMgmt, Region: "us-east-1"}
	t.Run("only the functions asked, one call each", func(t *testing.T) {
		var offset atomic.Int64
		env := invStart(t, invSpec, &offset)
		s := invSessions(t, env.Config, scanner.Targets{})
		got, err := invPair(t, s, p).ProvisionedConcurrency(ctx, []string{"api", "worker", "ghost"})
		if want := map[string]int{"api": 5, "worker": 0}; !maps.Equal(got, want) {
			t.Fatalf("allocated = %v, want %v", got, want)
		}
		invTargetErr(t, err, err, invMgmt, "us-east-1") // ghost: not found, no kind
		if !strings.Contains(err.Error(), "lambda:ListProvisionedConcurrencyConfigs ghost") || !strings.Contains(err.Error(), "ResourceNotFoundException") {
			t.Fatalf("err = %v", err)
		}
		if n := env.Server.Accounting().API("lambda", "ListProvisionedConcurrencyConfigs").Calls; n != 3 {
			t.Fatalf("%d calls, want 3", n)
		}
	})
	t.Run("access denied stops at the first", func(t *testing.T) {
		var offset atomic.Int64
		env := invStart(t, invSpec, &offset, sim.WithFaults(sim.Fault{Service: "lambda", API: "ListProvisionedConcurrencyConfigs", AccessDenied: true}))
		s := invSessions(t, env.Config, scanner.Targets{})
		got, err := invPair(t, s, p).ProvisionedConcurrency(ctx, []string{"api", "worker", "image-fn"})
		if len(got) != 0 || !errors.Is(err, scanner.ErrAccessDenied) || !strings.Contains(err.Error(), "2 more functions not asked") {
			t.Fatalf("got %v, err = %v", got, err)
		}
		if n := env.Server.Accounting().API("lambda", "ListProvisionedConcurrencyConfigs").Calls; n != 1 {
			t.Fatalf("%d calls, want 1", n)
		}
	})
}

// TestInventoryPairFailures: a pair that cannot be listed fails alone,
// with a reason, while the others are listed.
func TestInventoryPairFailures(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		faults  []sim.Fault
		regions []string
		retries int
		bad     scanner.Pair
		kind    error
		code    string
	}{
		{name: "access denied in one account", faults: []sim.Fault{{Service: "lambda", Account: invOther, Region: "us-east-1", AccessDenied: true}},
			bad: scanner.Pair{Account: invOther, Region: "us-east-1"}, kind: scanner.ErrAccessDenied, code: "AccessDeniedException"},
		{name: "a region the account has not enabled", regions: []string{"us-east-1", "ap-east-1"},
			bad: scanner.Pair{Account: invStaging, Region: "ap-east-1"}, kind: scanner.ErrRegionDisabled, code: "UnrecognizedClientException"},
		{name: "a region disabled by a fault", faults: []sim.Fault{{Account: invStaging, Region: "eu-west-1", DisableRegion: true}},
			bad: scanner.Pair{Account: invStaging, Region: "eu-west-1"}, kind: scanner.ErrRegionDisabled, code: "UnrecognizedClientException"},
		{name: "throttled past retries", retries: 3, faults: []sim.Fault{{Service: "lambda", API: "ListFunctions", Account: invMgmt, Region: "eu-west-1", ThrottlePct: 100}},
			bad: scanner.Pair{Account: invMgmt, Region: "eu-west-1"}, kind: scanner.ErrThrottled, code: "TooManyRequestsException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var offset atomic.Int64
			env := invStart(t, invSpec, &offset, sim.WithFaults(tc.faults...))
			cfg := env.Config
			if tc.retries > 0 {
				cfg = invFastRetries(cfg, tc.retries)
			}
			tg := invAllTargets
			if tc.regions != nil {
				tg.Regions = tc.regions
			}
			s := invSessions(t, cfg, tg)
			if failed, err := s.Preflight(ctx); err != nil || len(failed) > 0 {
				t.Fatalf("Preflight = %v, %v", failed, err)
			}
			pairs, _ := s.Pairs(ctx)
			listed := 0
			for _, p := range pairs {
				var n int
				err := invPair(t, s, p).ListFunctionConfigs(ctx, func(page []scanner.FunctionConfig) error { n += len(page); return nil })
				if p != tc.bad {
					if err != nil {
						t.Fatalf("%v failed too: %v", p, err)
					}
					listed += n
					continue
				}
				te := invTargetErr(t, err, tc.kind, p.Account, p.Region)
				if te.Op != "lambda:ListFunctions (after 0 functions)" || !strings.Contains(err.Error(), tc.code) {
					t.Fatalf("err = %v", err)
				}
				t.Log(err)
			}
			if listed == 0 {
				t.Fatal("no other pair was listed")
			}
			if tc.retries > 0 {
				if c := env.Server.Accounting().API("lambda", "ListFunctions"); c.Throttled != int64(tc.retries) {
					t.Fatalf("%d throttled attempts, want %d (the SDK retried first)", c.Throttled, tc.retries)
				}
			}
		})
	}
}

func TestTargetErrorReason(t *testing.T) {
	ctx := context.Background()
	var offset atomic.Int64
	env := invStart(t, invSpec, &offset, sim.WithFaults(sim.Fault{Service: "lambda", Account: invOther, AccessDenied: true}))
	s := invSessions(t, env.Config, scanner.Targets{Accounts: []string{"all"}, Role: invRole, ExternalID: "wrong-id"})
	failed, err := s.Preflight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	listErr := func(p scanner.Pair) error {
		return invPair(t, s, p).ListFunctionConfigs(ctx, func([]scanner.FunctionConfig) error { return nil })
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"assume role refused", failed[scanner.Pair{Account: invStaging, Region: "us-east-1"}],
			"sts:AssumeRole arn:aws:iam::222222222222:role/LambdauditReadOnly (session lambdaudit, with the external ID): access denied: AccessDenied: User: arn:aws:iam::111111111111:user/lambdaudit is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/LambdauditReadOnly"},
		{"listing refused", listErr(scanner.Pair{Account: invOther, Region: "us-east-1"}),
			"lambda:ListFunctions (after 0 functions): access denied: AccessDeniedException: User: arn:aws:sts::333333333333:assumed-role/LambdauditReadOnly/lambdaudit is not authorized to perform: lambda:ListFunctions because no identity-based policy allows the lambda:ListFunctions action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var te *scanner.TargetError
			if !errors.As(tc.err, &te) {
				t.Fatalf("err = %v", tc.err)
			}
			if got := te.Reason(); got != tc.want {
				t.Fatalf("Reason =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
