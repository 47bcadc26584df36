package insights

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lambdaudit/lambdaudit/didyoumean"
)

// The config file is checked as a YAML tree before it is decoded, so that
// every error names the field, its line and what is accepted there — the
// nearest valid key for a misspelt one — and never a Go type, as the yaml
// package's own errors would ("field x not found in type
// insights.Override", "cannot unmarshal !!str into float64"). Where a list
// is expected a single value is accepted too (ignore: cold-starts, or
// "cold-starts, throttles"), and the tree is rewritten to the list the
// decoder wants.

// keySet is what a mapping of the config file accepts as keys.
type keySet struct {
	names []string
	// noun names a key in errors ("key", "rule", "threshold"); hint, when
	// set, says what a key looks like instead of listing names.
	noun, hint string
	// of follows the key in errors (" of near-timeout").
	of string
}

// Keys of the config file's fixed mappings.
var (
	topKeys      = keySet{names: []string{"rules", "ignore", "overrides", "report"}, noun: "key"}
	overrideKeys = keySet{names: []string{"match", "account", "region", "ignore", "thresholds"}, noun: "key"}
	reportKeys   = keySet{names: []string{"top", "movers"}, noun: "key"}
	ruleKeys     = keySet{names: Kinds, noun: "rule"}
)

// checkTree checks the document's keys and value shapes and turns a
// scalar where a list of rules is expected into that list.
func checkTree(doc *yaml.Node) error {
	if doc.Kind == 0 { // an empty file, or only comments
		return nil
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		doc = doc.Content[0]
	}
	return eachKey(doc, "", topKeys, func(key string, k, v *yaml.Node) error {
		switch key {
		case "rules":
			return eachKey(v, "rules", ruleKeys, func(kind string, _, v *yaml.Node) error {
				field := "rules." + kind
				return eachKey(v, field, keySet{names: paramNames(kind), noun: "threshold", of: " of " + kind}, func(name string, _, v *yaml.Node) error {
					return number(v, field+"."+name, params[paramIndex(kind, name)])
				})
			})
		case "ignore":
			return ruleList(v, "ignore")
		case "overrides":
			return overrides(v)
		case "report":
			return eachKey(v, "report", reportKeys, func(name string, _, v *yaml.Node) error {
				return integer(v, "report."+name, "an integer in [0, 1000] (0 = the default 10)")
			})
		}
		return nil
	})
}

func overrides(n *yaml.Node) error {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return shapeError(n, "overrides", "a list of overrides (- match: \"glob\" ...)")
	}
	for i, o := range n.Content {
		field := fmt.Sprintf("overrides[%d]", i)
		err := eachKey(o, field, overrideKeys, func(key string, _, v *yaml.Node) error {
			switch key {
			case "match", "account", "region":
				if v = resolve(v); v.Kind != yaml.ScalarNode || isNull(v) {
					return shapeError(v, field+"."+key, "a glob (path.Match syntax), e.g. \"legacy-*\"")
				}
			case "ignore":
				return ruleList(v, field+".ignore")
			case "thresholds":
				return eachKey(v, field+".thresholds", keySet{names: thresholdKeys(), noun: "threshold", hint: "keys are <rule>.<threshold>, e.g. near-timeout.warn"}, func(key string, _, v *yaml.Node) error {
					i, _ := parseParamKey(key)
					return number(v, field+".thresholds."+key, params[i])
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// thresholdKeys are every "kind.name" of the overrides' thresholds.
func thresholdKeys() []string {
	out := make([]string, 0, nParams)
	for _, p := range params {
		out = append(out, p.kind+"."+p.name)
	}
	return out
}

// eachKey checks that n is a mapping whose keys are among known (else an
// error suggesting the nearest), and calls fn for each entry.
func eachKey(n *yaml.Node, field string, known keySet, fn func(key string, k, v *yaml.Node) error) error {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		what := "a mapping of " + strings.Join(known.names, ", ")
		if len(known.names) > 6 || known.hint != "" {
			what = "a mapping (key: value)"
		}
		return shapeError(n, cmpField(field, "(top level)"), what)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if !contains(known.names, key) {
			return unknownKey(k, field, key, known)
		}
		if line, dup := seen[key]; dup {
			return &ConfigError{Field: joinField(field, key), Msg: fmt.Sprintf("set twice, at lines %d and %d", line, k.Line)}
		}
		seen[key] = k.Line
		if err := fn(key, k, v); err != nil {
			return err
		}
	}
	return nil
}

func joinField(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func cmpField(field, top string) string {
	if field == "" {
		return top
	}
	return field
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// unknownKey is the error for a key the config does not have.
func unknownKey(k *yaml.Node, parent, key string, known keySet) error {
	field := joinField(parent, key)
	msg := fmt.Sprintf("unknown %s '%s'%s at line %d", known.noun, key, known.of, k.Line)
	if s := didyoumean.Nearest(key, known.names); s != "" {
		msg += fmt.Sprintf("; did you mean '%s'?", s)
	}
	if known.hint != "" {
		msg += " (" + known.hint + ")"
	} else {
		msg += " (known: " + strings.Join(known.names, ", ") + ")"
	}
	return &ConfigError{Field: field, Msg: msg}
}

// ruleList accepts a list of rule names, or one scalar holding one or
// more names separated by commas or spaces, which it rewrites into the
// list. The names themselves are checked by Validate.
func ruleList(n *yaml.Node, field string) error {
	n = resolve(n)
	switch {
	case isNull(n):
		return nil
	case n.Kind == yaml.ScalarNode:
		parts := strings.FieldsFunc(n.Value, func(r rune) bool { return r == ',' || r == ' ' })
		items := make([]*yaml.Node, 0, len(parts))
		for _, p := range parts {
			items = append(items, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p, Line: n.Line, Column: n.Column})
		}
		*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items, Line: n.Line, Column: n.Column}
		return nil
	case n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if c = resolve(c); c.Kind != yaml.ScalarNode {
				return shapeError(c, fmt.Sprintf("%s[%d]", field, i), "a rule name")
			}
		}
		return nil
	}
	return shapeError(n, field, "a rule name or a list of them, e.g. [cold-starts, throttles]")
}

// number checks a threshold's value is a number; its range is checked by
// Validate.
func number(n *yaml.Node, field string, p param) error {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		return nil
	}
	what := "a number in " + p.rangeText()
	if p.integer {
		what = "an " + p.rangeText()
	}
	return shapeError(n, field, what)
}

func integer(n *yaml.Node, field, what string) error {
	if n = resolve(n); n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		return nil
	}
	return shapeError(n, field, what)
}

// shapeError names the field, its line, what was found and what is
// accepted there.
func shapeError(n *yaml.Node, field, want string) error {
	var got string
	switch {
	case isNull(n):
		got = "no value"
	case n.Kind == yaml.ScalarNode:
		got = fmt.Sprintf("'%s'", n.Value)
	case n.Kind == yaml.MappingNode:
		got = "a mapping"
	case n.Kind == yaml.SequenceNode:
		got = "a list"
	default:
		got = "a value of another kind"
	}
	return &ConfigError{Field: field, Msg: fmt.Sprintf("line %d: want %s, got %s", n.Line, want, got)}
}

// resolve follows an alias (*anchor) to its node.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }
