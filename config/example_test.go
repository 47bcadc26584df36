package config_test

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/lambdaudit/lambdaudit/config"
)

// A host with no flags — the Lambda bootstrap — passes its environment
// (os.Environ()) and gets the settings a CLI user would, or the error a
// CLI user would get, naming the variable.
func ExampleLoad() {
	clock := func() time.Time { return time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC) }
	env := []string{
		"LAMBDAUDIT_REGIONS=us-east-1,eu-west-1",
		"LAMBDAUDIT_ACCOUNTS=all",
		"LAMBDAUDIT_ROLE=LambdauditReadOnly",
		"LAMBDAUDIT_LOGS_BUDGET_USD=2.5",
		"LAMBDAUDIT_REGION=ap-south-1", // a typo: warned, ignored
		"AWS_LAMBDA_FUNCTION_NAME=lambdaudit-plan",
	}
	warn := func(msg string) { fmt.Println("warning:", msg) }
	c, err := config.Load(config.Sources{Env: env, Warn: warn, Now: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := c.Scanner
	fmt.Println(s.Regions, s.Accounts, s.Role, *s.LogsBudgetUSD, s.RateFraction, c.LogLevel)

	_, err = config.Load(config.Sources{Env: []string{"LAMBDAUDIT_DAYS=0"}, Now: clock})
	fmt.Println(err)
	// Output:
	// warning: LAMBDAUDIT_REGION is not a lambdaudit variable and is ignored; did you mean LAMBDAUDIT_REGIONS?
	// [us-east-1 eu-west-1] [all] LambdauditReadOnly 2.5 0.9 warn
	// LAMBDAUDIT_DAYS 0: must be 1 to 63 (leave it out for the default, 15)
}

// The CLI defines the settings' flags on its cobra command and passes the
// parsed set: flags win over the variables, the variables over the file.
func ExampleAddFlags() {
	fs := pflag.NewFlagSet("scan", pflag.ContinueOnError)
	config.AddFlags(fs)
	_ = fs.Parse([]string{"--days", "7", "--log-level", "info"})
	c, err := config.Load(config.Sources{
		Flags: fs,
		Env:   []string{"LAMBDAUDIT_DAYS=3", "LAMBDAUDIT_TAGS=false"},
		Now:   func() time.Time { return time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Scanner.Days, *c.Scanner.Tags, c.Level())
	// Output:
	// 7 false INFO
}
