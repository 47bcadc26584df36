package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lambdaudit/lambdaudit/didyoumean"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// LoadFile reads a YAML config file (see Parse). Its errors name the
// file.
func LoadFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(b)
	var fe *scanner.FieldError
	switch {
	case errors.As(err, &fe):
		return c, fmt.Errorf("config %s: %w", path, inFile{fe})
	case err != nil:
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a YAML config (the keys of Table). An unknown key is an
// error naming it, its line and the nearest valid key; a value of the
// wrong kind names the key and the kind wanted; a value set to 0 where 0
// means nothing (days, rateFraction, …: Setting.Zero) is refused rather
// than read as the default. An empty document is an empty config. What
// the file leaves out is zero: Load fills it from the other sources and
// the defaults.
func Parse(b []byte) (Config, error) {
	var c Config
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return c, err
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return c, nil
	}
	if root.Kind != yaml.MappingNode {
		return c, fmt.Errorf("line %d: want keys and values (docs/configuration.md), like \"regions: [us-east-1]\"", root.Line)
	}
	keys := fileKeys()
	slices.Sort(keys)
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		s, ok := byKey(k.Value)
		if !ok {
			msg := fmt.Sprintf("unknown key '%s' at line %d", k.Value, k.Line)
			if n := didyoumean.Nearest(k.Value, keys); n != "" {
				return c, fmt.Errorf("%s; did you mean '%s'?", msg, n)
			}
			return c, fmt.Errorf("%s; the keys are %s", msg, strings.Join(keys, ", "))
		}
		if l, dup := seen[k.Value]; dup {
			return c, fmt.Errorf("key '%s' at line %d is already set at line %d", k.Value, k.Line, l)
		}
		seen[k.Value] = k.Line
		if err := decodeField(reflect.ValueOf(s.field(&c)).Elem(), s, v); err != nil {
			return c, err
		}
	}
	return c, nil
}

var durationType = reflect.TypeFor[time.Duration]()

// decodeField sets field from node, naming the setting's key and the
// kind of value wanted when it does not fit.
func decodeField(field reflect.Value, s Setting, n *yaml.Node) error {
	key := s.Key
	bad := func(want string) error {
		got := n.Value
		if n.Kind != yaml.ScalarNode {
			got = map[yaml.Kind]string{yaml.SequenceNode: "a list", yaml.MappingNode: "a mapping", yaml.AliasNode: "an alias"}[n.Kind]
		} else {
			got = fmt.Sprintf("%q", got)
		}
		return &scanner.FieldError{Field: key, Msg: fmt.Sprintf("want %s, got %s (line %d)", want, got, n.Line)}
	}
	scalar := n.Kind == yaml.ScalarNode && n.Tag != "!!null"
	zero := func() error {
		if s.Zero != "" {
			return &scanner.FieldError{Field: key, Msg: fmt.Sprintf("%s, got 0 (line %d)", s.Zero, n.Line)}
		}
		return nil
	}
	switch {
	case field.Type() == durationType:
		if !scalar {
			return bad("a duration like 30s or 5m")
		}
		d, err := time.ParseDuration(n.Value)
		if err != nil || d < 0 {
			return bad("a duration like 30s or 5m")
		}
		if d == 0 {
			if err := zero(); err != nil {
				return err
			}
		}
		field.SetInt(int64(d))
	case field.Kind() == reflect.String:
		if !scalar {
			return bad("a string")
		}
		field.SetString(n.Value)
	case field.Kind() == reflect.Slice:
		var list []string
		switch {
		case scalar:
			for _, s := range strings.Split(n.Value, ",") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, s)
				}
			}
		case n.Kind == yaml.SequenceNode:
			for _, e := range n.Content {
				if e.Kind != yaml.ScalarNode || e.Tag == "!!null" {
					return bad("a name or a list of names")
				}
				list = append(list, e.Value)
			}
		default:
			return bad("a name or a list of names")
		}
		field.Set(reflect.ValueOf(list))
	case field.Kind() == reflect.Int:
		i, err := strconv.Atoi(n.Value)
		if !scalar || err != nil {
			return bad("a whole number")
		}
		if i == 0 {
			if err := zero(); err != nil {
				return err
			}
		}
		field.SetInt(int64(i))
	case field.Kind() == reflect.Float64, field.Kind() == reflect.Pointer && field.Type().Elem().Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if !scalar || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return bad("a number")
		}
		if f == 0 {
			if err := zero(); err != nil {
				return err
			}
		}
		if field.Kind() == reflect.Pointer {
			field.Set(reflect.ValueOf(&f))
		} else {
			field.SetFloat(f)
		}
	case field.Kind() == reflect.Pointer && field.Type().Elem().Kind() == reflect.Bool:
		var b bool
		if !scalar || n.Tag != "!!bool" || n.Decode(&b) != nil {
			return bad("true or false")
		}
		field.Set(reflect.ValueOf(&b))
	case field.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return bad(`a mapping of "Service:Operation" to requests per second`)
		}
		m := map[string]float64{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, err := strconv.ParseFloat(v.Value, 64)
			if v.Kind != yaml.ScalarNode || err != nil {
				return &scanner.FieldError{Field: key + "." + k.Value, Msg: fmt.Sprintf("want requests per second, got %q (line %d)", v.Value, v.Line)}
			}
			if fe := scanner.CheckQuota(k.Value, f); fe != nil {
				fe.Msg = fmt.Sprintf("line %d: %s", k.Line, fe.Msg)
				return fe
			}
			m[k.Value] = f
		}
		field.Set(reflect.ValueOf(m))
	default:
		return &scanner.FieldError{Field: key, Msg: "cannot be set in the file"}
	}
	return nil
}

// inFile is a FieldError of a file LoadFile names already: the field and
// the message without a second "config:".
type inFile struct{ fe *scanner.FieldError }

func (e inFile) Error() string { return e.fe.Field + ": " + e.fe.Msg }
func (e inFile) Unwrap() error { return e.fe }
