package logsql

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

type nodeOp uint8

const (
	nNum   nodeOp = iota // number literal
	nStr                 // string literal
	nField               // field reference (str: the name)
	nNeg                 // unary minus
	nNot                 // not
	nBin                 // binary operator (str: the operator, and/or in lower case)
	nLike                // like / not like / =~ (str: substring, or re)
	nIn                  // in / not in (args[0]: subject, args[1:]: literals)
	nCall                // function call (str: lower-case name)
)

// node is one expression node of the parsed query.
type node struct {
	op         nodeOp
	tok        token // the token named in errors about this node
	start, end int   // source span, for default column names
	num        float64
	str        string
	re         *regexp.Regexp
	neg        bool  // not like, not in
	star       bool  // count(*) or count()
	dur        int64 // bin() period in milliseconds
	args       []*node
}

type cmdKind uint8

const (
	cmdFields cmdKind = iota
	cmdDisplay
	cmdFilter
	cmdStats
	cmdSort
	cmdLimit
)

type item struct {
	e     *node
	alias string
	name  string // alias, field name, or expression text
}

type sortItem struct {
	e    *node
	desc bool
}

type command struct {
	kind  cmdKind
	tok   token // the command keyword
	items []item
	by    []item
	expr  *node
	sorts []sortItem
	limit int
}

// funcSpec describes a function of the subset.
type funcSpec struct {
	minArgs, maxArgs int
	agg              aggKind
}

var funcs = map[string]funcSpec{
	"strcontains": {2, 2, aggNone},
	"ispresent":   {1, 1, aggNone},
	"isempty":     {1, 1, aggNone},
	"abs":         {1, 1, aggNone},
	"ceil":        {1, 1, aggNone},
	"floor":       {1, 1, aggNone},
	"sqrt":        {1, 1, aggNone},
	"strlen":      {1, 1, aggNone},
	"tolower":     {1, 1, aggNone},
	"toupper":     {1, 1, aggNone},
	"bin":         {0, 0, aggNone}, // takes a period token, see parseCall
	"count":       {0, 1, aggCount},
	"sum":         {1, 1, aggSum},
	"avg":         {1, 1, aggAvg},
	"min":         {1, 1, aggMin},
	"max":         {1, 1, aggMax},
	"pct":         {2, 2, aggPct},
	"percentile":  {2, 2, aggPct},
}

const funcList = "strcontains, ispresent, isempty, abs, ceil, floor, sqrt, strlen, tolower, toupper, bin, " +
	"and in stats count, sum, avg, min, max, pct, percentile"

// reserved words cannot be bare field names (quote them with backticks).
var reserved = map[string]bool{
	"and": true, "or": true, "not": true, "like": true, "in": true,
	"as": true, "by": true, "asc": true, "desc": true,
}

var commands = map[string]cmdKind{
	"fields": cmdFields, "display": cmdDisplay, "filter": cmdFilter,
	"stats": cmdStats, "sort": cmdSort, "limit": cmdLimit,
}

// Logs Insights commands outside the subset, refused as unsupported
// rather than unknown.
var unsupportedCommands = map[string]bool{
	"parse": true, "dedup": true, "unmask": true, "pattern": true, "diff": true,
	"source": true, "filterindex": true, "anomaly": true, "lookup": true, "unnest": true,
}

// maxDepth bounds expression nesting so that no input can exhaust the stack.
const maxDepth = 200

// maxLimit is the largest row count Logs Insights returns.
const maxLimit = 10000

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func isKw(t token, kw string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, kw) }

func isOp(t token, op string) bool { return t.kind == tokOp && t.text == op }

// unexpected reports token t where something else was expected. At the
// end of the query it names the last token before the end.
func (p *parser) unexpected(t token, msg string) *SyntaxError {
	if t.kind == tokEOF {
		if len(p.toks) < 2 {
			return &SyntaxError{Pos: t.pos, Msg: msg, what: "empty query"}
		}
		prev := p.toks[len(p.toks)-2]
		return errAt(prev, "unexpected end of query after", msg)
	}
	return errAt(t, "unexpected "+kindWord(t), msg)
}

// unclosed reports a missing closing bracket: at the end of the query it
// names the opening one, otherwise the token found instead.
func (p *parser) unclosed(open, got token, want string) *SyntaxError {
	if got.kind == tokEOF {
		return errAt(open, "unclosed", fmt.Sprintf("missing %q", want))
	}
	return p.unexpected(got, fmt.Sprintf("expected %q", want))
}

func kindWord(t token) string {
	switch t.kind {
	case tokIdent:
		l := strings.ToLower(t.text)
		if reserved[l] {
			return "keyword"
		}
		if _, ok := commands[l]; ok {
			return "keyword"
		}
		return "identifier"
	case tokQuoted:
		return "identifier"
	case tokNum:
		return "number"
	case tokDur:
		return "duration"
	case tokStr:
		return "string"
	case tokRegex:
		return "regex"
	}
	return "symbol"
}

