// Package scanner owns lambdaudit's inventory — accounts × regions →
// functions and account settings — and the scan run that drives the
// stages (inventory, metrics, logs) and writes the scan result.
//
// # Targets and sessions
//
// Targets name the regions (a list, or All: every region enabled for the
// caller's account, from ec2 DescribeRegions; default the configured
// region) and the accounts (a list of IDs, or All: every ACTIVE account of
// the organization, from Organizations ListAccounts; default the caller's
// own account), and how to enter them: a role name or an ARN template
// with {account}, an external ID and a session name. Validate checks them
// without calling AWS; Resolve turns them into a Scope — asking STS who
// the caller is, so bad base credentials or an unreachable endpoint stop
// the scan before it starts, and refusing region names DescribeRegions
// does not know. The caller's own account is scanned with the base
// credentials.
//
// Sessions give each account × region an aws.Config: assumed-role
// credentials (stscreds.AssumeRoleProvider inside an aws.CredentialsCache
// that refreshes them ExpiryWindow before they expire) shared by the
// account's regions, and per pair the middleware a caller adds
// (WithAPIOptions, e.g. a rate limiter per account × region). Preflight
// checks every account before scanning: the base credentials failing is
// fatal, a member account failing (AccessDenied on AssumeRole, a wrong
// external ID, expired credentials) fails only that account's pairs, with
// a *TargetError naming the account and the call.
//
// # Inventory
//
// An Inventory reads one pair: ListFunctions fully paginated (50 a page,
// $LATEST only: see ListFunctionConfigs), page by page so the metrics
// stage can start behind it; GetAccountSettings for the concurrency
// limits; tags in bulk through the Resource Groups Tagging API
// (GetResources, 100 functions a call) rather than ListTags per function;
// and ListProvisionedConcurrencyConfigs only for the functions the caller
// names. Its errors are *TargetErrors wrapping a reason a report can show
// and a program can test with errors.Is: ErrAccessDenied,
// ErrRegionDisabled (how AWS answers in an opt-in region the account has
// not enabled), ErrThrottled (past the SDK's retries),
// ErrExpiredCredentials, ErrInvalidCredentials, ErrUnreachable.
//
// The consumer interfaces (LambdaAPI, TaggingAPI, CallerIdentityAPI,
// DescribeRegionsAPI, ListAccountsAPI) have the SDK clients' exact method
// signatures, so the SDK's paginators accept them and tests can use the
// real clients against the simulated account (package sim).
package scanner
