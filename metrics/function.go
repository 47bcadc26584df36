package metrics

// Function is what the metrics stage needs to know about one function.
type Function struct {
	// ID is the function's stable key in a scan: "account/region/name".
	ID   string `json:"id"`
	Name string `json:"name"`
	// LogGroup is LoggingConfig.LogGroup, "/aws/lambda/<name>" by default.
	LogGroup string `json:"logGroup"`
	// LogFormat is LoggingConfig.LogFormat: "Text" (default) or "JSON".
	LogFormat string `json:"logFormat"`
	// Optional lists the optional AWS/Lambda metrics ListMetrics found
	// for the function (names as in OptionalMetrics, e.g. "IteratorAge"),
	// and LambdaInsights whether it emits the LambdaInsights namespace;
	// Discovery.Apply sets both.
	Optional       []string `json:"optional,omitempty"`
	LambdaInsights bool     `json:"lambdaInsights,omitempty"`
}

// LogGroupName is LogGroup, or the default /aws/lambda/<name> when empty.
func (fn Function) LogGroupName() string {
	if fn.LogGroup != "" {
		return fn.LogGroup
	}
	return "/aws/lambda/" + fn.Name
}
