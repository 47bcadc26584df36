package cost

// Usage are the billed quantities of one workload (a function's day, or
// a month of the calculator).
type Usage struct {
	Architecture string `json:"architecture"`
	MemoryMB     int    `json:"memoryMB"`
	EphemeralMB  int    `json:"ephemeralMB"`
	// Requests is the number of invocations.
	Requests float64 `json:"requests"`
	// DurationMs is the billed duration of the invocations without INIT,
	// ms (1 ms units); InitMs the billed INIT duration, ms.
	DurationMs float64 `json:"durationMs"`
	InitMs     float64 `json:"initMs"`
	// ProvisionedShare is the share of the invocations (and their
	// duration) served by provisioned concurrency, 0..1.
	ProvisionedShare float64 `json:"provisionedShare,omitempty"`
	// ProvisionedConcurrency is the allocated provisioned concurrency and
	// ProvisionedSeconds how long it was enabled.
	ProvisionedConcurrency int     `json:"provisionedConcurrency,omitempty"`
	ProvisionedSeconds     float64 `json:"provisionedSeconds,omitempty"`
}

// Estimate prices a month of one workload on its own (the account's
// month holds nothing else), with the free tier when free is not nil.
func (p Prices) Estimate(u Usage, free *FreeTier) (Breakdown, error) {
	panic("cost: not yet implemented")
}
