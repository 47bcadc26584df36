// Package notify holds what lambdaudit's delivery channels share, after
// Alertmanager's notify package: the Retrier and its (retry bool, err)
// contract, the most one HTTP attempt may take (DefaultAttemptTimeout)
// and the per-channel delivery deadline, the cleaning of AWS text before
// any rendering (Clean, Truncate) and the plain-http-on-loopback rule.
//
// The channels and renderings are its sub-packages, each importing it:
// slack (the digest in Block Kit, webhook or bot), opsgenie (alerts with
// deduplication and auto-close), s3 (report uploads and presigned
// links), csv and text (the CSV cost report and the terminal digest),
// digest (the report made ready to render, shared by slack and text) and
// delivery, which wires them for the CLI and the demo. notify imports
// none of them. They render and send what package insights decided; they
// compute no insight themselves.
package notify
