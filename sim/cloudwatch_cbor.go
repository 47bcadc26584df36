package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// decodeCBORTree decodes a Smithy RPC v2 CBOR request body into the
// generic tree cwTree reads: maps with text keys → map[string]any, arrays
// → []any, text → string, byte strings → []byte, integers → uint64 or
// int64, floats → float64, booleans, null → nil, and tag 1 (epoch
// seconds, integer or float) → time.Time. Other tags, undefined simple
// values, duplicate or non-text map keys, invalid UTF-8, nesting deeper
// than cborMaxDepth and trailing bytes are errors. Definite and
// indefinite lengths are both accepted.
func decodeCBORTree(b []byte) (map[string]any, error) {
	d := cborDecoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.off != len(d.b) {
		return nil, fmt.Errorf("%d bytes after the top-level item", len(d.b)-d.off)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the top-level item is not a map")
	}
	return m, nil
}

const cborMaxDepth = 16

var (
	errCBOREOF   = errors.New("unexpected end of data")
	errCBORBreak = errors.New("unexpected break")
)

type cborDecoder struct {
	b   []byte
	off int
}

// head reads an item's initial byte and argument. indefinite reports the
// additional information 31.
func (d *cborDecoder) head() (major byte, info byte, arg uint64, indefinite bool, err error) {
	if d.off >= len(d.b) {
		return 0, 0, 0, false, errCBOREOF
	}
	c := d.b[d.off]
	d.off++
	major, info = c>>5, c&0x1f
	switch {
	case info < 24:
		return major, info, uint64(info), false, nil
	case info <= 27:
		n := 1 << (info - 24)
		if len(d.b)-d.off < n {
			return 0, 0, 0, false, errCBOREOF
		}
		p := d.b[d.off : d.off+n]
		d.off += n
		switch n {
		case 1:
			arg = uint64(p[0])
		case 2:
			arg = uint64(binary.BigEndian.Uint16(p))
		case 4:
			arg = uint64(binary.BigEndian.Uint32(p))
		default:
			arg = binary.BigEndian.Uint64(p)
		}
		return major, info, arg, false, nil
	case info == 31:
		if major == 0 || major == 1 || major == 6 {
			return 0, 0, 0, false, fmt.Errorf("indefinite length for major type %d", major)
		}
		return major, info, 0, true, nil
	}
	return 0, 0, 0, false, fmt.Errorf("reserved additional information %d", info)
}

// isBreak consumes a break byte (0xff) when one is next.
func (d *cborDecoder) isBreak() (bool, error) {
	if d.off >= len(d.b) {
		return false, errCBOREOF
	}
	if d.b[d.off] == 0xff {
		d.off++
		return true, nil
	}
	return false, nil
}

func (d *cborDecoder) bytesOf(major byte, arg uint64, indefinite bool) ([]byte, error) {
	if !indefinite {
		if arg > uint64(len(d.b)-d.off) {
			return nil, errCBOREOF
		}
		p := d.b[d.off : d.off+int(arg)]
		d.off += int(arg)
		return p, nil
	}
	var out []byte
	for {
		brk, err := d.isBreak()
		if err != nil {
			return nil, err
		}
		if brk {
			return out, nil
		}
		m, _, n, indef, err := d.head()
		if err != nil {
			return nil, err
		}
		if m != major || indef {
			return nil, fmt.Errorf("an indefinite string holds a chunk of major type %d", m)
		}
		p, err := d.bytesOf(major, n, false)
		if err != nil {
			return nil, err
		}
		out = append(out, p...)
	}
}

func (d *cborDecoder) value(depth int) (any, error) {
	if depth > cborMaxDepth {
		return nil, fmt.Errorf("nesting deeper than %d", cborMaxDepth)
	}
	major, info, arg, indefinite, err := d.head()
	if err != nil {
		return nil, err
	}
	switch major {
	case 0:
		return arg, nil
	case 1:
		if arg > math.MaxInt64 {
			return nil, errors.New("negative integer out of range")
		}
		return -1 - int64(arg), nil
	case 2:
		p, err := d.bytesOf(2, arg, indefinite)
		if err != nil {
			return nil, err
		}
		return append(make([]byte, 0, len(p)), p...), nil
	case 3:
		p, err := d.bytesOf(3, arg, indefinite)
		if err != nil {
			return nil, err
		}
		if !utf8.Valid(p) {
			return nil, errors.New("text string is not valid UTF-8")
		}
		return string(p), nil
	case 4:
		// Every element takes at least one byte: a length beyond the
		// data left is malformed, and never allocated.
		if !indefinite && arg > uint64(len(d.b)-d.off) {
			return nil, errCBOREOF
		}
		out := make([]any, 0, min(arg, 1024))
		for i := uint64(0); indefinite || i < arg; i++ {
			if indefinite {
				brk, err := d.isBreak()
				if err != nil {
					return nil, err
				}
				if brk {
					break
				}
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case 5:
		if !indefinite && arg > uint64(len(d.b)-d.off)/2 {
			return nil, errCBOREOF
		}
		out := make(map[string]any, min(arg, 64))
		for i := uint64(0); indefinite || i < arg; i++ {
			if indefinite {
				brk, err := d.isBreak()
				if err != nil {
					return nil, err
				}
				if brk {
					break
				}
			}
			k, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("a map key is %s, not a text string", kindOf(k))
			}
			if _, dup := out[key]; dup {
				return nil, fmt.Errorf("duplicate map key %q", trunc(key, 64))
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out[key] = v
		}
		return out, nil
	case 6:
		if arg != 1 {
			return nil, fmt.Errorf("unsupported tag %d (timestamps are tag 1)", arg)
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		return epochTime(v)
	}
	// Major type 7.
	switch {
	case info == 20:
		return false, nil
	case info == 21:
		return true, nil
	case info == 22 || info == 23:
		return nil, nil
	case info == 25:
		return float16(uint16(arg)), nil
	case info == 26:
		return float64(math.Float32frombits(uint32(arg))), nil
	case info == 27:
		return math.Float64frombits(arg), nil
	case indefinite:
		return nil, errCBORBreak
	}
	return nil, fmt.Errorf("unsupported simple value %d", arg)
}

// epochTime is tag 1's content as a time.
func epochTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case uint64:
		if x > 1<<40 {
			return time.Time{}, errors.New("timestamp out of range")
		}
		return time.Unix(int64(x), 0).UTC(), nil
	case int64:
		if x < -(1 << 40) {
			return time.Time{}, errors.New("timestamp out of range")
		}
		return time.Unix(x, 0).UTC(), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<40 {
			return time.Time{}, errors.New("timestamp out of range")
		}
		sec := math.Floor(x)
		return time.Unix(int64(sec), int64(math.Round((x-sec)*1e9))).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("tag 1 holds %s, not epoch seconds", kindOf(v))
}

// float16 converts an IEEE 754 half-precision value.
func float16(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}
