package sim

// The three wire protocols of CloudWatch, reduced to one request tree and
// one response writer: Smithy RPC v2 CBOR, awsJson1.0 and awsQuery.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CloudWatch wire names.
const (
	cwTargetPrefix = "GraniteServiceVersion20100801."
	cwCBORPrefix   = "/service/GraniteServiceVersion20100801/operation/"
	cwAPIVersion   = "2010-08-01"
)

// cwOperation reads the operation name and the request's parameter tree.
// The tree holds map[string]any, []any and scalars: string (query), bool,
// json.Number (JSON), uint64/int64/float64 and time.Time (CBOR).
func cwOperation(p protocol, r *http.Request, body []byte) (op string, tree map[string]any, err *apiError) {
	switch p {
	case protoCBOR:
		if !strings.HasPrefix(r.URL.Path, cwCBORPrefix) {
			return "", nil, cwUnknownOp(p, r.URL.Path)
		}
		op = strings.TrimPrefix(r.URL.Path, cwCBORPrefix)
		if r.Method != http.MethodPost {
			return op, nil, &apiError{Status: 405, Code: "MethodNotAllowed", Message: "RPC v2 operations are POST requests"}
		}
		if len(body) == 0 {
			return op, map[string]any{}, nil
		}
		m, e := decodeCBORTree(body)
		if e != nil {
			return op, nil, serializationError("the request body is not valid CBOR: " + e.Error())
		}
		return op, m, nil
	case protoJSON10:
		op = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), cwTargetPrefix)
		if len(bytes.TrimSpace(body)) == 0 {
			return op, map[string]any{}, nil
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if e := dec.Decode(&v); e != nil {
			return op, nil, serializationError("the request body is not valid JSON: " + e.Error())
		}
		if _, e := dec.Token(); e != io.EOF {
			return op, nil, serializationError("the request body has data after the JSON value")
		}
		m, ok := v.(map[string]any)
		if !ok {
			return op, nil, serializationError("the request body is not a JSON object")
		}
		if e := checkDepth(m, 0); e != nil {
			return op, nil, e
		}
		return op, m, nil
	}
	// awsQuery: the form in the body (POST) or the URL (GET).
	vals := r.URL.Query()
	if r.Method == http.MethodPost {
		ct := r.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			return "", nil, &apiError{Status: 400, Code: "InvalidParameterValue", Message: fmt.Sprintf("unsupported Content-Type %q: awsQuery requests are application/x-www-form-urlencoded", ct)}
		}
		form, e := url.ParseQuery(string(body))
		if e != nil {
			return "", nil, &apiError{Status: 400, Code: "MalformedQueryString", Message: "the form body cannot be parsed: " + e.Error()}
		}
		for k, v := range form {
			vals[k] = append(vals[k], v...)
		}
	}
	op = vals.Get("Action")
	if op == "" {
		return "", nil, &apiError{Status: 400, Code: "MissingAction", Message: "Could not find operation: the request has no Action parameter"}
	}
	if v := vals.Get("Version"); v != "" && v != cwAPIVersion {
		return op, nil, &apiError{Status: 400, Code: "NoSuchVersion", Message: fmt.Sprintf("the requested version (%s) of service AmazonCloudWatch does not exist", v)}
	}
	tree, err = formTree(vals)
	return op, tree, err
}

