// Package demo owns `lambdaudit demo`: the embedded demo fleet, and the
// run that serves it from the simulated account in-process, scans it with
// the real engine and SDK clients, builds the report and writes every
// output (report.json, scan.json, report.csv, slack.json, opsgenie.json),
// sending to Slack and Opsgenie only when their settings are given.
package demo

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lambdaudit/lambdaudit/atomicfile"
	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/delivery"
	"github.com/lambdaudit/lambdaudit/notify/opsgenie"
	"github.com/lambdaudit/lambdaudit/notify/slack"
	"github.com/lambdaudit/lambdaudit/notify/text"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/store"
)

// FleetYAML is the demo fleet's spec: 1,200 generated functions in two
// accounts and two regions, every insight kind present.
//
//go:embed fleet.yaml
var FleetYAML []byte

// Role is the role the demo assumes in the second account (the sim's
// default member role).
const Role = "lambdaudit-member"

// Options tune a demo run; zero fields take the defaults.
type Options struct {
	// Out is the output directory (default "lambdaudit-demo").
	Out string
	// Spec replaces the embedded fleet (YAML, sim/fleet's format).
	Spec []byte
	// Now is the simulated time (default time.Now()).
	Now time.Time
	// Latency is the simulated latency of every call (default 5 ms: the
	// demo shows the engine, not the network).
	Latency *sim.Latency
	// Logger receives structured logs (default discard).
	Logger *slog.Logger
	// Progress, when set, is called with the scan's progress counters
	// while it runs (every 250 ms).
	Progress func(scanner.ProgressSnapshot)
	// Stage, when set, is told each stage as it starts.
	Stage func(string)
	// Slack and Opsgenie replace the settings from the environment
	// (SLACK_WEBHOOK_URL, SLACK_BOT_TOKEN + SLACK_CHANNEL, OPSGENIE_*).
	Slack    *slack.Config
	Opsgenie *opsgenie.Config
	// HTTPClient sends the deliveries (default: their own clients).
	HTTPClient *http.Client
	// DeliveryTimeout bounds each channel's delivery, its retries
	// included (0: delivery.DefaultTimeout).
	DeliveryTimeout time.Duration
}

// Result is what a demo run produced.
type Result struct {
	Scan   *scanner.Result
	Costs  *cost.Costs
	Report *insights.Report
	// Files are the paths written, in order.
	Files []string
	// Functions and Accounts describe the served fleet.
	Functions, Accounts, Regions int
	Elapsed                      time.Duration
	// Delivered says what was really sent ("slack", "opsgenie"), and
	// DeliveryErrors what failed; the outputs are written either way.
	Delivered      []string
	DeliveryErrors []error
	// AlertsCapped is how many insights opened no Opsgenie alert because
	// the run's cap (AlertCap) was reached; the digest says so.
	AlertsCapped, AlertCap int
}

