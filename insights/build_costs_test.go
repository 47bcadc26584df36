package insights_test

import (
	"reflect"
	"testing"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
)

// BuildWithCosts returns the report Build returns and the cost model's
// result for the same scan, table and options: what the CSVs list is what
// the report was priced with.
func TestBuildWithCosts(t *testing.T) {
	res := loadScan(t)
	for _, tt := range []struct {
		name string
		opt  insights.Options
		co   cost.Options
	}{
		{"defaults", insights.Options{Now: reportNow}, cost.Options{Now: reportNow}},
		{"free tier", insights.Options{Now: reportNow, FreeTier: true}, cost.Options{Now: reportNow, FreeTier: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, costs, err := insights.BuildWithCosts(res, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := insights.Build(res, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rep, want) {
				t.Error("BuildWithCosts's report differs from Build's")
			}
			wantCosts, err := cost.Model(res, cost.Embedded(), tt.co)
			if err != nil {
				t.Fatal(err)
			}
			if costs == nil || !reflect.DeepEqual(costs, wantCosts) {
				t.Error("BuildWithCosts's costs differ from cost.Model's for the same options")
			}
		})
	}
}
