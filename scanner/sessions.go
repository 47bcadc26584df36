package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/lambdaudit/lambdaudit/awserr"
)

// DefaultExpiryWindow is how long before its expiry an assumed role's
// credentials are refreshed, so no call is ever signed with credentials
// about to expire.
const DefaultExpiryWindow = 5 * time.Minute

// preflightWorkers bounds the accounts checked at once.
const preflightWorkers = 8

// Sessions gives each account × region of a scan its SDK configuration:
// the base credentials for the caller's own account, assumed-role
// credentials for the others — one credentials cache per account, shared
// by its regions and refreshed before expiry — and one aws.Config per
// pair. It is safe for concurrent use.
type Sessions struct {
	base    aws.Config
	targets Targets
	opts    sessionOptions
	// home is the region of STS and discovery calls.
	home string

	mu       sync.Mutex
	scope    *Scope
	assumer  *sts.Client
	accounts map[string]*accountSession
	configs  map[Pair]aws.Config
}

// accountSession is one account's credentials and whether they work.
type accountSession struct {
	acc   Account
	creds aws.CredentialsProvider

	mu      sync.Mutex
	checked bool
	err     error
}

type sessionOptions struct {
	apiOptions   func(account, region string) []func(*middleware.Stack) error
	expiryWindow time.Duration
	discovery    *Discovery
	scope        *Scope
}

// WithResolvedScope gives the sessions a scope resolved before (a manifest's),
// so they never resolve the targets again: a worker of a deployed scan
// enters the accounts the plan listed, without listing the organization.
func WithResolvedScope(sc *Scope) SessionOption {
	return func(o *sessionOptions) error {
		if sc == nil {
			return errors.New("sessions: WithResolvedScope: nil scope")
		}
		o.scope = sc
		return nil
	}
}

// SessionOption configures Sessions.
type SessionOption func(*sessionOptions) error

// WithAPIOptions adds middleware to every client of a pair (e.g. a rate
// limiter per account × region), and to the STS calls made for an
// account (AssumeRole: the caller's account; preflight: the account
// itself) in the STS region.
func WithAPIOptions(f func(account, region string) []func(*middleware.Stack) error) SessionOption {
	return func(o *sessionOptions) error {
		if f == nil {
			return errors.New("sessions: WithAPIOptions: nil function")
		}
		o.apiOptions = f
		return nil
	}
}

// WithExpiryWindow sets how long before expiry assumed credentials are
// refreshed (default DefaultExpiryWindow); it must be shorter than the
// role session.
func WithExpiryWindow(d time.Duration) SessionOption {
	return func(o *sessionOptions) error {
		if d < 0 {
			return fmt.Errorf("sessions: expiry window must not be negative, got %v", d)
		}
		o.expiryWindow = d
		return nil
	}
}

// WithDiscovery replaces the clients that resolve the targets (by default
// built from the base configuration).
func WithDiscovery(d Discovery) SessionOption {
	return func(o *sessionOptions) error {
		if d.STS == nil || d.EC2 == nil || d.Organizations == nil {
			return errors.New("sessions: WithDiscovery: every client is required")
		}
		o.discovery = &d
		return nil
	}
}

// NewSessions checks the targets and prepares the sessions; nothing is
// called until Scope, Pairs, Config or Preflight. base is the SDK
// configuration of the caller (default credential chain, region,
// endpoint, retries); its region, when set, is where STS and discovery
// calls go and what the targets default to.
func NewSessions(base aws.Config, t Targets, opts ...SessionOption) (*Sessions, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if base.Credentials == nil {
		return nil, errors.New("sessions: the base configuration has no credentials provider")
	}
	o := sessionOptions{expiryWindow: DefaultExpiryWindow}
	for _, f := range opts {
		if err := f(&o); err != nil {
			return nil, err
		}
	}
	if t.SessionName == "" {
		t.SessionName = DefaultSessionName
	}
	if t.RoleDuration == 0 {
		t.RoleDuration = DefaultRoleDuration
	}
	if o.expiryWindow >= t.RoleDuration {
		return nil, fmt.Errorf("sessions: expiry window %v must be shorter than the role session %v", o.expiryWindow, t.RoleDuration)
	}
	home := base.Region
	if home == "" {
		home = "us-east-1"
		if len(t.Regions) > 0 && t.Regions[0] != All {
			home = t.Regions[0]
		}
	}
	return &Sessions{base: base, targets: t, opts: o, home: home, accounts: map[string]*accountSession{}, configs: map[Pair]aws.Config{}}, nil
}