func (p *parser) parseQuery() ([]*command, error) {
	var cmds []*command
	for {
		c, err := p.parseCommand()
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, c)
		t := p.peek()
		if t.kind == tokEOF {
			return cmds, nil
		}
		if !isOp(t, "|") {
			return nil, p.unexpected(t, `expected "|" or the end of the query`)
		}
		p.advance()
	}
}

func (p *parser) parseCommand() (*command, error) {
	t := p.peek()
	if t.kind != tokIdent {
		return nil, p.unexpected(t, "expected a command (fields, filter, stats, sort, limit, display)")
	}
	name := strings.ToLower(t.text)
	kind, ok := commands[name]
	if !ok {
		if unsupportedCommands[name] {
			return nil, errAt(t, "unsupported command", "the supported commands are fields, filter, stats, sort, limit and display")
		}
		return nil, errAt(t, "unknown command", "the supported commands are fields, filter, stats, sort, limit and display")
	}
	p.advance()
	c := &command{kind: kind, tok: t}
	var err error
	switch kind {
	case cmdFields:
		c.items, err = p.parseItems()
	case cmdDisplay:
		c.items, err = p.parseNames()
	case cmdFilter:
		c.expr, err = p.parseExpr()
	case cmdStats:
		c.items, err = p.parseItems()
		if err == nil && isKw(p.peek(), "by") {
			p.advance()
			c.by, err = p.parseItems()
		}
	case cmdSort:
		c.sorts, err = p.parseSorts()
	case cmdLimit:
		c.limit, err = p.parseLimit()
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// parseItems parses `expr [as alias], ...`.
func (p *parser) parseItems() ([]item, error) {
	var items []item
	for {
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		it := item{e: e}
		if isKw(p.peek(), "as") {
			p.advance()
			it.alias, err = p.parseName()
			if err != nil {
				return nil, err
			}
		}
		it.name = p.itemName(it)
		items = append(items, it)
		if !isOp(p.peek(), ",") {
			return items, nil
		}
		p.advance()
	}
}

func (p *parser) itemName(it item) string {
	switch {
	case it.alias != "":
		return it.alias
	case it.e.op == nField:
		return it.e.str
	}
	return p.src[it.e.start:it.e.end]
}

// parseName parses an alias: a bare identifier that is not a keyword, or
// a backtick-quoted name.
func (p *parser) parseName() (string, error) {
	t := p.advance()
	switch {
	case t.kind == tokQuoted:
		return t.val, nil
	case t.kind == tokIdent && !reserved[strings.ToLower(t.text)]:
		return t.val, nil
	}
	return "", p.unexpected(t, "expected a name")
}

// parseNames parses the field list of display.
func (p *parser) parseNames() ([]item, error) {
	var items []item
	for {
		t := p.peek()
		if (t.kind != tokIdent && t.kind != tokQuoted) || reserved[strings.ToLower(t.text)] && t.kind == tokIdent {
			return nil, p.unexpected(t, "expected a field name")
		}
		if isOp(p.peekAt(1), "(") {
			return nil, p.unexpected(t, "display takes field names, not expressions")
		}
		p.advance()
		e := &node{op: nField, tok: t, str: t.val, start: t.pos, end: t.end}
		items = append(items, item{e: e, name: t.val})
		if !isOp(p.peek(), ",") {
			return items, nil
		}
		p.advance()
	}
}

func (p *parser) parseSorts() ([]sortItem, error) {
	var sorts []sortItem
	for {
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		s := sortItem{e: e}
		switch t := p.peek(); {
		case isKw(t, "desc"):
			s.desc = true
			p.advance()
		case isKw(t, "asc"):
			p.advance()
		}
		sorts = append(sorts, s)
		if !isOp(p.peek(), ",") {
			return sorts, nil
		}
		p.advance()
	}
}

func (p *parser) parseLimit() (int, error) {
	t := p.advance()
	if t.kind != tokNum {
		return 0, p.unexpected(t, "expected a row count")
	}
	if t.num != math.Trunc(t.num) || t.num < 1 || t.num > maxLimit {
		return 0, errAt(t, "invalid limit", fmt.Sprintf("expected a whole number from 1 to %d", maxLimit))
	}
	return int(t.num), nil
}

func (p *parser) parseExpr() (*node, error) { return p.parseOr() }

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return errAt(t, "expression nested too deeply at", fmt.Sprintf("more than %d levels", maxDepth))
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func binNode(op token, opName string, l, r *node) *node {
	return &node{op: nBin, tok: op, str: opName, start: l.start, end: r.end, args: []*node{l, r}}
}

func (p *parser) parseOr() (*node, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for isKw(p.peek(), "or") {
		t := p.advance()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = binNode(t, "or", l, r)
	}
	return l, nil
}

func (p *parser) parseAnd() (*node, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for isKw(p.peek(), "and") {
		t := p.advance()
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = binNode(t, "and", l, r)
	}
	return l, nil
}

func (p *parser) parseNot() (*node, error) {
	t := p.peek()
	if !isKw(t, "not") {
		return p.parseCmp()
	}
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer p.leave()
	p.advance()
	x, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	return &node{op: nNot, tok: t, start: t.pos, end: x.end, args: []*node{x}}, nil
}

func (p *parser) parseCmp() (*node, error) {
	l, err := p.parseAdd()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tokOp && (t.text == "=" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		p.advance()
		r, err := p.parseAdd()
		if err != nil {
			return nil, err
		}
		return binNode(t, t.text, l, r), nil
	case isOp(t, "=~"):
		p.advance()
		return p.parseLikeRHS(l, t, false, true)
	case isKw(t, "like"):
		p.advance()
		return p.parseLikeRHS(l, t, false, false)
	case isKw(t, "in"):
		p.advance()
		return p.parseIn(l, t, false)
	case isKw(t, "not") && isKw(p.peekAt(1), "like"):
		p.advance()
		p.advance()
		return p.parseLikeRHS(l, t, true, false)
	case isKw(t, "not") && isKw(p.peekAt(1), "in"):
		p.advance()
		p.advance()
		return p.parseIn(l, t, true)
	}
	return l, nil
}

func (p *parser) parseLikeRHS(l *node, op token, neg, regexOnly bool) (*node, error) {
	t := p.advance()
	n := &node{op: nLike, tok: op, neg: neg, start: l.start, end: t.end, args: []*node{l}}
	switch {
	case t.kind == tokRegex:
		re, err := regexp.Compile(t.val)
		if err != nil {
			return nil, errAt(t, "invalid regex", err.Error())
		}
		n.re = re
		return n, nil
	case t.kind == tokStr && !regexOnly:
		n.str = t.val
		return n, nil
	case regexOnly:
		return nil, p.unexpected(t, "expected a /regex/ after =~")
	}
	return nil, p.unexpected(t, "expected a \"string\" or /regex/ after like")
}

func (p *parser) parseIn(l *node, op token, neg bool) (*node, error) {
	open := p.advance()
	if !isOp(open, "[") {
		return nil, p.unexpected(open, `expected "[" after in`)
	}
	n := &node{op: nIn, tok: op, neg: neg, start: l.start, args: []*node{l}}
	if isOp(p.peek(), "]") {
		n.end = p.advance().end
		return n, nil
	}
	for {
		lit, err := p.parseLiteral()
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, lit)
		t := p.advance()
		if isOp(t, "]") {
			n.end = t.end
			return n, nil
		}
		if !isOp(t, ",") {
			if t.kind == tokEOF {
				return nil, p.unclosed(open, t, "]")
			}
			return nil, p.unexpected(t, `expected "," or "]"`)
		}
	}
}

// parseLiteral parses a string or (possibly negative) number literal.
func (p *parser) parseLiteral() (*node, error) {
	t := p.advance()
	switch {
	case t.kind == tokStr:
		return &node{op: nStr, tok: t, str: t.val, start: t.pos, end: t.end}, nil
	case t.kind == tokNum:
		return &node{op: nNum, tok: t, num: t.num, start: t.pos, end: t.end}, nil
	case isOp(t, "-") && p.peek().kind == tokNum:
		n := p.advance()
		return &node{op: nNum, tok: t, num: -n.num, start: t.pos, end: n.end}, nil
	}
	return nil, p.unexpected(t, "expected a string or number literal")
}

func (p *parser) parseAdd() (*node, error) {
	l, err := p.parseMul()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); isOp(t, "+") || isOp(t, "-"); t = p.peek() {
		p.advance()
		r, err := p.parseMul()
		if err != nil {
			return nil, err
		}
		l = binNode(t, t.text, l, r)
	}
	return l, nil
}

