// Package store owns lambdaudit's persisted scan state: manifests, unit
// outcomes, history, finding states and the report claim, kept as opaque
// documents under slash-separated keys ("scans/2026-11-21/manifest.json").
//
// A Store offers four operations: Get, Put (overwrite, atomic), Create
// (create-if-absent: the claim that lets exactly one of several workers go
// on) and List (keys under a prefix, in lexical byte order). There are
// three implementations, one per host:
//
//   - Memory, for one process (tests, the CLI and the demo when nothing
//     must outlive the run);
//   - Dir, a local directory (the CLI's state between daily runs);
//   - S3, a bucket and prefix, for the Lambda deployment, where Create is a
//     conditional PutObject (If-None-Match: *).
//
// Every implementation passes the same conformance tests (store_test.go),
// the S3 one against moto_server. moto 5.2.1 honours If-None-Match: * on
// PutObject: it answers 412 PreconditionFailed when the key exists, and
// the tests check that against it. Its check and its write are two steps
// with no lock between them (moto/s3/responses.py, put_object), so the
// exactly-one-winner guarantee of concurrent Creates is AWS's and is not
// asserted against moto (in 130 rounds of 8 concurrent Creates, exactly
// one won every time, but nothing in moto promises it). S3's 409
// ConditionalRequestConflict, which moto never sends, and the 404 and 412
// mappings are tested against an HTTP server speaking S3's XML errors.
//
// The store must not interpret what it stores: it never parses, merges or
// validates a document, and it knows nothing of scans, units or findings
// beyond the keys its callers choose. Keys are validated (CheckKey) so that
// every implementation accepts the same set and none escapes its root.
package store
