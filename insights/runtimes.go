package insights

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"
)

//go:embed runtimes.json
var runtimesJSON []byte

// RuntimeTable is the embedded, dated table of AWS Lambda managed
// runtimes: when each is deprecated (end of standard support, when AWS
// stops patching it and blocks creating functions on it) and whether it
// runs on arm64.
type RuntimeTable struct {
	// AsOf is the date the table was last checked against its source.
	AsOf   string    `json:"asOf"`
	Source string    `json:"source"`
	List   []Runtime `json:"runtimes"`
	byID   map[string]*Runtime
}

// Runtime is one runtime identifier of the table.
type Runtime struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Deprecation is the deprecation date, YYYY-MM-DD (UTC).
	Deprecation string `json:"deprecation"`
	ARM64       bool   `json:"arm64"`
	deprecation time.Time
}

// Runtimes is the embedded runtime table.
func Runtimes() *RuntimeTable { return runtimes }

var runtimes = mustRuntimes(runtimesJSON)

func mustRuntimes(b []byte) *RuntimeTable {
	t, err := ParseRuntimes(b)
	if err != nil {
		panic(err) // the embedded table is checked by a test
	}
	return t
}

// ParseRuntimes reads a runtime table in the embedded table's JSON form
// ({"asOf", "source", "runtimes": [{"id", "name", "deprecation", "arm64"}]}),
// e.g. a newer one than the tool was built with.
func ParseRuntimes(b []byte) (*RuntimeTable, error) {
	var t RuntimeTable
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("runtime table: %w", err)
	}
	if _, err := time.Parse(time.DateOnly, t.AsOf); err != nil {
		return nil, fmt.Errorf("runtime table: asOf: %w", err)
	}
	t.byID = make(map[string]*Runtime, len(t.List))
	for i := range t.List {
		r := &t.List[i]
		d, err := time.Parse(time.DateOnly, r.Deprecation)
		if err != nil {
			return nil, fmt.Errorf("runtime table: %s: deprecation: %w", r.ID, err)
		}
		if t.byID[r.ID] != nil {
			return nil, fmt.Errorf("runtime table: %s twice", r.ID)
		}
		r.deprecation = d
		t.byID[r.ID] = r
	}
	return &t, nil
}

// Lookup finds a runtime by its identifier (e.g. "python3.13").
func (t *RuntimeTable) Lookup(id string) (Runtime, bool) {
	r, ok := t.byID[id]
	if !ok {
		return Runtime{}, false
	}
	return *r, true
}

// DeprecationDate is Deprecation as a time (00:00 UTC).
func (r Runtime) DeprecationDate() time.Time { return r.deprecation }