// Scope resolves the targets once (see Resolve); an error means nothing
// can be scanned: the base credentials or the endpoint do not work, or a
// target is wrong.
func (s *Sessions) Scope(ctx context.Context) (*Scope, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scope != nil {
		return s.scope, nil
	}
	scope := s.opts.scope
	if scope == nil {
		d := s.opts.discovery
		if d == nil {
			nd := NewDiscovery(s.base, s.home)
			d = &nd
		}
		var err error
		if scope, err = Resolve(ctx, s.targets, s.base.Region, *d); err != nil {
			return nil, err
		}
	}
	s.assumer = sts.NewFromConfig(s.base, func(o *sts.Options) {
		o.Region = s.home
		o.APIOptions = append(slices.Clip(o.APIOptions), s.hook(scope.Caller.Account, s.home)...)
	})
	for _, a := range scope.Accounts {
		as := &accountSession{acc: a, creds: s.base.Credentials}
		if a.RoleARN == "" {
			as.checked = true // the base credentials: Resolve just used them
		} else {
			as.creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(s.assumer, a.RoleARN, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = s.targets.SessionName
				o.Duration = s.targets.RoleDuration
				if s.targets.ExternalID != "" {
					o.ExternalID = aws.String(s.targets.ExternalID)
				}
			}), func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = s.opts.expiryWindow })
		}
		s.accounts[a.ID] = as
	}
	s.scope = scope
	return scope, nil
}

// Pairs is every account × region of the scan.
func (s *Sessions) Pairs(ctx context.Context) ([]Pair, error) {
	scope, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return scope.Pairs(), nil
}

