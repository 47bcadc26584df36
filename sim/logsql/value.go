package logsql

import (
	"cmp"
	"math"
	"strconv"
	"strings"
	"time"
)

type valueKind uint8

const (
	kindAbsent valueKind = iota
	kindNum
	kindStr
	kindTime // a number of milliseconds since the epoch, rendered as a timestamp
)

// timeLayout is how Logs Insights renders @timestamp and bin() values.
const timeLayout = "2006-01-02 15:04:05.000"

// Value is a field value: a number, a string, or absent (the zero Value).
//
// A number may carry the timestamp flag (see [Timestamp]): it behaves as a
// number of milliseconds since the epoch in every comparison and
// arithmetic, but renders as "2006-01-02 15:04:05.000" in UTC.
type Value struct {
	s string
	f float64
	k valueKind
}

// Num returns a number value. NaN and infinities have no rendering in
// Logs Insights results, so they give the absent value.
func Num(f float64) Value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Value{}
	}
	if f == 0 {
		f = 0 // normalise negative zero
	}
	return Value{k: kindNum, f: f}
}

// Str returns a string value.
func Str(s string) Value { return Value{k: kindStr, s: s} }

// Timestamp returns a number value of ms milliseconds since the epoch that
// renders like @timestamp ("2006-01-02 15:04:05.000", UTC).
func Timestamp(ms int64) Value { return Value{k: kindTime, f: float64(ms)} }

// IsNum reports whether v is a number (timestamps included).
func (v Value) IsNum() bool { return v.k == kindNum || v.k == kindTime }

// IsPresent reports whether v holds a value; the zero Value is absent.
func (v Value) IsPresent() bool { return v.k != kindAbsent }

// Float returns the number held by v, and false when v is not a number.
func (v Value) Float() (float64, bool) {
	if v.IsNum() {
		return v.f, true
	}
	return 0, false
}

// String renders v as Logs Insights does in query results: numbers in the
// shortest decimal form without exponent (integers without ".0"),
// timestamps as "2006-01-02 15:04:05.000" in UTC, strings as they are,
// and the absent value as "".
func (v Value) String() string {
	switch v.k {
	case kindNum:
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	case kindStr:
		return v.s
	case kindTime:
		return time.UnixMilli(int64(math.Floor(v.f))).UTC().Format(timeLayout)
	}
	return ""
}

// truthy reports whether v passes a filter: a non-zero number or a
// non-empty string.
func (v Value) truthy() bool {
	switch v.k {
	case kindNum, kindTime:
		return v.f != 0
	case kindStr:
		return v.s != ""
	}
	return false
}

var (
	trueV  = Value{k: kindNum, f: 1}
	falseV = Value{k: kindNum}
)

func boolV(b bool) Value {
	if b {
		return trueV
	}
	return falseV
}

// compareValues orders two present values: numbers (timestamps included)
// numerically, then strings lexically; every number sorts before every
// string.
func compareValues(a, b Value) int {
	an, bn := a.IsNum(), b.IsNum()
	switch {
	case an && bn:
		return cmp.Compare(a.f, b.f)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a.s, b.s)
}

// compareSort orders values for sort and group output: present values by
// compareValues (reversed when desc), the absent value last either way.
func compareSort(a, b Value, desc bool) int {
	switch {
	case a.k == kindAbsent && b.k == kindAbsent:
		return 0
	case a.k == kindAbsent:
		return 1
	case b.k == kindAbsent:
		return -1
	}
	c := compareValues(a, b)
	if desc {
		return -c
	}
	return c
}
