package notifytest

import "flag"

// The test flags of every notify package whose tests import notifytest
// (a flag may be defined once per test binary).
var (
	// Update rewrites the golden files under the testing package's
	// testdata/ from the current output: go test ./notify/slack -update.
	Update = flag.Bool("update", false, "rewrite the golden files under testdata/")
	// Rescan rebuilds the scan and report fixtures under this package's
	// testdata/ by scanning their fleets from the simulated account:
	// go test ./notify/internal/notifytest -rescan (then -update the
	// golden files of the packages whose output changed).
	Rescan = flag.Bool("rescan", false, "rebuild the report fixtures under testdata/ from the simulated account")
)
