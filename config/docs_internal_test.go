package config

import (
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docRow is one row of docs/configuration.md's settings table.
type docRow struct {
	flags []string // "--out", "-o"
	key   string   // "" for —
	def   string   // the default's first word, backticks dropped
}

func docRows(t *testing.T) []docRow {
	t.Helper()
	b, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	tick := regexp.MustCompile("`([^`]*)`")
	var rows []docRow
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `--") {
			continue
		}
		cells := strings.Split(line, " | ")
		if len(cells) < 4 {
			t.Fatalf("row %q: want flag | key | default | meaning", line)
		}
		var r docRow
		for _, m := range tick.FindAllStringSubmatch(cells[0], -1) {
			r.flags = append(r.flags, m[1])
		}
		if m := tick.FindStringSubmatch(cells[1]); m != nil {
			r.key = m[1]
		}
		if def := strings.Fields(strings.ReplaceAll(cells[2], "`", "")); len(def) > 0 {
			r.def = def[0]
		}
		rows = append(rows, r)
	}
	return rows
}

// TestDocsTableIsTable: docs/configuration.md has one row per setting of
// Table, in its order, with its flag, shorthand and file key, and a
// default that is the one Defaults (or, for a setting whose 0 takes the
// scanner's default, the one Zero) says.
func TestDocsTableIsTable(t *testing.T) {
	rows := docRows(t)
	if len(rows) != len(Table) {
		t.Errorf("docs/configuration.md has %d rows, Table %d settings", len(rows), len(Table))
	}
	def := Defaults()
	for i, s := range Table {
		if i >= len(rows) {
			t.Errorf("--%s has no row", s.Flag)
			continue
		}
		r := rows[i]
		want := []string{"--" + s.Flag}
		if s.Short != "" {
			want = append(want, "-"+s.Short)
		}
		if !reflect.DeepEqual(r.flags, want) || r.key != s.Key {
			t.Errorf("row %d: %v %q, want %v %q (Table's order)", i+1, r.flags, r.key, want, s.Key)
			continue
		}
		if s.field == nil {
			continue
		}
		if s.Zero != "" && !strings.Contains(s.Zero, "the default, "+r.def+")") {
			t.Errorf("--%s: the docs' default %q is not Zero's: %q", s.Flag, r.def, s.Zero)
		}
		if reflect.ValueOf(s.field(&def)).Elem().IsZero() {
			continue // the scanner's default: Zero's, or the docs' words
		}
		v := r.def
		if _, ok := s.field(&def).(*string); ok {
			v = strconv.Quote(v)
		}
		got, err := Parse([]byte(s.Key + ": " + v + "\n"))
		if err != nil {
			t.Errorf("--%s: the docs' default %q: %v", s.Flag, r.def, err)
			continue
		}
		if g, w := reflect.ValueOf(s.field(&got)).Elem().Interface(), reflect.ValueOf(s.field(&def)).Elem().Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("--%s: the docs say the default is %q, Defaults has %v", s.Flag, r.def, reflect.ValueOf(w))
		}
	}
}

// TestTableCoversScannerConfig: every field of scanner.Config is some
// setting's, so nothing the scanner reads lacks a flag, a key and a
// variable.
func TestTableCoversScannerConfig(t *testing.T) {
	var c Config
	covered := map[uintptr]string{}
	for _, s := range Table {
		if s.field != nil {
			covered[reflect.ValueOf(s.field(&c)).Pointer()] = s.Flag
		}
	}
	rv := reflect.ValueOf(&c.Scanner).Elem()
	for i := range rv.NumField() {
		if _, ok := covered[rv.Field(i).Addr().Pointer()]; !ok {
			t.Errorf("scanner.Config.%s has no setting in Table", rv.Type().Field(i).Name)
		}
	}
	for _, f := range []any{&c.Out, &c.Timeout, &c.Progress, &c.LogLevel} {
		if _, ok := covered[reflect.ValueOf(f).Pointer()]; !ok {
			t.Errorf("a command field at %p has no setting", f)
		}
	}
}
