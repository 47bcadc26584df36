package logsql

import (
	"math"
	"strings"
	"unicode/utf8"
)

// env is the evaluation environment of compiled expressions: the record
// being scanned (nil after stats) and the slots that hold computed fields,
// group values, aggregate results or result columns.
type env struct {
	rec   Record
	slots []Value
}

// evalFn is a compiled expression.
type evalFn func(*env) Value

type mode uint8

const (
	// modeRecord: names resolve to computed fields, else record fields.
	modeRecord mode = iota
	// modeStats: a stats item; aggregates allowed, names resolve to by
	// groups and earlier items.
	modeStats
	// modeRow: after stats; names resolve to result columns.
	modeRow
)

type scope struct {
	mode  mode
	names map[string]int // name → slot
	texts map[string]int // modeRow: column text without white space → slot

	// modeStats only.
	rec     *scope     // scope of aggregate arguments
	aggs    *[]aggSpec // aggregates collected so far
	aggBase int        // slot of the first aggregate
}

// compiler turns parsed expressions into closures.
type compiler struct {
	src    string
	read   map[string]bool // record fields read
	minBin int64
}

func slotFn(i int) evalFn { return func(e *env) Value { return e.slots[i] } }

func constFn(v Value) evalFn { return func(*env) Value { return v } }

func fieldFn(name string) evalFn {
	return func(e *env) Value {
		v, ok := e.rec.Field(name)
		if !ok {
			return Value{}
		}
		return v
	}
}

func timestampFn(e *env) Value { return Timestamp(e.rec.Timestamp()) }

// normText removes white space, so that `count( * )` finds `count(*)`.
func normText(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			return -1
		}
		return r
	}, s)
}

func (c *compiler) compile(n *node, sc *scope) (evalFn, *SyntaxError) {
	if sc.mode == modeRow {
		if i, ok := sc.texts[normText(c.src[n.start:n.end])]; ok {
			return slotFn(i), nil
		}
	}
	switch n.op {
	case nNum:
		return constFn(Num(n.num)), nil
	case nStr:
		return constFn(Str(n.str)), nil
	case nField:
		return c.compileField(n, sc)
	case nNeg:
		x, err := c.compile(n.args[0], sc)
		if err != nil {
			return nil, err
		}
		return func(e *env) Value {
			if v := x(e); v.IsNum() {
				return Num(-v.f)
			}
			return Value{}
		}, nil
	case nNot:
		x, err := c.compile(n.args[0], sc)
		if err != nil {
			return nil, err
		}
		return func(e *env) Value { return boolV(!x(e).truthy()) }, nil
	case nBin:
		return c.compileBinary(n, sc)
	case nLike:
		return c.compileLike(n, sc)
	case nIn:
		return c.compileIn(n, sc)
	case nCall:
		return c.compileCall(n, sc)
	}
	return nil, errAt(n.tok, "unexpected token", "not an expression")
}

func (c *compiler) compileField(n *node, sc *scope) (evalFn, *SyntaxError) {
	if i, ok := sc.names[n.str]; ok {
		return slotFn(i), nil
	}
	switch sc.mode {
	case modeStats:
		return nil, errAt(n.tok, "field", "a field in stats must be inside an aggregate function, or name a by group or an earlier stats item")
	case modeRow:
		return nil, errAt(n.tok, "unknown field", "after stats only the stats result columns can be used")
	}
	c.read[n.str] = true
	if n.str == "@timestamp" {
		return timestampFn, nil
	}
	return fieldFn(n.str), nil
}

type cmpCode uint8

