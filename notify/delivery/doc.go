// Package delivery runs one delivery of a scan (Deliver): it writes the
// outputs into the output directory first (scan.json, report.json,
// report.csv, summary.csv, slack.json, opsgenie.json), uploads them to
// S3 when set, then sends the Slack digest and the Opsgenie alerts, each
// channel bounded by its own deadline. A failed channel is recorded in
// the Result and does not stop the others; Deliver logs none of them,
// the caller reports them once.
//
// It is the one place that wires the channels together (the CLI and the
// demo call it); the channels do not import it, nor each other.
package delivery
