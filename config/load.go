package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/lambdaudit/lambdaudit/didyoumean"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// Sources are where Load reads a scan's settings.
type Sources struct {
	// Flags is the host's flag set, parsed, with Table's flags
	// (AddFlags); nil for a host with no flags (the Lambda bootstrap),
	// which then reads the environment and the file alone, with the same
	// names, ranges and messages.
	Flags *pflag.FlagSet
	// Env is the environment as os.Environ gives it: LAMBDAUDIT_<FLAG>
	// variables set what no flag on the command line did.
	Env []string
	// File is the config file read when neither --config nor
	// LAMBDAUDIT_CONFIG names one; "" = none.
	File string
	// Known are other LAMBDAUDIT_ variables the host reads itself: not
	// warned about.
	Known []string
	// Warn is told, once each, of every LAMBDAUDIT_ variable that no
	// setting reads, with the nearest that does; nil = not told.
	Warn func(msg string)
	// Now is the clock the report day is checked against (default
	// time.Now).
	Now func() time.Time
}

// AddFlags defines Table's flags on fs, with Defaults' values as their
// defaults, for Load to read once fs is parsed.
func AddFlags(fs *pflag.FlagSet) {
	def := Defaults()
	for _, s := range Table {
		if s.field == nil {
			fs.StringP(s.Flag, s.Short, "", s.Usage)
			continue
		}
		switch p := s.field(&def).(type) {
		case *[]string:
			fs.StringSliceP(s.Flag, s.Short, *p, s.Usage)
		case *string:
			fs.StringP(s.Flag, s.Short, *p, s.Usage)
		case *int:
			fs.IntP(s.Flag, s.Short, *p, s.Usage)
		case *float64:
			fs.Float64P(s.Flag, s.Short, *p, s.Usage)
		case **float64:
			fs.Float64P(s.Flag, s.Short, **p, s.Usage)
		case **bool:
			fs.BoolP(s.Flag, s.Short, **p, s.Usage)
		case *time.Duration:
			fs.DurationP(s.Flag, s.Short, *p, s.Usage)
		case *map[string]float64:
			fs.StringToStringP(s.Flag, s.Short, nil, s.Usage)
		default:
			panic(fmt.Sprintf("config: setting %s: no flag for %T", s.Flag, p))
		}
	}
}

// Load reads a scan's settings from src — flags over LAMBDAUDIT_*
// variables over the config file, the defaults under all — and
// validates them (Config.Validate). A value that does not parse, a 0
// where 0 means nothing, an unknown choice or quota API is told naming
// what the user wrote: the flag (--days 0), the variable
// (LAMBDAUDIT_DAYS 0) or the file key and its line, with the range or
// the choices and the nearest valid name, never a Go type. A value out
// of its range is told by its file key whatever gave it (config: days:
// must be 1 to 63 …, got 90), as scanner.NewFromConfig tells it.
//
// Load sets the flags of src.Flags that the command line did not give
// from their variables (so fs.Changed is true for them too): call it
// once per parsed flag set.
func Load(src Sources) (Config, error) {
	fs := src.Flags
	if fs == nil {
		fs = pflag.NewFlagSet("lambdaudit", pflag.ContinueOnError)
		AddFlags(fs)
	}
	env := map[string]string{}
	for _, kv := range src.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if src.Warn != nil {
		warnUnknownEnv(src.Warn, fs, src.Env, src.Known)
	}
	fromEnv, err := applyEnv(fs, env)
	if err != nil {
		return Config{}, err
	}
	if err := checkFlagRanges(fs, fromEnv); err != nil {
		return Config{}, err
	}
	flags, err := readFlags(fs, fromEnv)
	if err != nil {
		return Config{}, err
	}
	var c Config
	path := src.File
	if p, _ := fs.GetString(configFlag); fs.Changed(configFlag) {
		path = p
	}
	if path != "" {
		if c, err = LoadFile(path); err != nil {
			return Config{}, err
		}
	}
	c = merge(fs, c, flags)
	now := time.Now
	if src.Now != nil {
		now = src.Now
	}
	if err := c.Validate(now()); err != nil {
		return Config{}, err
	}
	return c, nil
}

// applyEnv sets every flag of fs not given on the command line from its
// variable (EnvName) when set, and returns the flags so set with their
// variable's name.
func applyEnv(fs *pflag.FlagSet, env map[string]string) (map[string]string, error) {
	var err error
	from := map[string]string{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		name := EnvName(f.Name)
		if v, ok := env[name]; ok {
			if e := fs.Set(f.Name, v); e != nil {
				if w, ok := wants[f.Value.Type()]; ok {
					err = fmt.Errorf("%s=%q: want %s", name, v, w)
				} else {
					err = fmt.Errorf("%s=%q: %w", name, v, e)
				}
				return
			}
			from[f.Name] = name
		}
	})
	return from, err
}

// wants is what a variable of each kind of flag (pflag's Value.Type)
// takes, in the file's words: a variable's value that does not parse is
// told in these, not in strconv's.
var wants = map[string]string{
	"int":            "a whole number",
	"float64":        "a number",
	"bool":           "true or false",
	"duration":       "a duration like 30s or 5m",
	"stringToString": `entries "Service:Operation=requests per second", comma-separated`,
}