const (
	cmpEq cmpCode = iota
	cmpNe
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

var cmpCodes = map[string]cmpCode{"=": cmpEq, "!=": cmpNe, "<": cmpLt, "<=": cmpLe, ">": cmpGt, ">=": cmpGe}

// compareTest compares numbers numerically and strings lexically; a
// comparison of mixed kinds or with an absent value is false.
func compareTest(code cmpCode, a, b Value) bool {
	var r int
	switch {
	case a.IsNum() && b.IsNum():
		switch {
		case a.f < b.f:
			r = -1
		case a.f > b.f:
			r = 1
		}
	case a.k == kindStr && b.k == kindStr:
		switch code {
		case cmpEq:
			return a.s == b.s
		case cmpNe:
			return a.s != b.s
		}
		r = strings.Compare(a.s, b.s)
	default:
		return false
	}
	switch code {
	case cmpEq:
		return r == 0
	case cmpNe:
		return r != 0
	case cmpLt:
		return r < 0
	case cmpLe:
		return r <= 0
	case cmpGt:
		return r > 0
	}
	return r >= 0
}

func literal(n *node) (Value, bool) {
	switch n.op {
	case nNum:
		return Num(n.num), true
	case nStr:
		return Str(n.str), true
	}
	return Value{}, false
}

func (c *compiler) compileBinary(n *node, sc *scope) (evalFn, *SyntaxError) {
	l, err := c.compile(n.args[0], sc)
	if err != nil {
		return nil, err
	}
	r, err := c.compile(n.args[1], sc)
	if err != nil {
		return nil, err
	}
	switch n.str {
	case "and":
		return func(e *env) Value { return boolV(l(e).truthy() && r(e).truthy()) }, nil
	case "or":
		return func(e *env) Value { return boolV(l(e).truthy() || r(e).truthy()) }, nil
	case "+", "-", "*", "/", "%":
		return arith(n.str[0], l, r), nil
	}
	code, ok := cmpCodes[n.str]
	if !ok {
		return nil, errAt(n.tok, "unexpected symbol", "not an operator")
	}
	if rv, ok := literal(n.args[1]); ok && sc.mode != modeRow {
		return func(e *env) Value { return boolV(compareTest(code, l(e), rv)) }, nil
	}
	return func(e *env) Value { return boolV(compareTest(code, l(e), r(e))) }, nil
}

// arith applies an arithmetic operator to two numbers; anything else, and
// division by zero, gives the absent value.
func arith(op byte, l, r evalFn) evalFn {
	switch op {
	case '+':
		return func(e *env) Value {
			a, b := l(e), r(e)
			if !a.IsNum() || !b.IsNum() {
				return Value{}
			}
			return Num(a.f + b.f)
		}
	case '-':
		return func(e *env) Value {
			a, b := l(e), r(e)
			if !a.IsNum() || !b.IsNum() {
				return Value{}
			}
			return Num(a.f - b.f)
		}
	case '*':
		return func(e *env) Value {
			a, b := l(e), r(e)
			if !a.IsNum() || !b.IsNum() {
				return Value{}
			}
			return Num(a.f * b.f)
		}
	case '/':
		return func(e *env) Value {
			a, b := l(e), r(e)
			if !a.IsNum() || !b.IsNum() || b.f == 0 {
				return Value{}
			}
			return Num(a.f / b.f)
		}
	}
	return func(e *env) Value {
		a, b := l(e), r(e)
		if !a.IsNum() || !b.IsNum() || b.f == 0 {
			return Value{}
		}
		return Num(math.Mod(a.f, b.f))
	}
}

func (c *compiler) compileLike(n *node, sc *scope) (evalFn, *SyntaxError) {
	x, err := c.compile(n.args[0], sc)
	if err != nil {
		return nil, err
	}
	neg := n.neg
	if re := n.re; re != nil {
		return func(e *env) Value {
			v := x(e)
			return boolV((v.k == kindStr && re.MatchString(v.s)) != neg)
		}, nil
	}
	sub := n.str
	return func(e *env) Value {
		v := x(e)
		return boolV((v.k == kindStr && strings.Contains(v.s, sub)) != neg)
	}, nil
}

func (c *compiler) compileIn(n *node, sc *scope) (evalFn, *SyntaxError) {
	x, err := c.compile(n.args[0], sc)
	if err != nil {
		return nil, err
	}
	list := make([]Value, 0, len(n.args)-1)
	for _, a := range n.args[1:] {
		v, _ := literal(a)
		list = append(list, v)
	}
	neg := n.neg
	return func(e *env) Value {
		v := x(e)
		found := false
		for _, lv := range list {
			if compareTest(cmpEq, v, lv) {
				found = true
				break
			}
		}
		return boolV(found != neg)
	}, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func (c *compiler) compileCall(n *node, sc *scope) (evalFn, *SyntaxError) {
	spec := funcs[n.str]
	if spec.agg != aggNone {
		return c.compileAgg(n, sc, spec.agg)
	}
	if n.str == "bin" {
		if sc.mode != modeRecord {
			return nil, errAt(n.tok, "misplaced function", "bin() is only valid in a by clause or before stats")
		}
		period := n.dur
		if c.minBin == 0 || period < c.minBin {
			c.minBin = period
		}
		return func(e *env) Value {
			return Timestamp(floorDiv(e.rec.Timestamp(), period) * period)
		}, nil
	}
	args := make([]evalFn, len(n.args))
	for i, a := range n.args {
		f, err := c.compile(a, sc)
		if err != nil {
			return nil, err
		}
		args[i] = f
	}
	x := args[0]
	switch n.str {
	case "strcontains":
		sub := args[1]
		return func(e *env) Value {
			s, t := x(e), sub(e)
			switch {
			case s.k == kindStr && t.k == kindStr:
				return boolV(strings.Contains(s.s, t.s))
			case s.IsPresent() && t.IsPresent():
				return boolV(strings.Contains(s.String(), t.String()))
			}
			return Value{}
		}, nil
	case "ispresent":
		return func(e *env) Value { return boolV(x(e).IsPresent()) }, nil
	case "isempty":
		return func(e *env) Value {
			v := x(e)
			return boolV(v.k == kindAbsent || v.k == kindStr && v.s == "")
		}, nil
	case "abs":
		return mathFn(x, math.Abs), nil
	case "ceil":
		return mathFn(x, math.Ceil), nil
	case "floor":
		return mathFn(x, math.Floor), nil
	case "sqrt":
		return mathFn(x, math.Sqrt), nil
	case "strlen":
		return func(e *env) Value {
			switch v := x(e); v.k {
			case kindStr:
				return Num(float64(utf8.RuneCountInString(v.s)))
			case kindNum, kindTime:
				return Num(float64(utf8.RuneCountInString(v.String())))
			}
			return Value{}
		}, nil
	case "tolower":
		return strFn(x, strings.ToLower), nil
	case "toupper":
		return strFn(x, strings.ToUpper), nil
	}
	return nil, errAt(n.tok, "unknown function", "the supported functions are "+funcList)
}

func mathFn(x evalFn, f func(float64) float64) evalFn {
	return func(e *env) Value {
		if v := x(e); v.IsNum() {
			return Num(f(v.f))
		}
		return Value{}
	}
}

func strFn(x evalFn, f func(string) string) evalFn {
	return func(e *env) Value {
		v := x(e)
		if v.k == kindStr {
			return Str(f(v.s))
		}
		return v
	}
}

func (c *compiler) compileAgg(n *node, sc *scope, kind aggKind) (evalFn, *SyntaxError) {
	if sc.mode != modeStats {
		return nil, errAt(n.tok, "misplaced aggregate function", "aggregate functions are only valid in stats, and cannot be nested")
	}
	a := aggSpec{kind: kind}
	if kind == aggCount && n.star {
		a.kind = aggCountAll
	}
	if len(n.args) > 0 {
		f, err := c.compile(n.args[0], sc.rec)
		if err != nil {
			return nil, err
		}
		a.arg = f
	}
	if kind == aggPct {
		a.p = n.args[1].num
	}
	*sc.aggs = append(*sc.aggs, a)
	return slotFn(sc.aggBase + len(*sc.aggs) - 1), nil
}
