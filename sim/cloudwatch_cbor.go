package sim

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// cborTreeMode decodes Smithy RPC v2 CBOR request bodies with
// fxamacker/cbor: maps with text keys → map[string]any (duplicate keys
// refused), arrays → []any, text → string (invalid UTF-8 refused), byte
// strings → []byte, integers → uint64 or int64, floats → float64,
// booleans, null → nil, tag 1 (epoch seconds) → time.Time; nesting deeper
// than 16 and trailing bytes are errors; definite and indefinite lengths
// both accepted.
var cborTreeMode = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		DefaultMapType:  reflect.TypeOf(map[string]any(nil)),
		DupMapKey:       cbor.DupMapKeyEnforcedAPF,
		UTF8:            cbor.UTF8RejectInvalid,
		MaxNestedLevels: 16,
	}.DecMode()
	if err != nil {
		panic(err) // constant options
	}
	return m
}()

// decodeCBORTree decodes a request body into the generic tree cwTree
// reads (see cborTreeMode). Tags other than 1, undefined simple values
// and a top level that is not a map are errors too: the CloudWatch
// model has nothing else.
func decodeCBORTree(b []byte) (map[string]any, error) {
	var v any
	if err := cborTreeMode.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if err := onlyModelValues(v); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the top-level item is not a map")
	}
	return m, nil
}

// onlyModelValues refuses what decodes but no CloudWatch shape has: tags
// other than 1 (which decodes to time.Time) and simple values.
func onlyModelValues(v any) error {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if err := onlyModelValues(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := onlyModelValues(e); err != nil {
				return err
			}
		}
	case nil, bool, string, []byte, uint64, int64, float64, time.Time:
	case cbor.Tag, cbor.RawTag:
		return errors.New("a CBOR tag other than 1 (epoch time)")
	default:
		return fmt.Errorf("a CBOR value of type %T", v)
	}
	return nil
}