func (p *parser) parseMul() (*node, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); isOp(t, "*") || isOp(t, "/") || isOp(t, "%"); t = p.peek() {
		p.advance()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = binNode(t, t.text, l, r)
	}
	return l, nil
}

func (p *parser) parseUnary() (*node, error) {
	t := p.peek()
	if !isOp(t, "-") {
		return p.parsePrimary()
	}
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer p.leave()
	p.advance()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	if x.op == nNum {
		return &node{op: nNum, tok: t, num: -x.num, start: t.pos, end: x.end}, nil
	}
	return &node{op: nNeg, tok: t, start: t.pos, end: x.end, args: []*node{x}}, nil
}

func (p *parser) parsePrimary() (*node, error) {
	t := p.peek()
	switch t.kind {
	case tokNum:
		p.advance()
		return &node{op: nNum, tok: t, num: t.num, start: t.pos, end: t.end}, nil
	case tokStr:
		p.advance()
		return &node{op: nStr, tok: t, str: t.val, start: t.pos, end: t.end}, nil
	case tokQuoted:
		p.advance()
		return &node{op: nField, tok: t, str: t.val, start: t.pos, end: t.end}, nil
	case tokIdent:
		if reserved[strings.ToLower(t.text)] {
			return nil, p.unexpected(t, "expected an expression")
		}
		if isOp(p.peekAt(1), "(") {
			return p.parseCall()
		}
		p.advance()
		return &node{op: nField, tok: t, str: t.val, start: t.pos, end: t.end}, nil
	case tokDur:
		return nil, p.unexpected(t, "a number with a unit is only valid as the period of bin()")
	case tokRegex:
		return nil, p.unexpected(t, "a /regex/ is only valid after like, not like or =~")
	case tokOp:
		if t.text != "(" {
			break
		}
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		p.advance()
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		closing := p.advance()
		if !isOp(closing, ")") {
			return nil, p.unclosed(t, closing, ")")
		}
		// The span takes in the parentheses, so that the source text of
		// an enclosing expression stays balanced.
		e.start, e.end = t.pos, closing.end
		return e, nil
	}
	return nil, p.unexpected(t, "expected an expression")
}

