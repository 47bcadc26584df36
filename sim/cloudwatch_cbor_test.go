package sim

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// normal makes decoded trees comparable: times to milliseconds.
func cwNormal(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = cwNormal(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cwNormal(e)
		}
		return out
	case time.Time:
		return x.UnixMilli()
	case float64:
		if math.IsNaN(x) {
			return "NaN"
		}
	}
	return v
}

func TestDecodeCBORTree(t *testing.T) {
	enc, _ := cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired}.EncMode()
	ts := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	good := map[string]any{
		"StartTime": ts, "EndTime": ts.Add(1500 * time.Millisecond), "MaxDatapoints": 10, "Neg": -3, "Float": 1.5,
		"ReturnData": true, "Null": nil, "Blob": []byte{1, 2}, "List": []any{"a", map[string]any{"b": false}}, "Empty": map[string]any{},
	}
	b, err := enc.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeCBORTree(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"StartTime": ts, "EndTime": ts.Add(1500 * time.Millisecond), "MaxDatapoints": uint64(10), "Neg": int64(-3), "Float": 1.5,
		"ReturnData": true, "Null": nil, "Blob": []byte{1, 2}, "List": []any{"a", map[string]any{"b": false}}, "Empty": map[string]any{}}
	if !reflect.DeepEqual(cwNormal(got), cwNormal(want)) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"indefinite map and text", []byte{0xbf, 0x7f, 0x61, 'a', 0x61, 'b', 0xff, 0xf5, 0xff}, true},
		{"float16 timestamp", []byte{0xa1, 0x61, 't', 0xc1, 0xf9, 0x3c, 0x00}, true},
		{"tag 0", []byte{0xa1, 0x61, 't', 0xc0, 0x61, 'x'}, false},
		{"tag 1 of text", []byte{0xa1, 0x61, 't', 0xc1, 0x61, 'x'}, false},
		{"duplicate key", []byte{0xa2, 0x61, 'a', 0x01, 0x61, 'a', 0x02}, false},
		{"huge array length", []byte{0xa1, 0x61, 'a', 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false},
		{"huge map length", []byte{0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false},
		{"break outside a container", []byte{0xff}, false},
		{"reserved info", []byte{0xa1, 0x61, 'a', 0x1c}, false},
		{"indefinite integer", []byte{0xa1, 0x61, 'a', 0x1f}, false},
		{"chunk of another type", []byte{0xa1, 0x61, 'a', 0x7f, 0x41, 'x', 0xff}, false},
		{"unterminated indefinite map", []byte{0xbf, 0x61, 'a', 0x01}, false},
		{"simple value", []byte{0xa1, 0x61, 'a', 0xf0}, false},
		{"empty", nil, false},
		{"empty byte strings", []byte{0xbf, 0x61, '0', 0x9f, 0x40, 0x5f, 0xff, 0xff, 0xff}, true},
	} {
		_, err := decodeCBORTree(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
