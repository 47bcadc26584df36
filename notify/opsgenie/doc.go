// Package opsgenie turns a report's insights into Opsgenie (or Jira
// Service Management Operations) alerts: AlertPlan decides which alerts
// to open, keep and close, deduplicated by alias and capped per run;
// Client sends them with notify.Retrier and keeps the open-alert set in
// a StateStore (a store.Store) between runs, so a problem that is gone
// closes its alert and one out of scan coverage does not. Its Config is
// read from OPSGENIE_*; without a key it is a dry run (opsgenie.json).
//
// The API key never appears in a log, an error or a file.
package opsgenie