func (p *parser) parseCall() (*node, error) {
	nameTok := p.advance()
	if err := p.enter(nameTok); err != nil {
		return nil, err
	}
	defer p.leave()
	open := p.advance() // "("
	name := strings.ToLower(nameTok.text)
	spec, ok := funcs[name]
	if !ok {
		return nil, errAt(nameTok, "unknown function", "the supported functions are "+funcList)
	}
	n := &node{op: nCall, tok: nameTok, str: name, start: nameTok.pos}
	switch {
	case name == "bin":
		t := p.advance()
		if t.kind != tokDur {
			return nil, p.unexpected(t, "expected a period with a unit, such as 5m, 1h or 1d")
		}
		ms, err := parsePeriod(t)
		if err != nil {
			return nil, err
		}
		n.dur = ms
	case name == "count" && isOp(p.peek(), ")"):
		n.star = true
	case name == "count" && isOp(p.peek(), "*"):
		p.advance()
		n.star = true
	case !isOp(p.peek(), ")"):
		for {
			a, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, a)
			if !isOp(p.peek(), ",") {
				break
			}
			p.advance()
		}
	}
	closing := p.advance()
	if !isOp(closing, ")") {
		return nil, p.unclosed(open, closing, ")")
	}
	n.end = closing.end
	if len(n.args) < spec.minArgs && !n.star || len(n.args) > spec.maxArgs {
		return nil, errAt(nameTok, "wrong number of arguments to", arity(name, spec))
	}
	if spec.agg == aggPct {
		pa := n.args[1]
		if pa.op != nNum || pa.num < 0 || pa.num > 100 {
			return nil, errAt(pa.tok, "invalid percentile", "the second argument of "+name+" must be a number from 0 to 100")
		}
	}
	return n, nil
}

func arity(name string, spec funcSpec) string {
	switch {
	case name == "count":
		return "count takes *, nothing or one expression"
	case spec.minArgs == 1 && spec.maxArgs == 1:
		return name + " takes one argument"
	case name == "pct" || name == "percentile":
		return name + " takes an expression and a percentile from 0 to 100"
	}
	return fmt.Sprintf("%s takes %d arguments", name, spec.maxArgs)
}

var periodUnits = map[string]int64{
	"ms": 1,
	"s":  1000,
	"m":  60 * 1000,
	"h":  3600 * 1000,
	"d":  24 * 3600 * 1000,
	"w":  7 * 24 * 3600 * 1000,
}

// maxPeriod bounds bin() periods (about 100 years) so that bin arithmetic
// cannot overflow.
const maxPeriod = int64(100 * 366 * 24 * 3600 * 1000)

// parsePeriod converts a bin() period such as 5m to milliseconds.
func parsePeriod(t token) (int64, error) {
	unit, ok := periodUnits[strings.ToLower(t.val)]
	if !ok {
		return 0, errAt(t, "invalid bin period", "the units are ms, s, m, h, d and w")
	}
	ms := t.num * float64(unit)
	if ms != math.Trunc(ms) || ms < 1 || ms > float64(maxPeriod) {
		return 0, errAt(t, "invalid bin period", "the period must be a whole number of milliseconds from 1ms to 100 years")
	}
	return int64(ms), nil
}
