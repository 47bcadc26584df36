package scanner

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// All, as the only region, means every region enabled for the caller's
// account (ec2 DescribeRegions); as the only account, every ACTIVE account
// of the caller's organization (Organizations ListAccounts).
const All = "all"

// DefaultSessionName is the role session name when Targets leaves it
// empty; it shows in the member accounts' CloudTrail.
const DefaultSessionName = "lambdaudit"

// Role session limits (sts AssumeRole): at least 15 minutes, at most 12
// hours and never more than the role's MaxSessionDuration (1 hour unless
// raised), hence the default.
const (
	DefaultRoleDuration = time.Hour
	minRoleDuration     = 15 * time.Minute
	maxRoleDuration     = 12 * time.Hour
)

// Targets says which accounts and regions a scan covers and how to enter
// them. The zero value scans the caller's own account in the configured
// region with the base credentials.
type Targets struct {
	// Regions to scan: region names, or just All. Empty: the region of
	// the SDK configuration.
	Regions []string
	// Accounts to scan: 12-digit account IDs, or just All. Empty: the
	// caller's own account (sts GetCallerIdentity).
	Accounts []string
	// Role enters every account other than the caller's: a role name
	// ("LambdauditReadOnly", or with a path, "ops/LambdauditReadOnly")
	// becomes arn:<partition>:iam::<account>:role/<name>, the partition
	// taken from the region; or an ARN template with the placeholder
	// {account} ("arn:aws:iam::{account}:role/LambdauditReadOnly").
	Role string
	// ExternalID is passed to sts:AssumeRole when set.
	ExternalID string
	// SessionName is the role session name (default DefaultSessionName).
	SessionName string
	// RoleDuration is the assumed-role session length (default
	// DefaultRoleDuration; 15 minutes to 12 hours).
	RoleDuration time.Duration
	// RoleInOwnAccount enters the caller's own account through Role too;
	// by default it is scanned with the base credentials, since the
	// caller is already there (and an organization's management account
	// often has no member role).
	RoleInOwnAccount bool
}

// InputError is a target the scan cannot use, naming the input.
type InputError struct {
	// Input is "regions", "accounts", "role", "externalId", "sessionName"
	// or "roleDuration".
	Input  string
	Value  string
	Reason string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("targets: %s %q: %s", e.Input, e.Value, e.Reason)
}

