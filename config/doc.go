// Package config owns a scan's settings as the user gives them: a YAML
// file, LAMBDAUDIT_* environment variables and command-line flags, their
// precedence (flags over variables over the file over the defaults) and
// their checks, with errors naming the key, flag or variable the user
// wrote and the nearest valid name — never a Go type.
//
// Table is the one list of settings: each is a flag (AddFlags), a file
// key (Parse, LoadFile) and a variable (Setting.Env), with its default
// (Defaults) and the range that refuses 0 where 0 would mean nothing.
// docs/configuration.md's table is checked against it.
//
// Load is what a host calls: the CLI with its parsed cobra flag set, the
// Lambda bootstrap with none (its environment and an optional file),
// both getting the same names, ranges and messages. The result is a
// validated Config, whose Scanner field is what scanner.NewFromConfig
// takes.
//
// The package reads settings; it makes no AWS call, builds no client and
// writes nothing but the warnings it is given a place for.
package config