// Run serves the demo fleet, scans it, builds the report and writes the
// outputs into opt.Out (made when the outputs are written, not before).
// When ctx ends during the scan, Run writes only scan.json — what was
// scanned, marked interrupted — and returns the Result with ctx's error;
// when it ends before any function was listed, nothing is written (the
// Result's Files is empty).
func Run(ctx context.Context, opt Options) (*Result, error) {
	start := time.Now()
	if opt.Out == "" {
		opt.Out = "lambdaudit-demo"
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	stage := func(s string) {
		opt.Logger.Info("demo: " + s)
		if opt.Stage != nil {
			opt.Stage(s)
		}
	}
	// Delivery settings are checked before anything runs: a bad webhook
	// URL or a missing channel stops here, naming the setting.
	ch, err := delivery.ChannelsFromEnv(opt.Out)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if opt.Slack != nil {
		ch.Slack = *opt.Slack
	}
	if opt.Opsgenie != nil {
		ch.Opsgenie = *opt.Opsgenie
	}
	ch.HTTPClient, ch.Logger, ch.Timeout = opt.HTTPClient, opt.Logger, opt.DeliveryTimeout
	if err := ch.Validate(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	spec := opt.Spec
	if spec == nil {
		spec = FleetYAML
	}
	// The output directory is checked, not made: an interrupted or
	// failed demo leaves no empty directory behind.
	if err := atomicfile.CheckDir(opt.Out); err != nil {
		return nil, fmt.Errorf("demo: output directory: %w", err)
	}

	stage("building the simulated fleet")
	fs, err := fleet.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("demo: fleet spec: %w", err)
	}
	f, err := fleet.Build(fs, opt.Now)
	if err != nil {
		return nil, fmt.Errorf("demo: fleet: %w", err)
	}
	lat := sim.Latency{Default: 5 * time.Millisecond}
	if opt.Latency != nil {
		lat = *opt.Latency
	}
	offset := time.Until(opt.Now)
	clock := func() time.Time { return time.Now().Add(offset) }
	srv, err := sim.New(f, sim.WithClock(clock), sim.WithLatency(lat), sim.WithQueryTime(sim.QueryTime{Base: 200 * time.Millisecond, PerGB: 50 * time.Millisecond}), sim.WithSeed(uint64(fs.Seed)))
	if err != nil {
		return nil, fmt.Errorf("demo: sim: %w", err)
	}
	running, err := srv.Start("")
	if err != nil {
		return nil, fmt.Errorf("demo: sim: %w", err)
	}
	defer running.Close()
	res := &Result{Functions: f.NumFunctions(), Accounts: len(f.Accounts)}
	var accounts, regions []string
	seen := map[string]bool{}
	for _, a := range f.Accounts {
		accounts = append(accounts, a.ID)
		for _, r := range a.Regions {
			if !seen[r.Name] {
				seen[r.Name] = true
				regions = append(regions, r.Name)
			}
		}
	}
	res.Regions = len(regions)

	stage(fmt.Sprintf("scanning %d functions in %d accounts × %d regions through the AWS SDK", res.Functions, len(accounts), len(regions)))
	base, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(regions[0]),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(sim.AccessKeyID, sim.SecretAccessKey, "")),
		config.WithBaseEndpoint(running.URL),
		config.WithSharedConfigProfile(""),
		config.WithRetryer(scanner.Retryer(0)))
	if err != nil {
		return nil, fmt.Errorf("demo: sdk config: %w", err)
	}
	scanner.BoundCalls(&base, 0, 0)
	sc, err := scanWith(ctx, base, accounts, regions, clock, opt)
	if err != nil {
		if sc == nil || ctx.Err() == nil {
			return nil, err
		}
		// Interrupted: keep what was scanned, marked so, and nothing else.
		sc.Interrupted = interruptReason(ctx)
		res.Scan = sc
		if len(sc.Functions) == 0 {
			// Nothing was listed: an empty scan.json would only replace a
			// good one. res.Files stays empty: nothing written.
			res.Elapsed = time.Since(start)
			return res, err
		}
		if werr := writePartial(opt.Out, res); werr != nil {
			return nil, errors.Join(err, werr)
		}
		res.Elapsed = time.Since(start)
		return res, err
	}
	res.Scan = sc

	stage("computing costs and insights")
	// The report and the CSVs share one run of the cost model.
	rep, costs, err := insights.BuildWithCosts(sc, insights.Options{Now: clock()})
	if err != nil {
		return nil, fmt.Errorf("demo: report: %w", err)
	}
	res.Report, res.Costs = rep, costs

	stage("writing " + opt.Out)
	if ch.Slack.Enabled() || !ch.Opsgenie.DryRun {
		stage("delivering to " + strings.Join(channels(ch), " and "))
	}
	// The open alerts are kept in <out>/state, as notify keeps them.
	if ch.Store, err = store.NewDir(delivery.StateDir(opt.Out)); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	d, err := delivery.Deliver(ctx, ch, sc, costs, rep)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	res.Files, res.Delivered, res.DeliveryErrors = d.Files, d.Sent, d.Errors
	if a := d.Alerts; a != nil {
		res.AlertsCapped, res.AlertCap = len(a.Plan.Capped), a.Plan.Cap
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func channels(c delivery.Channels) []string {
	var out []string
	if c.Slack.Enabled() {
		out = append(out, "Slack")
	}
	if !c.Opsgenie.DryRun {
		out = append(out, "Opsgenie")
	}
	return out
}

// scanWith scans the demo's accounts and regions as `lambdaudit scan`
// does, reporting progress.
func scanWith(ctx context.Context, base aws.Config, accounts, regions []string, clock func() time.Time, opt Options) (*scanner.Result, error) {
	c := scanner.Config{Regions: regions, Accounts: accounts, Role: Role}
	meter := scanner.NewMeter()
	prog := &scanner.Progress{}
	opts := []scanner.Option{scanner.WithClock(clock), scanner.WithMeter(meter), scanner.WithProgress(prog),
		scanner.WithSettings(func(set *scanner.Settings) {
			// The demo's logs cost nothing: query every log group, and
			// let the report show what that would cost on AWS.
			set.LogsBudgetBytes = 0
			set.LogsSettings.InitialPoll = 100 * time.Millisecond
			set.LogsSettings.MaxPoll = time.Second
		})}
	if opt.Logger != nil {
		opts = append(opts, scanner.WithLogger(opt.Logger))
	}
	s, err := scanner.NewFromConfig(base, c, opts...)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if opt.Progress == nil {
			return
		}
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				opt.Progress(prog.Snapshot(meter))
				return
			case <-t.C:
				opt.Progress(prog.Snapshot(meter))
			}
		}
	}()
	res, err := s.Scan(ctx)
	close(done)
	<-stopped
	if err != nil {
		// On an interrupted ctx, res is what the scan kept (or nil).
		return res, fmt.Errorf("demo: scan: %w", err)
	}
	return res, nil
}

// interruptReason is why ctx ended, as Result.Interrupted says it: the
// cause's own reason when it gives one (the CLI's signal and --timeout
// causes do), a timeout for a deadline, else an interrupt.
func interruptReason(ctx context.Context) string {
	var r interface{ InterruptReason() string }
	cause := context.Cause(ctx)
	switch {
	case errors.As(cause, &r):
		return r.InterruptReason()
	case errors.Is(cause, context.DeadlineExceeded):
		return scanner.InterruptTimeout
	}
	return scanner.InterruptSignal
}

// writePartial writes an interrupted run's scan.json (atomically, the
// directory made only now) and records it in res.Files.
func writePartial(dir string, res *Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo: output directory: %w", err)
	}
	path := filepath.Join(dir, "scan.json")
	if err := atomicfile.Write(path, res.Scan.Encode); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	res.Files = append(res.Files, path)
	return nil
}

// WriteDigest prints the run's digest for a terminal, in colour when
// color is set, saying how many insights the Opsgenie cap left without
// an alert as Slack's digest does.
func WriteDigest(w io.Writer, res *Result, color bool) error {
	return text.WriteWith(w, res.Report, text.Options{Color: color, AlertsCapped: res.AlertsCapped, AlertCap: res.AlertCap})
}