var (
	// regionRe is the shape of every AWS region name (aws, aws-cn,
	// aws-us-gov and the isolated partitions).
	regionRe      = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	accountRe     = regexp.MustCompile(`^\d{12}$`)
	roleNameRe    = regexp.MustCompile(`^(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	roleARNRe     = regexp.MustCompile(`^arn:aws(?:-[a-z]+)*:iam::\d{12}:role/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,64}$`)
	placeholderRe = regexp.MustCompile(`\{[^{}]*\}`)
	externalIDRe  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// accountPlaceholder is what an ARN template's account goes into.
const accountPlaceholder = "{account}"

// Validate checks the targets without calling AWS; every problem is an
// *InputError naming the input (errors.Join of them all).
func (t Targets) Validate() error {
	var errs []error
	bad := func(input, value, format string, args ...any) {
		errs = append(errs, &InputError{Input: input, Value: value, Reason: fmt.Sprintf(format, args...)})
	}
	for _, r := range t.Regions {
		switch {
		case r == All && len(t.Regions) > 1:
			bad("regions", r, "%q stands alone: it means every enabled region", All)
		case r != All && !regionRe.MatchString(r):
			bad("regions", r, "not a region name (like us-east-1)")
		}
	}
	for _, a := range t.Accounts {
		switch {
		case a == All && len(t.Accounts) > 1:
			bad("accounts", a, "%q stands alone: it means every account of the organization", All)
		case a != All && !accountRe.MatchString(a):
			bad("accounts", a, "not an account ID (12 digits)")
		}
	}
	if err := validateRole(t.Role); err != nil {
		errs = append(errs, err)
	}
	if id := t.ExternalID; id != "" && (len(id) < 2 || len(id) > 1224 || !externalIDRe.MatchString(id)) {
		bad("externalId", t.ExternalID, "must be 2 to 1224 letters, digits or +=,.@:/-")
	}
	if t.SessionName != "" && !sessionNameRe.MatchString(t.SessionName) {
		bad("sessionName", t.SessionName, "must be 2 to 64 letters, digits or +=,.@-")
	}
	if d := t.RoleDuration; d != 0 && (d < minRoleDuration || d > maxRoleDuration) {
		bad("roleDuration", d.String(), "must be between %v and %v", minRoleDuration, maxRoleDuration)
	}
	return errors.Join(errs...)
}

func validateRole(role string) error {
	bad := func(format string, args ...any) error {
		return &InputError{Input: "role", Value: role, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case role == "":
		return nil
	case strings.HasPrefix(role, "arn:") || strings.ContainsAny(role, "{}:"):
		if !strings.Contains(role, accountPlaceholder) {
			return bad("an ARN template must contain %s (where each account's ID goes)", accountPlaceholder)
		}
		for _, p := range placeholderRe.FindAllString(role, -1) {
			if p != accountPlaceholder {
				return bad("unknown placeholder %s (the only one is %s)", p, accountPlaceholder)
			}
		}
		if arn := strings.ReplaceAll(role, accountPlaceholder, "123456789012"); !roleARNRe.MatchString(arn) {
			return bad("malformed role ARN template: want arn:<partition>:iam::%s:role/<name>", accountPlaceholder)
		}
	case !roleNameRe.MatchString(role):
		return bad("not a role name (1 to 64 letters, digits or +=,.@-, optionally after a path) nor an ARN template with %s", accountPlaceholder)
	}
	return nil
}

// Partition is the AWS partition of a region: aws, aws-cn, aws-us-gov,
// or one of the isolated partitions.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-isof-"), strings.HasPrefix(region, "eu-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// RoleARN is the role to assume in an account: the role name expanded
// with the region's partition, or the template with the account filled in.
func (t Targets) RoleARN(account, region string) string {
	if strings.Contains(t.Role, accountPlaceholder) {
		return strings.ReplaceAll(t.Role, accountPlaceholder, account)
	}
	return "arn:" + Partition(region) + ":iam::" + account + ":role/" + t.Role
}

// Pair is one account × region of a scan.
type Pair struct {
	Account string `json:"account"`
	Region  string `json:"region"`
}

func (p Pair) String() string { return p.Account + "/" + p.Region }

// Account is one account a scan enters.
type Account struct {
	ID string `json:"id"`
	// Name is the organization's name for it (empty for listed accounts).
	Name string `json:"name,omitempty"`
	// RoleARN is the role assumed to enter it; empty: the base
	// credentials (the caller's own account).
	RoleARN string `json:"roleArn,omitempty"`
	// State is the organization's state of the account (ACTIVE,
	// SUSPENDED, PENDING_CLOSURE, …); empty for listed accounts.
	State string `json:"state,omitempty"`
}

// Scope is a scan's resolved targets.
type Scope struct {
	// Caller is the base credentials' identity.
	Caller Caller `json:"caller"`
	// Accounts in ID order, Regions in name order.
	Accounts []Account `json:"accounts"`
	Regions  []string  `json:"regions"`
	// SkippedAccounts are the organization's accounts that are not
	// ACTIVE, with their state; they are not scanned.
	SkippedAccounts []Account `json:"skippedAccounts,omitempty"`
}

// Caller is who the base credentials are.
type Caller struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
}

// Pairs is every account × region, accounts first.
func (s *Scope) Pairs() []Pair {
	out := make([]Pair, 0, len(s.Accounts)*len(s.Regions))
	for _, a := range s.Accounts {
		for _, r := range s.Regions {
			out = append(out, Pair{Account: a.ID, Region: r})
		}
	}
	return out
}

// Account returns the scope's account with this ID.
func (s *Scope) Account(id string) (Account, bool) {
	i := slices.IndexFunc(s.Accounts, func(a Account) bool { return a.ID == id })
	if i < 0 {
		return Account{}, false
	}
	return s.Accounts[i], true
}

// Consumer interfaces of target resolution, with the SDK's signatures.
type (
	// CallerIdentityAPI is sts GetCallerIdentity.
	CallerIdentityAPI interface {
		GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	}
	// DescribeRegionsAPI is ec2 DescribeRegions.
	DescribeRegionsAPI interface {
		DescribeRegions(ctx context.Context, in *ec2.DescribeRegionsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
	}
	// ListAccountsAPI is organizations ListAccounts (the SDK's
	// organizations.ListAccountsAPIClient).
	ListAccountsAPI interface {
		ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	}
)

// Discovery is what resolving targets calls, with the base credentials.
type Discovery struct {
	STS           CallerIdentityAPI
	EC2           DescribeRegionsAPI
	Organizations ListAccountsAPI
}

// NewDiscovery builds the discovery clients from the base configuration;
// EC2 answers in region (DescribeRegions describes the partition's
// regions from any of them).
func NewDiscovery(base aws.Config, region string) Discovery {
	return Discovery{
		STS:           sts.NewFromConfig(base, func(o *sts.Options) { o.Region = region }),
		EC2:           ec2.NewFromConfig(base, func(o *ec2.Options) { o.Region = region }),
		Organizations: organizations.NewFromConfig(base),
	}
}

// Resolve turns validated targets into a scope: who the caller is
// (GetCallerIdentity: failing here means the base credentials or the
// endpoint do not work, and nothing can be scanned), the regions
// (defaultRegion when none are given; DescribeRegions for All, and to
// refuse region names AWS does not know), and the accounts (Organizations
// ListAccounts for All, ACTIVE ones only) with the role to enter each.
func Resolve(ctx context.Context, t Targets, defaultRegion string, d Discovery) (*Scope, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	id, err := d.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("base credentials: sts:GetCallerIdentity: %w", describe(err, false))
	}
	s := &Scope{Caller: Caller{Account: aws.ToString(id.Account), ARN: aws.ToString(id.Arn)}}
	if s.Regions, err = resolveRegions(ctx, t.Regions, defaultRegion, d.EC2); err != nil {
		return nil, err
	}
	ids := t.Accounts
	org := map[string]Account{}
	switch {
	case len(ids) == 0:
		ids = []string{s.Caller.Account}
	case len(ids) == 1 && ids[0] == All:
		if ids, err = s.listOrganization(ctx, d.Organizations, org); err != nil {
			return nil, err
		}
	}
	home := s.Regions[0]
	if defaultRegion != "" {
		home = defaultRegion
	}
	seen := map[string]bool{}
	for _, a := range ids {
		if seen[a] {
			continue
		}
		seen[a] = true
		acc := org[a]
		acc.ID = a
		switch {
		case a == s.Caller.Account && (!t.RoleInOwnAccount || t.Role == ""):
		case t.Role == "":
			return nil, &InputError{Input: "role", Value: "", Reason: fmt.Sprintf("account %s is not the caller's account (%s): a role name or ARN template is needed to enter it", a, s.Caller.Account)}
		default:
			acc.RoleARN = t.RoleARN(a, home)
		}
		s.Accounts = append(s.Accounts, acc)
	}
	sort.Slice(s.Accounts, func(i, j int) bool { return s.Accounts[i].ID < s.Accounts[j].ID })
	return s, nil
}

// resolveRegions expands and checks the regions.
func resolveRegions(ctx context.Context, regions []string, defaultRegion string, api DescribeRegionsAPI) ([]string, error) {
	if len(regions) == 0 {
		if defaultRegion == "" {
			return nil, &InputError{Input: "regions", Reason: "none given and no region configured (set AWS_REGION or pass regions)"}
		}
		if !regionRe.MatchString(defaultRegion) {
			return nil, &InputError{Input: "regions", Value: defaultRegion, Reason: "the configured region is not a region name (like us-east-1)"}
		}
		regions = []string{defaultRegion}
	}
	all := len(regions) == 1 && regions[0] == All
	out, err := api.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(!all)})
	switch {
	case err != nil && all:
		return nil, fmt.Errorf("regions %q: ec2:DescribeRegions: %w", All, describe(err, false))
	case err != nil:
		// Without DescribeRegions the names were checked by shape only; a
		// region AWS does not know fails its pairs when they are scanned.
		return dedupe(regions), nil
	case all:
		var names []string
		for _, r := range out.Regions {
			if st := aws.ToString(r.OptInStatus); st == "" || st == "opt-in-not-required" || st == "opted-in" {
				names = append(names, aws.ToString(r.RegionName))
			}
		}
		if len(names) == 0 {
			return nil, &InputError{Input: "regions", Value: All, Reason: "ec2:DescribeRegions lists no enabled region"}
		}
		return dedupe(names), nil
	}
	known := map[string]bool{}
	for _, r := range out.Regions {
		known[aws.ToString(r.RegionName)] = true
	}
	for _, r := range regions {
		if !known[r] {
			return nil, &InputError{Input: "regions", Value: r, Reason: "unknown region: ec2:DescribeRegions does not list it"}
		}
	}
	return dedupe(regions), nil
}

func dedupe(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// listOrganization lists the organization's ACTIVE accounts; the others
// go to SkippedAccounts. State is preferred; Status (retired by AWS in
// September 2026) when State is absent.
func (s *Scope) listOrganization(ctx context.Context, api ListAccountsAPI, org map[string]Account) ([]string, error) {
	var ids []string
	p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			var notInUse *orgtypes.AWSOrganizationsNotInUseException
			if errors.As(err, &notInUse) {
				return nil, &InputError{Input: "accounts", Value: All, Reason: fmt.Sprintf("account %s is not in an organization: list the account IDs instead", s.Caller.Account)}
			}
			return nil, fmt.Errorf("accounts %q: organizations:ListAccounts (needs the management or a delegated administrator account): %w", All, describe(err, false))
		}
		for _, a := range out.Accounts {
			id := aws.ToString(a.Id)
			state := string(a.State)
			if state == "" {
				state = string(a.Status)
			}
			acc := Account{ID: id, Name: aws.ToString(a.Name), State: state}
			if state != string(orgtypes.AccountStateActive) {
				s.SkippedAccounts = append(s.SkippedAccounts, acc)
				continue
			}
			org[id] = acc
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, &InputError{Input: "accounts", Value: All, Reason: "organizations:ListAccounts lists no ACTIVE account"}
	}
	return ids, nil
}
