package fleet

import (
	"fmt"
	"hash/fnv"
	"sort"
	"sync"
	"time"
)

// Defaults used when a spec or a generator leaves them out.
const (
	DefaultAccount = "123456789012"
	DefaultRegion  = "us-east-1"
)

// Fleet is a built, immutable fleet. Every value it serves is derived on
// demand from (spec, seed), so two fleets built from the same spec and
// anchor serve the same bytes.
type Fleet struct {
	Seed int64
	// Days of complete history ending the day before Anchor.
	Days int
	// Anchor is 00:00 UTC of "today" when the fleet was built: day index
	// daysAgo = 1 is [Anchor-24h, Anchor).
	Anchor   time.Time
	Accounts []*Account
	byID     map[string]*Account
	// cache of built days, bounded.
	days dayCache
}

// Account is one AWS account.
type Account struct {
	ID               string
	Name             string
	ExternalID       string
	RoleName         string
	ConcurrencyLimit int
	Regions          []*Region
	byName           map[string]*Region
}

// Region is one region of one account.
type Region struct {
	Name     string
	Disabled bool
	// Anomaly is the generator's label for the account-region
	// ("concurrency-near-limit") or empty.
	Anomaly   string
	Account   *Account
	Functions []*Function
	byName    map[string]*Function
	byLog     map[string]*Function
	concOver  *Series
	fleet     *Fleet

	aggMu sync.Mutex
	agg   map[int]*regionDay // daysAgo → aggregate
}

// Function is one Lambda function with its configuration.
type Function struct {
	FunctionSpec
	Region *Region
	// Index is the function's position in its region, stable for a spec.
	Index int
	ARN   string
	// Anomaly is the generator's label for the function (empty for
	// hand-written specs and healthy generated functions).
	Anomaly      string
	LastModified time.Time
	CodeSize     int64
	seed         uint64
	sizesOnce    sync.Once
	sizes        *eventSizes
}

// Build builds a fleet from a validated spec. now is the simulated clock's
// reading; the spec's own `now`, when set, wins.
func Build(s *Spec, now time.Time) (*Fleet, error) {
	if s.Now != "" {
		t, err := time.Parse(time.RFC3339, s.Now)
		if err != nil {
			return nil, fmt.Errorf("now: %w", err)
		}
		now = t
	}
	f := &Fleet{Seed: s.Seed, Days: s.Days, Anchor: now.UTC().Truncate(24 * time.Hour), byID: map[string]*Account{}}
	f.days.init(8192)
	for _, as := range s.Accounts {
		a := f.account(as.ID)
		a.Name, a.ExternalID, a.RoleName, a.ConcurrencyLimit = as.Name, as.ExternalID, as.RoleName, as.ConcurrencyLimit
		for _, rs := range as.Regions {
			r := f.region(a, rs.Name)
			r.Disabled = rs.Disabled
			r.concOver = rs.ConcurrentExecutions
			for _, fs := range rs.Functions {
				if err := r.add(fs, ""); err != nil {
					return nil, err
				}
			}
		}
	}
	if s.Generate != nil {
		if err := generate(f, s); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *Fleet) account(id string) *Account {
	if a := f.byID[id]; a != nil {
		return a
	}
	a := &Account{ID: id, RoleName: "lambdaudit-member", ConcurrencyLimit: 1000, byName: map[string]*Region{}}
	f.byID[id] = a
	f.Accounts = append(f.Accounts, a)
	return a
}

func (f *Fleet) region(a *Account, name string) *Region {
	if r := a.byName[name]; r != nil {
		return r
	}
	r := &Region{Name: name, Account: a, byName: map[string]*Function{}, byLog: map[string]*Function{}, fleet: f}
	a.byName[name] = r
	a.Regions = append(a.Regions, r)
	return r
}

func (r *Region) add(fs FunctionSpec, anomaly string) error {
	if r.byName[fs.Name] != nil {
		return fmt.Errorf("%s/%s: duplicate function %s", r.Account.ID, r.Name, fs.Name)
	}
	fn := &Function{FunctionSpec: fs, Region: r, Index: len(r.Functions), Anomaly: anomaly}
	fn.ARN = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", r.Name, r.Account.ID, fs.Name)
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%s/%s", r.fleet.Seed, r.Account.ID, r.Name, fs.Name)
	fn.seed = h.Sum64()
	fn.LastModified = r.fleet.Anchor.Add(-time.Duration(fs.CreatedDaysAgo)*24*time.Hour + time.Duration(fn.seed%86400)*time.Second)
	if fs.MemoryChange != nil {
		fn.LastModified = r.fleet.Anchor.Add(-time.Duration(fs.MemoryChange.DaysAgo)*24*time.Hour + time.Duration(fn.seed%3600)*time.Second)
	}
	fn.CodeSize = int64(1024 + fn.seed%(20<<20))
	r.Functions = append(r.Functions, fn)
	r.byName[fs.Name] = fn
	r.byLog[fs.LogGroup] = fn
	return nil
}

// Account returns the account with this ID, or nil.
func (f *Fleet) Account(id string) *Account { return f.byID[id] }

// Region returns the account's region, or nil.
func (a *Account) Region(name string) *Region {
	if a == nil {
		return nil
	}
	return a.byName[name]
}

// Function returns the region's function by name or ARN, or nil.
func (r *Region) Function(nameOrARN string) *Function {
	if r == nil {
		return nil
	}
	if fn := r.byName[nameOrARN]; fn != nil {
		return fn
	}
	for _, p := range []string{"arn:aws:lambda:" + r.Name + ":" + r.Account.ID + ":function:", r.Account.ID + ":function:"} {
		if len(nameOrARN) > len(p) && nameOrARN[:len(p)] == p {
			name := nameOrARN[len(p):]
			for i := 0; i < len(name); i++ {
				if name[i] == ':' { // qualified ARN
					name = name[:i]
					break
				}
			}
			return r.byName[name]
		}
	}
	return nil
}

// LogGroup returns the function that writes to the log group, or nil.
func (r *Region) LogGroup(name string) *Function {
	if r == nil {
		return nil
	}
	return r.byLog[name]
}

// LogGroupNames returns the region's log group names, sorted.
func (r *Region) LogGroupNames() []string {
	out := make([]string, 0, len(r.byLog))
	for n := range r.byLog {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// MemoryAt returns the configured memory daysAgo days ago.
func (fn *Function) MemoryAt(daysAgo int) int {
	if mc := fn.MemoryChange; mc != nil && daysAgo > mc.DaysAgo {
		return mc.FromMB
	}
	return fn.MemoryMB
}

// Created is the start of the function's first day of data.
func (fn *Function) Created() time.Time {
	return fn.Region.fleet.Anchor.Add(-time.Duration(fn.CreatedDaysAgo) * 24 * time.Hour)
}

// Qualifier of the provisioned concurrency config.
const PCAlias = "live"

// NumFunctions counts the fleet's functions.
func (f *Fleet) NumFunctions() int {
	n := 0
	for _, a := range f.Accounts {
		for _, r := range a.Regions {
			n += len(r.Functions)
		}
	}
	return n
}
