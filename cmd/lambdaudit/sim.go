package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

func newSimCmd() *cobra.Command {
	var (
		addr, specPath, now, latency string
		functions                    int
		seed                         int64
		regions, accounts, faults    []string
		mix                          string
		remote                       bool
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve the simulated AWS account (Lambda, CloudWatch, Logs, STS, Tagging) on loopback",
		Long: `Serve a simulated AWS account for a fleet from a spec file (--spec) or a
generated fleet (--functions N --seed S). Any AWS client works against it
with --endpoint-url / AWS_ENDPOINT_URL and the printed credentials.`,
		Example: `  lambdaudit sim --functions 1000
  lambdaudit sim --spec examples/fleet.yaml --addr 127.0.0.1:4566
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 aws lambda list-functions`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (specPath == "") == (functions == 0) {
				return fmt.Errorf("give exactly one of --spec FILE or --functions N")
			}
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return fmt.Errorf("--addr %q: %w", addr, err)
			}
			if ip := net.ParseIP(host); !remote && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return fmt.Errorf("--addr %q is not a loopback address; add --allow-remote to serve beyond this machine", addr)
			}
			var spec *fleet.Spec
			if specPath != "" {
				if spec, err = fleet.ParseFile(specPath); err != nil {
					return err
				}
			} else {
				spec = &fleet.Spec{Seed: seed, Generate: &fleet.GeneratorSpec{Functions: functions, Regions: regions, Accounts: accounts}}
				if spec.Generate.Mix, err = parseMix(mix); err != nil {
					return err
				}
				if err := spec.Validate(); err != nil {
					return err
				}
			}
			clock := time.Now
			if now != "" {
				t, err := time.Parse(time.RFC3339, now)
				if err != nil {
					return fmt.Errorf("--now %q: not an RFC 3339 time", now)
				}
				start := time.Now()
				clock = func() time.Time { return t.Add(time.Since(start)) }
			}
			f, err := fleet.Build(spec, clock())
			if err != nil {
				return err
			}
			opts := []sim.Option{sim.WithClock(clock), sim.WithSeed(uint64(spec.Seed)),
				sim.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))}
			if latency != "" {
				d, err := time.ParseDuration(latency)
				if err != nil || d < 0 {
					return fmt.Errorf("--latency %q: not a duration", latency)
				}
				opts = append(opts, sim.WithLatency(sim.Latency{Default: d}))
			}
			var fs []sim.Fault
			for _, s := range faults {
				fl, err := sim.ParseFault(s)
				if err != nil {
					return fmt.Errorf("--fault: %w", err)
				}
				fs = append(fs, fl)
			}
			opts = append(opts, sim.WithFaults(fs...))
			srv, err := sim.New(f, opts...)
			if err != nil {
				return err
			}
			run, err := srv.Start(addr)
			if err != nil {
				return err
			}
			defer run.Close()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "lambdaudit sim: %s in %s, serving %s\n", insights.Plural(float64(f.NumFunctions()), "function", "functions"),
				insights.Plural(float64(len(f.Accounts)), "account", "accounts"), run.URL)
			for _, a := range f.Accounts {
				var rs []string
				for _, r := range a.Regions {
					rs = append(rs, fmt.Sprintf("%s (%d)", r.Name, len(r.Functions)))
				}
				fmt.Fprintf(out, "  account %s role %s: %s\n", a.ID, a.RoleName, strings.Join(rs, ", "))
			}
			fmt.Fprintf(out, "\nexport AWS_ENDPOINT_URL=%s\nexport AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=%s AWS_DEFAULT_REGION=%s\n\naccounting: %s/_sim/accounting   (Ctrl-C to stop)\n",
				run.URL, sim.AccessKeyID, sim.SecretAccessKey, f.Accounts[0].Regions[0].Name, f.Accounts[0].Regions[0].Name, run.URL)
			<-cmd.Context().Done()
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:4566", "listen address (loopback unless --allow-remote)")
	fl.BoolVar(&remote, "allow-remote", false, "allow a non-loopback --addr")
	fl.StringVar(&specPath, "spec", "", "fleet spec file (YAML or JSON)")
	fl.IntVar(&functions, "functions", 0, "generate a fleet of N functions")
	fl.Int64Var(&seed, "seed", 1, "generator seed")
	fl.StringSliceVar(&regions, "regions", []string{fleet.DefaultRegion}, "regions of the generated fleet")
	fl.StringSliceVar(&accounts, "accounts", []string{fleet.DefaultAccount}, "accounts of the generated fleet")
	fl.StringVar(&mix, "mix", "default", `anomaly mix of the generated fleet: "default", "none" or kind=share,… (e.g. near-timeout=0.02)`)
	fl.StringArrayVar(&faults, "fault", nil, `inject a fault, e.g. "service=monitoring,api=GetMetricData,throttlePct=20" (repeatable); match keys service, api, account, region, function, logGroup; effects throttlePct, errorPct, queryFailPct (0-100), latencyMultiplier (0 or more), accessDenied, disableRegion, queryTimeout (true or false)`)
	fl.StringVar(&now, "now", "", "simulated time at start (RFC 3339; default: the real time)")
	fl.StringVar(&latency, "latency", "", "latency of every call (default: per-API defaults in the tens of ms)")
	return cmd
}

// parseMix reads "default", "none" or "kind=share,...".
func parseMix(s string) (map[string]float64, error) {
	switch s {
	case "none", "":
		return nil, nil
	case "default":
		m := map[string]float64{}
		for _, k := range fleet.AnomalyKinds {
			m[k] = 0.01
		}
		return m, nil
	}
	m := map[string]float64{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		var f float64
		if _, err := fmt.Sscan(v, &f); !ok || err != nil {
			return nil, fmt.Errorf("--mix %q: %q is not kind=share", s, kv)
		}
		m[k] = f
	}
	return m, nil
}