// warnUnknownEnv tells warn of each LAMBDAUDIT_ variable of env that no
// flag of fs reads, naming the nearest that does: a typo in a pipeline's
// variables is otherwise silently ignored.
func warnUnknownEnv(warn func(string), fs *pflag.FlagSet, env, also []string) {
	var known []string
	fs.VisitAll(func(f *pflag.Flag) { known = append(known, EnvName(f.Name)) })
	known = append(known, also...)
	suffixes := make([]string, len(known))
	for i, k := range known {
		suffixes[i] = strings.TrimPrefix(k, envPrefix)
	}
	var unknown []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, envPrefix) && !slices.Contains(known, name) && !slices.Contains(unknown, name) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		msg := name + " is not a lambdaudit variable and is ignored"
		// Compared without the prefix they all share, which would
		// otherwise make every name near every other.
		if n := didyoumean.Nearest(strings.TrimPrefix(name, envPrefix), suffixes); n != "" {
			msg += "; did you mean " + envPrefix + n + "?"
		}
		warn(msg)
	}
}

// flagName is how an error names a flag's value: the variable it came
// from, or --flag.
func flagName(f *pflag.Flag, fromEnv map[string]string) string {
	if v, ok := fromEnv[f.Name]; ok {
		return v
	}
	return "--" + f.Name
}

// checkFlagRanges refuses what the flags (or their variables) set to a
// value the scan would otherwise read as something else: 0 where 0
// means nothing (Setting.Zero), an unknown --progress or --log-level.
func checkFlagRanges(fs *pflag.FlagSet, fromEnv map[string]string) error {
	var err error
	fs.Visit(func(f *pflag.Flag) {
		if err != nil {
			return
		}
		name := flagName(f, fromEnv)
		if s, ok := byFlag(f.Name); ok && s.Zero != "" {
			v := f.Value.String()
			zero := v == "0" || v == "0s"
			if x, e := strconv.ParseFloat(v, 64); e == nil && x == 0 {
				zero = true
			}
			if zero {
				err = fmt.Errorf("%s %s: %s", name, v, s.Zero)
			}
		}
		switch f.Name {
		case "progress":
			if !slices.Contains(ProgressModes, f.Value.String()) {
				err = fmt.Errorf("%s %q: want %s", name, f.Value.String(), strings.Join(ProgressModes, ", "))
			}
		case "log-level":
			if !slices.Contains(LogLevels, strings.ToLower(f.Value.String())) {
				err = fmt.Errorf("%s %q: want %s", name, f.Value.String(), strings.Join(LogLevels, ", "))
			}
		}
	})
	return err
}

// readFlags is the config the flags of fs say: each flag given (on the
// command line or by its variable) its value, the others Defaults'.
func readFlags(fs *pflag.FlagSet, fromEnv map[string]string) (Config, error) {
	c := Defaults()
	for _, s := range Table {
		if s.field == nil || !fs.Changed(s.Flag) {
			continue
		}
		var err error
		switch p := s.field(&c).(type) {
		case *[]string:
			*p, err = fs.GetStringSlice(s.Flag)
		case *string:
			*p, err = fs.GetString(s.Flag)
		case *int:
			*p, err = fs.GetInt(s.Flag)
		case *float64:
			*p, err = fs.GetFloat64(s.Flag)
		case **float64:
			var f float64
			f, err = fs.GetFloat64(s.Flag)
			*p = &f
		case **bool:
			var b bool
			b, err = fs.GetBool(s.Flag)
			*p = &b
		case *time.Duration:
			*p, err = fs.GetDuration(s.Flag)
		case *map[string]float64:
			var m map[string]string
			if m, err = fs.GetStringToString(s.Flag); err == nil {
				*p, err = parseQuotas(m, flagName(fs.Lookup(s.Flag), fromEnv))
			}
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// parseQuotas reads --quotas' "Service:Operation=rps" entries; name is
// the flag or the variable they came from.
func parseQuotas(m map[string]string, name string) (map[string]float64, error) {
	q := make(map[string]float64, len(m))
	for k, v := range m {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("%s %s=%s: want requests per second", name, k, v)
		}
		if fe := scanner.CheckQuota(k, f); fe != nil {
			return nil, fmt.Errorf("%s: %s: %s", name, fe.Field, fe.Msg)
		}
		q[k] = f
	}
	return q, nil
}

// merge is the file's config with what the flags (or their variables)
// set put over it, and what neither set taken from flags, which holds
// the defaults there. Quotas merge key by key, the flag's entries
// winning.
func merge(fs *pflag.FlagSet, file, flags Config) Config {
	c := file
	for _, s := range Table {
		if s.field == nil {
			continue
		}
		dst := reflect.ValueOf(s.field(&c)).Elem()
		src := reflect.ValueOf(s.field(&flags)).Elem()
		switch q := s.field(&c).(type) {
		case *map[string]float64:
			if fs.Changed(s.Flag) {
				m := maps.Clone(*q)
				if m == nil {
					m = map[string]float64{}
				}
				maps.Copy(m, src.Interface().(map[string]float64))
				*q = m
			}
		default:
			if fs.Changed(s.Flag) || dst.IsZero() {
				dst.Set(src)
			}
		}
	}
	return c
}
