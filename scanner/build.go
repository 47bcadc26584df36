package scanner

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambdaudit/lambdaudit/fanout"
)

// Option configures NewFromConfig. An option given a value it cannot use
// (a nil logger, meter, clock…) makes NewFromConfig fail with an error
// naming the option.
type Option func(*options) error

type options struct {
	logger   *slog.Logger
	progress *Progress
	clock    func() time.Time
	limiters *fanout.Limiters
	meter    *Meter
	targets  *Targets
	scope    *Scope
	adjust   []func(*Settings)
}

// WithScope scans a scope resolved before — a manifest's
// (Manifest.Scope) — instead of resolving the targets: no
// Organizations, EC2 or STS discovery call is made again. A deployed
// scan's workers are built with it.
func WithScope(sc *Scope) Option {
	return func(o *options) error {
		if sc == nil {
			return errors.New("scanner: WithScope: nil scope")
		}
		o.scope = sc
		return nil
	}
}

// WithLogger logs the scan's failures and progress events to l (default:
// nothing is logged).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("scanner: WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithProgress updates p as the scan goes, so a host made it before the
// scan (to show a progress line from start-up) can read it (default: a
// progress of the scanner's own).
func WithProgress(p *Progress) Option {
	return func(o *options) error {
		if p == nil {
			return errors.New("scanner: WithProgress: nil progress")
		}
		o.progress = p
		return nil
	}
}

// WithClock is the scanner's clock (default time.Now): the default
// window (the last complete day) and the result's timestamps are read
// from it.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("scanner: WithClock: nil clock")
		}
		o.clock = now
		return nil
	}
}

// WithLimiters paces every AWS call with ls instead of the config's
// limiters (Config.Limiters: AWS's default quotas with the config's
// overrides, at its rate fraction).
func WithLimiters(ls *fanout.Limiters) Option {
	return func(o *options) error {
		if ls == nil {
			return errors.New("scanner: WithLimiters: nil limiters")
		}
		o.limiters = ls
		return nil
	}
}

// WithMeter counts every AWS call with m (default: a new meter), so a
// host can read the calls while the scan runs (progress, cost).
func WithMeter(m *Meter) Option {
	return func(o *options) error {
		if m == nil {
			return errors.New("scanner: WithMeter: nil meter")
		}
		o.meter = m
		return nil
	}
}

// WithTargets scans t instead of the config's targets (Config.Targets);
// Targets has fields the config has no key for (RoleDuration,
// RoleInOwnAccount).
func WithTargets(t Targets) Option {
	return func(o *options) error {
		o.targets = &t
		return nil
	}
}

// WithSettings lets f adjust the settings derived from the config
// (Config.Settings at the clock's now) before the scanner takes them: to
// set what the config has no key for (Logs Insights poll intervals, the
// pool's retry delay), or to replace them wholesale as tests do. Several
// are applied in order.
func WithSettings(f func(*Settings)) Option {
	return func(o *options) error {
		if f == nil {
			return errors.New("scanner: WithSettings: nil function")
		}
		o.adjust = append(o.adjust, f)
		return nil
	}
}

// NewFromConfig builds a scanner from the caller's SDK configuration
// base (credentials, region, endpoint, retryer, HTTP client: see Retryer
// and BoundCalls) and c: c's settings at the clock's now, its rate
// limiters, a meter, and the sessions of c's targets with every client
// paced by the limiters and counted by the meter. Any of these can be
// replaced with an Option. An error names the config field that is out
// of range (*FieldError) or the option that is not usable.
//
// NewFromConfig makes no AWS call. Preflight (which does) is the host's
// choice: the CLI calls it so that bad credentials or an unreachable
// endpoint stop the command before any scanning; without it, Scan
// resolves the targets itself and reports a member account that fails
// in the result.
func NewFromConfig(base aws.Config, c Config, opts ...Option) (*Scanner, error) {
	o := options{clock: time.Now}
	for _, f := range opts {
		if err := f(&o); err != nil {
			return nil, err
		}
	}
	set, err := c.Settings(o.clock())
	if err != nil {
		return nil, err
	}
	for _, f := range o.adjust {
		f(&set)
	}
	ls := o.limiters
	if ls == nil {
		if ls, err = c.Limiters(); err != nil {
			return nil, err
		}
	}
	meter := o.meter
	if meter == nil {
		meter = NewMeter()
	}
	targets := c.Targets()
	if o.targets != nil {
		targets = *o.targets
	}
	sopts := []SessionOption{APIOptions(ls, meter)}
	if o.scope != nil {
		sopts = append(sopts, WithResolvedScope(o.scope))
	}
	sess, err := NewSessions(base, targets, sopts...)
	if err != nil {
		return nil, err
	}
	return newScanner(sess, meter, o.logger, o.progress, set, o.clock)
}

// Preflight resolves the scanner's targets and checks every account's
// credentials before any scanning (see Sessions.Preflight): it calls AWS
// (sts:GetCallerIdentity, AssumeRole, and the discovery calls of "all"
// accounts or regions). The error stops the scan (bad base credentials,
// an unreachable endpoint, targets that cannot be resolved); a member
// account that fails is in the map with its reason, and Scan reports its
// pairs as failed.
func (s *Scanner) Preflight(ctx context.Context) (map[Pair]error, error) {
	return s.sessions.Preflight(ctx)
}
