package fanout_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/fanout"
)

func TestUnitValidate(t *testing.T) {
	ok := fanout.Unit{ID: "u1", Account: "111111111111", Region: "us-east-1", Kind: "metrics", Items: []string{"a"}}
	// sized builds a unit whose encoding is exactly n bytes long.
	sized := func(n int) fanout.Unit {
		u := ok
		u.Body = json.RawMessage(`""`)
		b, _ := json.Marshal(u)
		u.Body = json.RawMessage(`"` + strings.Repeat("x", n-len(b)) + `"`)
		return u
	}
	with := func(f func(*fanout.Unit)) fanout.Unit { u := ok; f(&u); return u }
	tests := []struct {
		name string
		u    fanout.Unit
		want []string // substrings of the error; nil = valid
	}{
		{"valid", ok, nil},
		{"valid without items", with(func(u *fanout.Unit) { u.Items = nil }), nil},
		{"exactly at the size limit", sized(fanout.MaxUnitBytes), nil},
		{"one byte over the size limit", sized(fanout.MaxUnitBytes + 1), []string{`"u1"`, "encoded size 262145 bytes exceeds the 262144-byte limit"}},
		{"zero unit", fanout.Unit{}, []string{"empty id, kind, account, region"}},
		{"empty kind", with(func(u *fanout.Unit) { u.Kind = "" }), []string{`unit "u1"`, "empty kind"}},
		{"empty region and account", with(func(u *fanout.Unit) { u.Region, u.Account = "", "" }), []string{"empty account, region"}},
		{"negative attempt", with(func(u *fanout.Unit) { u.Attempt = -1 }), []string{"negative attempt -1"}},
		{"body not JSON", with(func(u *fanout.Unit) { u.Body = json.RawMessage("{") }), []string{"body is not valid JSON"}},
		{"several problems", with(func(u *fanout.Unit) { u.ID, u.Attempt = "", -2 }), []string{"empty id", "negative attempt -2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.u.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tt.want)
			}
			if !errors.Is(err, fanout.ErrInvalidUnit) {
				t.Errorf("error %v does not wrap ErrInvalidUnit", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestUnitJSON(t *testing.T) {
	u := fanout.Unit{ID: "u", Account: "1", Region: "r", Kind: "k", Items: []string{"a", "b"}, Body: json.RawMessage(`{"q":1}`), Attempt: 2}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"u","account":"1","region":"r","kind":"k","items":["a","b"],"body":{"q":1},"attempt":2}`
	if string(b) != want {
		t.Errorf("encoded\n %s\nwant\n %s", b, want)
	}
}

func TestNewUnit(t *testing.T) {
	items := []string{"111111111111/us-east-1/api", "111111111111/us-east-1/worker"}
	a, err := fanout.NewUnit("111111111111", "us-east-1", "metrics", items, map[string]int{"days": 14})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fanout.NewUnit("111111111111", "us-east-1", "metrics", items, map[string]int{"days": 14})
	if a.ID != b.ID || !strings.HasPrefix(a.ID, "metrics/111111111111/us-east-1/") {
		t.Errorf("IDs %q and %q: want equal, prefixed by kind/account/region", a.ID, b.ID)
	}
	for name, other := range map[string]func() (fanout.Unit, error){
		"other body": func() (fanout.Unit, error) {
			return fanout.NewUnit("111111111111", "us-east-1", "metrics", items, map[string]int{"days": 7})
		},
		"other items": func() (fanout.Unit, error) {
			return fanout.NewUnit("111111111111", "us-east-1", "metrics", items[:1], map[string]int{"days": 14})
		},
		"other kind": func() (fanout.Unit, error) {
			return fanout.NewUnit("111111111111", "us-east-1", "logs", items, map[string]int{"days": 14})
		},
		// Item boundaries count: ["ab"] is not ["a", "b"].
		"joined items": func() (fanout.Unit, error) { return fanout.NewUnit("1", "r", "k", []string{"ab"}, nil) },
	} {
		u, err := other()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if u.ID == a.ID {
			t.Errorf("%s: same ID %q", name, u.ID)
		}
	}
	x, _ := fanout.NewUnit("1", "r", "k", []string{"a", "b"}, nil)
	y, _ := fanout.NewUnit("1", "r", "k", []string{"ab"}, nil)
	if x.ID == y.ID {
		t.Errorf(`items ["a" "b"] and ["ab"] share ID %q`, x.ID)
	}
	if _, err := fanout.NewUnit("", "us-east-1", "metrics", items, nil); err == nil || !strings.Contains(err.Error(), "empty account") {
		t.Errorf("NewUnit without account: %v, want an error naming the account", err)
	}
	if _, err := fanout.NewUnit("1", "r", "k", nil, func() {}); err == nil || !strings.Contains(err.Error(), "encode body") {
		t.Errorf("NewUnit with an unencodable body: %v", err)
	}
}
