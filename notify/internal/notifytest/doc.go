// Package notifytest holds what the notify packages' tests share: the
// -update and -rescan flags, the golden-file check, and the fixtures
// under its testdata/ (scans and reports of fleets from the simulated
// account, rebuilt with -rescan). It is for tests only: it starts the
// simulated account, and no production package may import it.
package notifytest
