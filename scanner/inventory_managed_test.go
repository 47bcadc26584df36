package scanner_test

import (
	"context"
	"testing"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// TestInventoryManagedInstances: ListFunctions' CapacityProviderConfig
// reaches the scan result, with the Managed Instances limits as listed
// (memory above 10,240 MB, a timeout above 900 s, JSON logs).
func TestInventoryManagedInstances(t *testing.T) {
	env := simtest.Start(t, `
accounts:
  - id: "111111111111"
    regions:
      - name: eu-west-2
        functions:
          - name: on-demand
          - name: managed
            capacityProvider: org-cp
            memoryMB: 32768
            timeoutS: 5400
`)
	inv := scanner.NewInventory(simtest.SDKConfig(t, env.URL, "eu-west-2"), scanner.Pair{Account: "111111111111", Region: "eu-west-2"})
	got := map[string]scanner.Function{}
	err := inv.ListFunctions(context.Background(), func(page []scanner.Function) error {
		for _, f := range page {
			got[f.Name] = f
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, arn, format string
		memory, timeout   int
	}{
		{"on-demand", "", "Text", 128, 3},
		{"managed", "arn:aws:lambda:eu-west-2:111111111111:capacity-provider:org-cp", "JSON", 32768, 5400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := got[tc.name]
			if !ok {
				t.Fatalf("not listed; got %v", got)
			}
			if f.CapacityProviderARN != tc.arn || f.MemoryMB != tc.memory || f.TimeoutS != tc.timeout || f.LogFormat != tc.format {
				t.Errorf("capacity provider %q, memory %d, timeout %d, log format %s; want %q, %d, %d, %s",
					f.CapacityProviderARN, f.MemoryMB, f.TimeoutS, f.LogFormat, tc.arn, tc.memory, tc.timeout, tc.format)
			}
		})
	}
}
