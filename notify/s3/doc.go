// Package s3 uploads the reports (report.csv, summary.csv, report.json)
// to <prefix>/<report day>/ in a bucket and returns presigned GET links
// to them, the link the Slack digest carries (Uploader, Config,
// ParseURL). It takes the SDK's clients as interfaces (PutAPI,
// PresignAPI) and builds no AWS config itself.
package s3
