package notify

import "flag"

// The package's test flags, defined once for every test file of package
// notify (internal and external tests).
var (
	// update rewrites the golden files under testdata/ from the current
	// output: go test ./notify -update.
	update = flag.Bool("update", false, "rewrite the golden files under testdata/")
	// rescan rebuilds the report fixtures under testdata/ by scanning
	// their fleets from the simulated account: go test ./notify -rescan.
	rescan = flag.Bool("rescan", false, "rebuild the report fixtures under testdata/ from the simulated account")
)

// Update and Rescan expose the flags to the external test package
// (notify_test): notify.Update, notify.Rescan.
var (
	Update = update
	Rescan = rescan
)
