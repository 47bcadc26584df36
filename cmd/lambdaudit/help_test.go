package main

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambdaudit/lambdaudit/config"
)

// helpTexts is every command's help text, flag usages included.
func helpTexts() map[string]string {
	out := map[string]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		var b strings.Builder
		b.WriteString(c.Short + "\n" + c.Long + "\n" + c.Example + "\n")
		c.Flags().VisitAll(func(f *pflag.Flag) { b.WriteString(f.Usage + "\n") })
		out[c.CommandPath()] = b.String()
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRootCmd())
	return out
}

// TestHelpCitesFilesThatExist: a file a --help text sends the reader to
// is in the repository.
func TestHelpCitesFilesThatExist(t *testing.T) {
	re := regexp.MustCompile(`[A-Za-z0-9_./-]+\.(?:md|yaml)\b`)
	for cmd, text := range helpTexts() {
		for _, f := range re.FindAllString(text, -1) {
			if strings.HasPrefix(f, "insights.") || strings.HasPrefix(f, "lambdaudit.") {
				continue // names the reader's own files in examples
			}
			if _, err := os.Stat(filepath.Join("../..", f)); err != nil {
				t.Errorf("%s --help cites %s, which does not exist", cmd, f)
			}
		}
	}
}

// TestDocumentedCommandLinesParse: the command lines of the examples'
// headers and of every --help's examples name real commands and flags.
func TestDocumentedCommandLinesParse(t *testing.T) {
	var lines []string
	for _, path := range []string{"../../examples/fleet.yaml", "../../demo/fleet.yaml"} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if l := strings.TrimLeft(sc.Text(), "# "); strings.HasPrefix(l, "lambdaudit ") && strings.HasPrefix(sc.Text(), "#") {
				lines = append(lines, path+": "+l)
			}
		}
		f.Close()
	}
	for cmd, text := range helpTexts() {
		for _, l := range strings.Split(text, "\n") {
			if _, after, ok := strings.Cut(l, "lambdaudit "); ok && strings.HasPrefix(strings.TrimSpace(l), "lambdaudit ") || strings.Contains(l, "= lambdaudit") {
				_ = after
				lines = append(lines, cmd+" example: "+strings.TrimSpace(l[strings.Index(l, "lambdaudit "):]))
			}
		}
	}
	if len(lines) < 5 {
		t.Fatalf("only %d command lines found: %q", len(lines), lines)
	}
	for _, l := range lines {
		src, cmdline, _ := strings.Cut(l, ": ")
		for _, part := range strings.Split(cmdline, "&&") {
			part = strings.TrimSpace(part)
			if i := strings.Index(part, "("); i >= 0 {
				part = part[:i]
			}
			words := strings.Fields(part)
			if len(words) < 2 || words[0] != "lambdaudit" {
				continue
			}
			root := newRootCmd()
			c, rest, err := root.Find(words[1:])
			if err != nil || c == root {
				t.Errorf("%s: %q: no such command", src, part)
				continue
			}
			if err := c.ParseFlags(rest); err != nil {
				t.Errorf("%s: %q: %v", src, part, err)
			}
		}
	}
}

// TestNotifyHelpNamesEveryVariable: every SLACK_/OPSGENIE_ variable the
// notify packages read is in notify --help (and so is demo's pointer).
func TestNotifyHelpNamesEveryVariable(t *testing.T) {
	re := regexp.MustCompile(`"((?:SLACK|OPSGENIE)_[A-Z_]+)"`)
	var files []string
	// The channels are notify's sub-packages (notify/slack, notify/opsgenie, …).
	err := filepath.WalkDir("../../notify", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen[m[1]] = true
		}
	}
	if len(seen) < 8 {
		t.Fatalf("found only %d variables in notify: %v", len(seen), seen)
	}
	help := helpTexts()["lambdaudit notify"]
	for v := range seen {
		if !strings.Contains(help, v) {
			t.Errorf("notify --help does not document %s", v)
		}
	}
}

// TestDemoHelpListsItsFiles: demo --help lists every output notify (and
// so the demo) writes.
func TestDemoHelpListsItsFiles(t *testing.T) {
	t.Setenv("SLACK_WEBHOOK_URL", "")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_CHANNEL", "")
	t.Setenv("OPSGENIE_API_KEY", "")
	out := t.TempDir()
	if _, stderr, code := runCLI(t, "notify", "--scan", fixtureScan, "-o", out); code != 0 {
		t.Fatalf("notify: exit %d: %s", code, stderr)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	help := helpTexts()["lambdaudit demo"]
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() {
			name += "/"
		}
		if !strings.Contains(help, name) {
			t.Errorf("demo --help does not list %s", name)
		}
	}
}

func TestVersion(t *testing.T) {
	tests := []struct {
		name string
		info *debug.BuildInfo
		want []string
	}{
		{"release build", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}},
			[]string{"lambdaudit v1.4.0", "revision  0123456789abcdef\n", "time      2026-12-01T10:00:00Z"}},
		{"dirty checkout", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			[]string{"lambdaudit (devel)", "revision  abc+dirty", "time      unknown"}},
		{"go run", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, []string{"lambdaudit (devel)", "revision  unknown (not recorded"}},
		{"no build info", nil, []string{"lambdaudit unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeVersion(&b, tt.info); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("%q does not say %q", b.String(), w)
				}
			}
			if !strings.Contains(b.String(), "go        go1.") {
				t.Errorf("no Go version: %q", b.String())
			}
		})
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		stdout, stderr, code := runCLI(t, args...)
		if code != 0 || !strings.HasPrefix(stdout, "lambdaudit ") || !strings.Contains(stdout, "\nrevision  ") {
			t.Errorf("lambdaudit %s: exit %d, %q %q", args[0], code, stdout, stderr)
		}
	}
}

// TestConfigurationDocCoversEverySetting: docs/configuration.md has a row
// for every scan flag, each row's key is a key the file accepts, and the
// example file is valid — so "every setting is a flag, a key and a
// variable" stays true, or the exceptions are in the table.
func TestConfigurationDocCoversEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	row := regexp.MustCompile("(?m)^\\| `--([a-z-]+)`[^|]*\\| (?:`([A-Za-z]+)`|—) \\|")
	rows := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		rows[m[1]] = m[2]
	}
	newScanCmd().Flags().VisitAll(func(f *pflag.Flag) {
		key, ok := rows[f.Name]
		if !ok {
			t.Errorf("--%s has no row in docs/configuration.md", f.Name)
			return
		}
		if key == "" {
			if f.Name != "config" {
				t.Errorf("--%s has no file key", f.Name)
			}
			return
		}
		if _, err := config.Parse([]byte(key + ": [[x]]\n")); err == nil || strings.Contains(err.Error(), "unknown key") {
			t.Errorf("--%s: the documented key %q is not accepted by the file: %v", f.Name, key, err)
		}
	})
	_, ex, ok := strings.Cut(doc, "Example file:\n\n```yaml\n")
	if !ok {
		t.Fatal("no example file")
	}
	ex, _, _ = strings.Cut(ex, "```")
	c, err := config.Parse([]byte(ex))
	if err == nil {
		_, err = c.Scanner.Settings(time.Now())
	}
	if err == nil {
		_, err = c.Scanner.Limiters()
	}
	if err != nil {
		t.Errorf("the documented example file is refused: %v", err)
	}
}
