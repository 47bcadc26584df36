package fleet

// AnomalyKinds are the generator's anomaly labels: the insight kinds of
// INSIGHTS.md that a function (or its region) can be made to show.
var AnomalyKinds = []string{
	"near-timeout", "timeouts", "memory-near-limit", "memory-overprovisioned",
	"cold-starts", "cost-spike", "error-rate", "throttles", "deprecated-runtime",
	"arm64-candidate", "concurrency-near-limit", "iterator-age", "async-failures",
	"provisioned-concurrency-idle", "recursive-loop",
}

func knownAnomaly(k string) bool {
	for _, a := range AnomalyKinds {
		if a == k {
			return true
		}
	}
	return false
}