// Config is the SDK configuration of one account × region. The first
// call for an account checks its credentials (see Preflight); a failed
// check is a *TargetError for every pair of the account.
func (s *Sessions) Config(ctx context.Context, p Pair) (aws.Config, error) {
	if _, err := s.Scope(ctx); err != nil {
		return aws.Config{}, err
	}
	if !regionRe.MatchString(p.Region) {
		return aws.Config{}, &InputError{Input: "regions", Value: p.Region, Reason: "not a region name (like us-east-1)"}
	}
	s.mu.Lock()
	as := s.accounts[p.Account]
	s.mu.Unlock()
	if as == nil {
		return aws.Config{}, &InputError{Input: "accounts", Value: p.Account, Reason: "not one of the scan's accounts"}
	}
	if err := s.check(ctx, as); err != nil {
		return aws.Config{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, ok := s.configs[p]
	if !ok {
		cfg = s.base.Copy()
		cfg.Region = p.Region
		cfg.Credentials = as.creds
		cfg.APIOptions = append(slices.Clone(s.base.APIOptions), s.hook(p.Account, p.Region)...)
		s.configs[p] = cfg
	}
	// Clipped, so a caller appending its own middleware never writes
	// into the cached slice another caller shares.
	cfg.APIOptions = slices.Clip(cfg.APIOptions)
	return cfg, nil
}

// Credentials is an account's credentials provider (the base one for the
// caller's own account, the account's assumed-role cache otherwise).
func (s *Sessions) Credentials(ctx context.Context, account string) (aws.CredentialsProvider, error) {
	if _, err := s.Scope(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	as := s.accounts[account]
	if as == nil {
		return nil, &InputError{Input: "accounts", Value: account, Reason: "not one of the scan's accounts"}
	}
	return as.creds, nil
}

// Preflight checks every account's credentials before any scanning: the
// base credentials (sts GetCallerIdentity, while resolving the targets;
// failing is fatal: the error names the endpoint when it cannot be
// reached), then, concurrently, each member account's role (AssumeRole,
// then GetCallerIdentity with the assumed credentials, which must land in
// that account). A member account that fails does not stop the others:
// its pairs are in the returned map with a *TargetError saying why
// (access denied, credentials expired or not valid, endpoint unreachable,
// throttled past retries). The result is kept: Config returns the same
// error for those pairs.
func (s *Sessions) Preflight(ctx context.Context) (map[Pair]error, error) {
	scope, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	list := make([]*accountSession, 0, len(s.accounts))
	for _, a := range scope.Accounts {
		list = append(list, s.accounts[a.ID])
	}
	s.mu.Unlock()
	errs := make([]error, len(list))
	sem := make(chan struct{}, preflightWorkers)
	var wg sync.WaitGroup
	for i, as := range list {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs[i] = s.check(ctx, as)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("preflight: %w", err)
	}
	failed := map[Pair]error{}
	for i, as := range list {
		if errs[i] == nil {
			continue
		}
		for _, r := range scope.Regions {
			failed[Pair{Account: as.acc.ID, Region: r}] = errs[i]
		}
	}
	return failed, nil
}

// check verifies an account's credentials once; a failure that is only
// the caller's ctx ending is not remembered.
func (s *Sessions) check(ctx context.Context, as *accountSession) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.checked {
		return as.err
	}
	err := s.verify(ctx, as)
	if err != nil && ctx.Err() != nil {
		return err
	}
	as.checked, as.err = true, err
	return err
}

func (s *Sessions) verify(ctx context.Context, as *accountSession) error {
	a := as.acc
	fail := func(op string, err error) error {
		return &TargetError{Account: a.ID, Op: op, Err: describe(err, false)}
	}
	assume := "sts:AssumeRole " + a.RoleARN + " (session " + s.targets.SessionName
	if s.targets.ExternalID != "" {
		assume += ", with the external ID"
	}
	assume += ")"
	if _, err := as.creds.Retrieve(ctx); err != nil {
		return fail(assume, err)
	}
	client := sts.NewFromConfig(s.base, func(o *sts.Options) {
		o.Region = s.home
		o.Credentials = as.creds
		o.APIOptions = append(slices.Clip(o.APIOptions), s.hook(a.ID, s.home)...)
	})
	id, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fail("sts:GetCallerIdentity with the credentials of "+a.RoleARN, err)
	}
	if got := aws.ToString(id.Account); got != a.ID {
		return &TargetError{Account: a.ID, Op: assume, Err: fmt.Errorf("%w: the role's credentials are of account %s (%s): check the role template", ErrInvalidCredentials, got, aws.ToString(id.Arn))}
	}
	return nil
}

func (s *Sessions) hook(account, region string) []func(*middleware.Stack) error {
	if s.opts.apiOptions == nil {
		return nil
	}
	return s.opts.apiOptions(account, region)
}

// CallTimeoutError is an AWS call that got no answer in time: each HTTP
// attempt timed out (PerAttempt), or the whole call outlived its
// deadline. It names the API and the endpoint.
type CallTimeoutError struct {
	API        string // e.g. cloudwatch:GetMetricData
	Endpoint   string // scheme://host of the last attempt, when one was sent
	After      time.Duration
	PerAttempt bool
	Err        error
}

func (e *CallTimeoutError) Error() string {
	s := e.API
	if e.Endpoint != "" {
		s += " at " + e.Endpoint
	}
	s += ": no answer within " + e.After.String()
	if e.PerAttempt {
		s += " (each attempt; --http-timeout)"
	} else {
		s += " (the call, retries included; --call-timeout)"
	}
	return s
}

func (e *CallTimeoutError) Unwrap() error { return e.Err }

type endpointKey struct{}

// BoundCalls bounds every AWS call made with cfg: each HTTP attempt gets
// httpTimeout (connection, request and the whole answer; 0 =
// DefaultHTTPTimeout) and each call, its retries included, callTimeout
// (0 = DefaultCallTimeout). A call that runs out fails with a
// *CallTimeoutError naming the API, the endpoint and the limit, so an
// endpoint that accepts connections and never answers fails within a
// stated time instead of hanging the scan. cfg's HTTP client is replaced.
func BoundCalls(cfg *aws.Config, httpTimeout, callTimeout time.Duration) {
	if httpTimeout <= 0 {
		httpTimeout = DefaultHTTPTimeout
	}
	if callTimeout <= 0 {
		callTimeout = DefaultCallTimeout
	}
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTimeout(httpTimeout)
	cfg.APIOptions = append(slices.Clip(cfg.APIOptions), func(st *middleware.Stack) error {
		if err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("lambdaudit.CallDeadline", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			parent := ctx
			ctx, cancel := context.WithTimeout(ctx, callTimeout)
			api := awserr.APIName(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
			var endpoint atomic.Pointer[string]
			ctx = middleware.WithStackValue(ctx, endpointKey{}, &endpoint)
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil && cancelOnBodyClose(out.Result, cancel) {
				// A streaming output (S3 GetObject's Body) is read after
				// the call returns: its deadline ends when the body is
				// closed, not now.
				return out, md, err
			}
			defer cancel()
			if err == nil || parent.Err() != nil {
				return out, md, err
			}
			te := &CallTimeoutError{API: api, Err: err}
			if e := endpoint.Load(); e != nil {
				te.Endpoint = *e
			}
			var ne net.Error
			switch {
			case ctx.Err() != nil:
				te.After = callTimeout
			case errors.As(err, &ne) && ne.Timeout():
				te.After, te.PerAttempt = httpTimeout, true
			default:
				return out, md, err
			}
			return out, md, te
		}), middleware.After); err != nil {
			return err
		}
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("lambdaudit.CallEndpoint", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if p, ok := middleware.GetStackValue(ctx, endpointKey{}).(*atomic.Pointer[string]); ok {
				if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil {
					e := req.URL.Scheme + "://" + req.URL.Host
					p.Store(&e)
				}
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	})
}

// cancelOnBodyClose makes closing result's streaming Body (an
// io.ReadCloser field, as S3 GetObject's) call cancel, and reports
// whether result has one.
func cancelOnBodyClose(result any, cancel context.CancelFunc) bool {
	v := reflect.ValueOf(result)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	f := v.Elem().FieldByName("Body")
	if !f.IsValid() || !f.CanSet() || f.Type() != reflect.TypeFor[io.ReadCloser]() || f.IsNil() {
		return false
	}
	f.Set(reflect.ValueOf(io.ReadCloser(&closeCancels{ReadCloser: f.Interface().(io.ReadCloser), cancel: cancel})))
	return true
}

// closeCancels is a body whose Close also ends its call's deadline.
type closeCancels struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *closeCancels) Close() error {
	defer c.cancel()
	return c.ReadCloser.Close()
}
