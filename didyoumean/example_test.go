package didyoumean_test

import (
	"fmt"

	"github.com/lambdaudit/lambdaudit/didyoumean"
)

func ExampleNearest() {
	keys := []string{"threshold", "severity", "enabled"}
	if s := didyoumean.Nearest("threshhold", keys); s != "" {
		fmt.Printf("unknown key 'threshhold'; did you mean '%s'?\n", s)
	}
	// Output: unknown key 'threshhold'; did you mean 'threshold'?
}
