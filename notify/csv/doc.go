// Package csv writes the CSV cost report of a scan: one row per function
// (WriteReport, ReportColumns) and the totals per account-region
// (WriteSummary, SummaryColumns), RFC 4180 with CRLF line ends, figures
// empty rather than 0 when they are missing, and AWS text cleaned and
// neutralised so a spreadsheet cannot run it as a formula. It renders
// only: uploading is package s3's, delivering package delivery's.
package csv