func checkDepth(v any, depth int) *apiError {
	if depth > 16 {
		return serializationError("the request body nests too deeply")
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if err := checkDepth(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkDepth(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func cwUnknownOp(p protocol, op string) *apiError {
	if p == protoQuery {
		return &apiError{Status: 400, Code: "InvalidAction", Message: fmt.Sprintf("The action %s is not valid for this web service.", op)}
	}
	return serviceError(svcCloudWatch, errUnknownOperation, fmt.Sprintf("operation %q is not served by the simulator (GetMetricData, GetMetricStatistics, ListMetrics)", op))
}

func serializationError(msg string) *apiError {
	return &apiError{Status: 400, Code: "SerializationException", Message: msg}
}

// formTree turns "A.member.1.B=v" pairs into nested maps; list indexes
// stay map keys ("member" → "1") and are ordered by cwTree.list.
func formTree(vals url.Values) (map[string]any, *apiError) {
	root := map[string]any{}
	for k, vs := range vals {
		if k == "Action" || k == "Version" {
			continue
		}
		parts := strings.Split(k, ".")
		if len(parts) > 16 {
			return nil, &apiError{Status: 400, Code: "InvalidParameterValue", Message: fmt.Sprintf("parameter %s nests too deeply", k)}
		}
		node := root
		for i, part := range parts {
			if part == "" {
				return nil, &apiError{Status: 400, Code: "InvalidParameterValue", Message: fmt.Sprintf("malformed parameter name %q", k)}
			}
			if i == len(parts)-1 {
				if prev, ok := node[part].(map[string]any); ok {
					if vs[len(vs)-1] != "" || len(prev) > 0 {
						return nil, &apiError{Status: 400, Code: "InvalidParameterValue", Message: fmt.Sprintf("parameter %s is both a value and a structure", k)}
					}
				}
				if _, isMap := node[part].(map[string]any); !isMap {
					node[part] = vs[len(vs)-1]
				}
				break
			}
			child, ok := node[part].(map[string]any)
			if !ok {
				if s, isStr := node[part].(string); isStr && s != "" {
					return nil, &apiError{Status: 400, Code: "InvalidParameterValue", Message: fmt.Sprintf("parameter %s is both a value and a structure", k)}
				}
				child = map[string]any{}
				node[part] = child
			}
			node = child
		}
	}
	return root, nil
}

// cwTree reads typed members out of a request tree, naming the member by
// its awsQuery path in errors (CloudWatch's messages use those paths in
// every protocol). Each reader takes the member's name and its parent's
// path ("" at the top level); the full path is built only for an error.
type cwTree struct {
	proto protocol
	err   *apiError
}

func (t *cwTree) typeErr(path, want string, v any) {
	if t.err != nil {
		return
	}
	if t.proto == protoQuery {
		t.err = invalidParam(svcCloudWatch, fmt.Sprintf("Value (%s) for parameter %s is invalid. Expected %s.", trunc(fmt.Sprint(v), 64), path, want))
		return
	}
	t.err = serializationError(fmt.Sprintf("expected %s for %s, got %s", want, path, kindOf(v)))
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a structure"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, uint64, int64, float64:
		return "a number"
	case time.Time:
		return "a timestamp"
	case []byte:
		return "a blob"
	}
	return fmt.Sprintf("%T", v)
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// get returns a member; nil values count as absent.
func (t *cwTree) get(m map[string]any, name string) (any, bool) {
	v, ok := m[name]
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

func (t *cwTree) str(m map[string]any, name, parent string) (string, bool) {
	v, ok := t.get(m, name)
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		t.typeErr(member(parent, name), "a string", v)
		return "", false
	}
	return s, true
}

func (t *cwTree) integer(m map[string]any, name, parent string) (int64, bool) {
	v, ok := t.get(m, name)
	if !ok {
		return 0, false
	}
	var n int64
	switch x := v.(type) {
	case string:
		if t.proto != protoQuery {
			t.typeErr(member(parent, name), "an integer", v)
			return 0, false
		}
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 32)
		if err != nil {
			t.typeErr(member(parent, name), "an integer", v)
			return 0, false
		}
		n = i
	case json.Number:
		i, err := strconv.ParseInt(string(x), 10, 32)
		if err != nil {
			t.typeErr(member(parent, name), "an integer", v)
			return 0, false
		}
		n = i
	case uint64:
		if x > math.MaxInt32 {
			t.typeErr(member(parent, name), "an integer", v)
			return 0, false
		}
		n = int64(x)
	case int64:
		if x < math.MinInt32 {
			t.typeErr(member(parent, name), "an integer", v)
			return 0, false
		}
		n = x
	default:
		t.typeErr(member(parent, name), "an integer", v)
		return 0, false
	}
	return n, true
}

func (t *cwTree) boolean(m map[string]any, name, parent string) (bool, bool) {
	v, ok := t.get(m, name)
	if !ok {
		return false, false
	}
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		if t.proto == protoQuery {
			switch strings.ToLower(x) {
			case "true":
				return true, true
			case "false":
				return false, true
			}
		}
	}
	t.typeErr(member(parent, name), "a boolean", v)
	return false, false
}

// minTime and maxTime bound accepted timestamps, so durations between
// them never overflow.
var (
	cwMinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	cwMaxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (t *cwTree) timestamp(m map[string]any, name, parent string) (time.Time, bool) {
	v, ok := t.get(m, name)
	if !ok {
		return time.Time{}, false
	}
	var ts time.Time
	switch x := v.(type) {
	case time.Time:
		if t.proto != protoCBOR {
			t.typeErr(member(parent, name), "a timestamp", v)
			return time.Time{}, false
		}
		ts = x
	case json.Number:
		if t.proto != protoJSON10 {
			t.typeErr(member(parent, name), "a timestamp", v)
			return time.Time{}, false
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
			t.typeErr(member(parent, name), "a timestamp (epoch seconds)", v)
			return time.Time{}, false
		}
		sec, frac := math.Modf(f)
		ts = time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond))
	case string:
		if t.proto != protoQuery {
			t.typeErr(member(parent, name), "a timestamp", v)
			return time.Time{}, false
		}
		p, err := parseISOTime(x)
		if err != nil {
			t.typeErr(member(parent, name), "an ISO 8601 timestamp", v)
			return time.Time{}, false
		}
		ts = p
	default:
		t.typeErr(member(parent, name), "a timestamp", v)
		return time.Time{}, false
	}
	ts = ts.UTC()
	if ts.Before(cwMinTime) || ts.After(cwMaxTime) {
		if t.err == nil {
			t.err = invalidParam(svcCloudWatch, fmt.Sprintf("The parameter %s must be between %s and %s.", member(parent, name), cwMinTime.Format(time.RFC3339), cwMaxTime.Format(time.RFC3339)))
		}
		return time.Time{}, false
	}
	return ts, true
}

func parseISOTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if ts, err := time.Parse(layout, s); err == nil {
			return ts, nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 time: %q", s)
}

func (t *cwTree) structure(m map[string]any, name, parent string) (map[string]any, bool) {
	v, ok := t.get(m, name)
	if !ok {
		return nil, false
	}
	s, isMap := v.(map[string]any)
	if !isMap {
		if str, isStr := v.(string); isStr && str == "" && t.proto == protoQuery {
			return map[string]any{}, true
		}
		t.typeErr(member(parent, name), "a structure", v)
		return nil, false
	}
	return s, true
}

// list returns a list member's items. In awsQuery a list is
// "Name.member.N" (N from 1) or "Name=" for an empty list.
func (t *cwTree) list(m map[string]any, name, parent string) ([]any, bool) {
	v, ok := t.get(m, name)
	if !ok {
		return nil, false
	}
	if t.proto != protoQuery {
		l, isList := v.([]any)
		if !isList {
			t.typeErr(member(parent, name), "a list", v)
			return nil, false
		}
		return l, true
	}
	if s, isStr := v.(string); isStr && s == "" {
		return []any{}, true
	}
	wrap, isMap := v.(map[string]any)
	members, ok2 := wrap["member"].(map[string]any)
	if !isMap || !ok2 || len(wrap) != 1 {
		t.typeErr(member(parent, name), "a list ("+member(parent, name)+".member.N)", v)
		return nil, false
	}
	idx := make([]int, 0, len(members))
	for k := range members {
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 || n > 1<<16 {
			if t.err == nil {
				t.err = invalidParam(svcCloudWatch, fmt.Sprintf("The list index %q of parameter %s is not a positive integer.", k, member(parent, name)))
			}
			return nil, false
		}
		idx = append(idx, n)
	}
	sort.Ints(idx)
	out := make([]any, len(idx))
	for i, n := range idx {
		out[i] = members[strconv.Itoa(n)]
	}
	return out, true
}

// member joins a member name to a path ("" at the top level).
func member(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// item names a list item in errors.
func itemPath(path string, i int) string { return path + ".member." + strconv.Itoa(i+1) }

// cwWriter writes a response shape in one protocol. Struct and list sizes
// are given up front (CBOR uses definite lengths).
type cwWriter interface {
	beginStruct(n int)
	endStruct()
	field(name string)
	beginList(n int)
	endList()
	beginMap(n int)
	endMap()
	mapKey(k string)
	str(s string)
	num(v float64)
	ts(t time.Time)
	bytes() []byte
}

// --- CBOR ---

type cborWriter struct{ b []byte }

func (w *cborWriter) head(major byte, n uint64) {
	switch {
	case n < 24:
		w.b = append(w.b, major<<5|byte(n))
	case n <= math.MaxUint8:
		w.b = append(w.b, major<<5|24, byte(n))
	case n <= math.MaxUint16:
		w.b = append(w.b, major<<5|25)
		w.b = binary.BigEndian.AppendUint16(w.b, uint16(n))
	case n <= math.MaxUint32:
		w.b = append(w.b, major<<5|26)
		w.b = binary.BigEndian.AppendUint32(w.b, uint32(n))
	default:
		w.b = append(w.b, major<<5|27)
		w.b = binary.BigEndian.AppendUint64(w.b, n)
	}
}

func (w *cborWriter) beginStruct(n int) { w.head(5, uint64(n)) }
func (w *cborWriter) endStruct()        {}
func (w *cborWriter) field(name string) { w.str(name) }
func (w *cborWriter) beginList(n int)   { w.head(4, uint64(n)) }
func (w *cborWriter) endList()          {}
func (w *cborWriter) beginMap(n int)    { w.head(5, uint64(n)) }
func (w *cborWriter) endMap()           {}
func (w *cborWriter) mapKey(k string)   { w.str(k) }
func (w *cborWriter) bytes() []byte     { return w.b }

func (w *cborWriter) str(s string) {
	w.head(3, uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *cborWriter) num(v float64) {
	w.b = append(w.b, 0xfb)
	w.b = binary.BigEndian.AppendUint64(w.b, math.Float64bits(v))
}

// ts writes tag 1 with integer seconds, or a float when the time has a
// fraction of a second.
func (w *cborWriter) ts(t time.Time) {
	w.b = append(w.b, 0xc1)
	sec := t.Unix()
	if ns := t.Nanosecond(); ns != 0 {
		w.num(float64(sec) + float64(ns)/1e9)
		return
	}
	if sec >= 0 {
		w.head(0, uint64(sec))
	} else {
		w.head(1, uint64(-1-sec))
	}
}

// --- JSON ---

type jsonWriter struct {
	b []byte
	// first[i] is whether the container at depth i has no element yet;
	// list[i] whether it is a list.
	first, list []bool
}

func (w *jsonWriter) sep() {
	if n := len(w.first); n > 0 {
		if !w.first[n-1] {
			w.b = append(w.b, ',')
		}
		w.first[n-1] = false
	}
}

// value prepares a value: a separator inside lists (members get theirs
// from field).
func (w *jsonWriter) value() {
	if n := len(w.list); n > 0 && w.list[n-1] {
		w.sep()
	}
}

func (w *jsonWriter) beginStruct(int) {
	w.value()
	w.b = append(w.b, '{')
	w.push(false)
}

func (w *jsonWriter) push(list bool) {
	w.first = append(w.first, true)
	w.list = append(w.list, list)
}

func (w *jsonWriter) pop() {
	w.first = w.first[:len(w.first)-1]
	w.list = w.list[:len(w.list)-1]
}

func (w *jsonWriter) endStruct() {
	w.pop()
	w.b = append(w.b, '}')
}

func (w *jsonWriter) field(name string) {
	w.sep()
	w.b = strconv.AppendQuote(w.b, name)
	w.b = append(w.b, ':')
}

func (w *jsonWriter) beginList(int) {
	w.value()
	w.b = append(w.b, '[')
	w.push(true)
}

func (w *jsonWriter) endList() {
	w.pop()
	w.b = append(w.b, ']')
}

func (w *jsonWriter) beginMap(n int) { w.beginStruct(n) }
func (w *jsonWriter) endMap()        { w.endStruct() }
func (w *jsonWriter) mapKey(k string) {
	w.field(k)
}

func (w *jsonWriter) str(s string) {
	w.value()
	b, _ := json.Marshal(s) // escapes like encoding/json (HTML-safe)
	w.b = append(w.b, b...)
}

func (w *jsonWriter) num(v float64) {
	w.value()
	switch {
	case math.IsNaN(v):
		w.b = append(w.b, `"NaN"`...)
	case math.IsInf(v, 1):
		w.b = append(w.b, `"Infinity"`...)
	case math.IsInf(v, -1):
		w.b = append(w.b, `"-Infinity"`...)
	default:
		w.b = strconv.AppendFloat(w.b, v, 'g', -1, 64)
	}
}

// ts writes epoch seconds.
func (w *jsonWriter) ts(t time.Time) {
	w.value()
	if t.Nanosecond() == 0 {
		w.b = strconv.AppendInt(w.b, t.Unix(), 10)
		return
	}
	w.b = strconv.AppendFloat(w.b, float64(t.UnixMilli())/1e3, 'f', -1, 64)
}

func (w *jsonWriter) bytes() []byte { return w.b }

// --- XML (awsQuery) ---

type xmlFrame struct {
	name string
	kind byte // 's' struct, 'l' list, 'm' map
}

type xmlWriter struct {
	b       []byte
	stack   []xmlFrame
	pending string
	inEntry bool
}

// open names the element of the next value: "member" in a list, "value"
// in a map entry, else the pending field name.
func (w *xmlWriter) open() string {
	if n := len(w.stack); n > 0 {
		switch w.stack[n-1].kind {
		case 'l':
			return "member"
		case 'm':
			return "value"
		}
	}
	return w.pending
}

func (w *xmlWriter) start(name string) {
	w.b = append(w.b, '<')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

func (w *xmlWriter) end(name string) {
	w.b = append(w.b, "</"...)
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
	if n := len(w.stack); n > 0 && w.stack[n-1].kind == 'm' && w.inEntry {
		w.b = append(w.b, "</entry>"...)
		w.inEntry = false
	}
}

func (w *xmlWriter) beginStruct(int) {
	if len(w.stack) == 0 && w.pending == "" {
		w.stack = append(w.stack, xmlFrame{kind: 's'}) // the Result element, written by the caller
		return
	}
	name := w.open()
	w.start(name)
	w.stack = append(w.stack, xmlFrame{name: name, kind: 's'})
}

func (w *xmlWriter) endStruct() {
	f := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	if f.name != "" {
		w.end(f.name)
	}
}

func (w *xmlWriter) field(name string) { w.pending = name }

func (w *xmlWriter) beginList(int) {
	name := w.open()
	w.start(name)
	w.stack = append(w.stack, xmlFrame{name: name, kind: 'l'})
}

func (w *xmlWriter) endList() {
	f := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	w.end(f.name)
}

func (w *xmlWriter) beginMap(int) {
	name := w.open()
	w.start(name)
	w.stack = append(w.stack, xmlFrame{name: name, kind: 'm'})
}

func (w *xmlWriter) endMap() {
	f := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	w.end(f.name)
}

func (w *xmlWriter) mapKey(k string) {
	w.b = append(w.b, "<entry><key>"...)
	w.b = appendXMLText(w.b, k)
	w.b = append(w.b, "</key>"...)
	w.inEntry = true
}

func (w *xmlWriter) scalar(text []byte, s string) {
	name := w.open()
	w.start(name)
	if text != nil {
		w.b = append(w.b, text...)
	} else {
		w.b = appendXMLText(w.b, s)
	}
	w.end(name)
}

func (w *xmlWriter) str(s string) { w.scalar(nil, s) }

func (w *xmlWriter) num(v float64) {
	var buf [32]byte
	var text []byte
	switch {
	case math.IsNaN(v):
		text = append(buf[:0], "NaN"...)
	case math.IsInf(v, 1):
		text = append(buf[:0], "Infinity"...)
	case math.IsInf(v, -1):
		text = append(buf[:0], "-Infinity"...)
	default:
		text = strconv.AppendFloat(buf[:0], v, 'g', -1, 64)
	}
	w.scalar(text, "")
}

func (w *xmlWriter) ts(t time.Time) {
	var buf [40]byte
	w.scalar(t.UTC().AppendFormat(buf[:0], "2006-01-02T15:04:05.999Z07:00"), "")
}

func (w *xmlWriter) bytes() []byte { return w.b }

func appendXMLText(b []byte, s string) []byte {
	for _, r := range s {
		switch r {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		case '\r':
			b = append(b, "&#xD;"...)
		case utf8.RuneError:
			b = append(b, "\uFFFD"...)
		default:
			if r < 0x20 && r != '\n' && r != '\t' {
				b = append(b, "\uFFFD"...)
				continue
			}
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// newCWWriter starts a response body in the protocol.
func newCWWriter(p protocol, op string, sizeHint int) cwWriter {
	switch p {
	case protoCBOR:
		return &cborWriter{b: make([]byte, 0, sizeHint)}
	case protoJSON10:
		return &jsonWriter{b: make([]byte, 0, sizeHint)}
	}
	w := &xmlWriter{b: make([]byte, 0, sizeHint+256)}
	w.b = append(w.b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<"...)
	w.b = append(w.b, op...)
	w.b = append(w.b, `Response xmlns="`...)
	w.b = append(w.b, queryXMLNS[svcCloudWatch]...)
	w.b = append(w.b, `"><`...)
	w.b = append(w.b, op...)
	w.b = append(w.b, "Result>"...)
	return w
}

// writeCW sends a response body written by newCWWriter.
func writeCW(w http.ResponseWriter, p protocol, op, reqID string, cw cwWriter) {
	h := w.Header()
	h.Set("X-Amzn-Requestid", reqID)
	body := cw.bytes()
	switch p {
	case protoCBOR:
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
	case protoJSON10:
		h.Set("Content-Type", "application/x-amz-json-1.0")
	default:
		h.Set("Content-Type", "text/xml")
		body = append(body, "</"...)
		body = append(body, op...)
		body = append(body, "Result><ResponseMetadata><RequestId>"...)
		body = appendXMLText(body, reqID)
		body = append(body, "</RequestId></ResponseMetadata></"...)
		body = append(body, op...)
		body = append(body, "Response>\n"...)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// readBody reads a request body under the server's limit.
func readBody(r *http.Request) ([]byte, *apiError) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= 1<<20 {
		buf.Grow(int(n) + 1) // +1: ReadFrom stops without growing at EOF
	}
	_, err := buf.ReadFrom(r.Body)
	b := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apiError{Status: 413, Code: "RequestEntityTooLarge", Message: fmt.Sprintf("Request size exceeded %d bytes", mbe.Limit)}
		}
		return nil, &apiError{Status: 400, Code: "IncompleteBody", Message: "the request body could not be read: " + err.Error()}
	}
	return b, nil
}
