package metrics_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/lambdaudit/lambdaudit/metrics"
)

// Series decodes as the reflective decoder would decode []*float64, and
// refuses what is not an array of numbers and nulls.
func TestSeriesUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name, in string
		bad      bool
	}{
		{name: "values and gaps", in: `[1.5,null,2,0,-3e-7,1e300]`},
		{name: "spaces and newlines", in: "[ 1 ,\n null , 2 ]"},
		{name: "all nulls", in: `[null,null]`},
		{name: "empty", in: `[]`},
		{name: "null series", in: `null`},
		{name: "a string", in: `[1,"2"]`, bad: true},
		{name: "an object", in: `{"a":1}`, bad: true},
		{name: "nested", in: `[[1]]`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got metrics.Series
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.bad {
				if err == nil {
					t.Fatalf("decoded %q as %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []*float64
			if err := json.Unmarshal([]byte(tt.in), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual([]*float64(got), want) {
				t.Errorf("got %v, want %v", got, want)
			}
			back, _ := json.Marshal(got)
			wantBack, _ := json.Marshal(want)
			if string(back) != string(wantBack) {
				t.Errorf("re-encoded %s, want %s", back, wantBack)
			}
		})
	}
}
