package store

import "time"

// SetConflictPauses replaces the waits between Create's retries after a
// 409, so tests need not wait.
func SetConflictPauses(s *S3, pauses ...time.Duration) { s.conflictPauses = pauses }
