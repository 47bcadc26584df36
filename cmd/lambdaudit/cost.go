package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/spf13/cobra"

	"github.com/lambdaudit/lambdaudit/atomicfile"
	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// newCostCmd is `lambdaudit cost` (the calculator) and `lambdaudit cost
// refresh` (the price table from the AWS Price List).
func newCostCmd() *cobra.Command {
	var (
		memory, ephemeral, provisioned int
		requests, hours, provShare     float64
		duration                       time.Duration
		arch, region, prices           string
		freeTier                       bool
	)
	cmd := &cobra.Command{
		Use:   "cost",
		Short: "Price a month of one Lambda workload, line by line (refresh: update the price table)",
		Long: `cost prices a month of one function's workload at AWS's list prices: requests,
duration (GB-s, billed per invocation rounded up to 1 ms, with the monthly volume
tiers), ephemeral storage above 512 MB and provisioned concurrency, with the free
tier (1M requests and 400,000 GB-s a month) only when --free-tier is given.
Amounts are in the region's currency: USD, CNY in the China regions (never
converted). Inputs outside Lambda's limits are refused: --memory 128–10240 MB,
--duration 0–15m, --ephemeral 512–10240 MB, --arch x86_64 or arm64, --region one
of the price table.

Prices come from --prices FILE, else the table 'lambdaudit cost refresh' wrote
(` + "`~/.config/lambdaudit/prices.json`" + ` on Linux), else the table embedded in lambdaudit.
With --provisioned N --hours H, N environments are enabled for H hours and
--provisioned-share of the requests (default all) run on them.`,
		Example: `  lambdaudit cost --memory 1536 --arch x86_64 --requests 3000000 --duration 120ms --free-tier
  lambdaudit cost --memory 1024 --requests 1200000 --duration 1s --provisioned 1000 --hours 2
  lambdaudit cost refresh`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []string{"memory", "requests", "duration"} {
				if !cmd.Flags().Changed(f) {
					return fmt.Errorf("--%s is required", f)
				}
			}
			if err := checkCostFlags(cmd, memory, ephemeral, provisioned, requests, hours, provShare, duration, arch); err != nil {
				return err
			}
			share := 0.0
			if provisioned > 0 {
				share = 1
				if cmd.Flags().Changed("provisioned-share") {
					share = provShare
				}
			}
			t, err := cost.Open(prices)
			if err != nil {
				return err
			}
			p, err := t.Prices(region, arch)
			if errors.Is(err, cost.ErrNoPrice) {
				return fmt.Errorf("--region %q: no price for it in the price table of %s (%s); valid choices: %s", region, t.AsOf, t.Origin, strings.Join(t.Regions(), ", "))
			}
			if err != nil {
				return err
			}
			// Billed per invocation, rounded up to 1 ms.
			perMs := math.Ceil(float64(duration) / float64(time.Millisecond))
			u := cost.Usage{Architecture: p.Architecture, MemoryMB: memory, EphemeralMB: ephemeral, Requests: requests,
				DurationMs: requests * perMs, ProvisionedShare: share, ProvisionedConcurrency: provisioned, ProvisionedSeconds: hours * 3600}
			var free *cost.FreeTier
			if freeTier && provisioned == 0 {
				free = &t.FreeTier
			}
			b, err := p.Estimate(u, free)
			if err != nil {
				return err
			}
			return printEstimate(cmd.OutOrStdout(), t, p, u, free, freeTier, perMs, hours, b)
		},
	}
	f := cmd.Flags()
	f.IntVar(&memory, "memory", 0, "configured memory, MB (128–10240; required)")
	f.StringVar(&arch, "arch", cost.ArchX86, "architecture: x86_64 or arm64")
	f.Float64Var(&requests, "requests", 0, "requests a month, 0 or more (required)")
	f.DurationVar(&duration, "duration", 0, "duration of one request, 0–15m, e.g. 120ms (billed rounded up to 1 ms; required)")
	f.BoolVar(&freeTier, "free-tier", false, "apply the monthly free tier (1M requests, 400,000 GB-s)")
	f.StringVar(&region, "region", "us-east-1", "AWS region of the prices (any region of the price table: every Lambda region of aws, aws-us-gov and aws-cn)")
	f.IntVar(&ephemeral, "ephemeral", 512, "ephemeral storage (/tmp), MB (512–10240)")
	f.IntVar(&provisioned, "provisioned", 0, "provisioned concurrency: environments enabled")
	f.Float64Var(&hours, "hours", 0, "hours provisioned concurrency is enabled in the month (0–744)")
	f.Float64Var(&provShare, "provisioned-share", 1, "share of the requests served by provisioned concurrency (0–1)")
	f.StringVar(&prices, "prices", "", "price table file (default: the refreshed table if any, else the embedded one)")
	cmd.AddCommand(newCostRefreshCmd())
	return cmd
}

// maxDuration is the longest an on-demand invocation runs (Lambda's
// 900-second timeout); maxHours the hours of the longest month.
const (
	maxDuration = 900 * time.Second
	maxHours    = 31 * 24
)

// checkCostFlags refuses the calculator's inputs outside Lambda's limits,
// naming the flag and what it accepts.
func checkCostFlags(cmd *cobra.Command, memory, ephemeral, provisioned int, requests, hours, provShare float64, duration time.Duration, arch string) error {
	changed := cmd.Flags().Changed
	switch {
	case memory < cost.MinMemoryMB || memory > cost.MaxMemoryMB:
		return fmt.Errorf("--memory %d: Lambda functions have %d to %d MB", memory, cost.MinMemoryMB, cost.MaxMemoryMB)
	case arch != cost.ArchX86 && arch != cost.ArchARM64:
		return fmt.Errorf("--arch %q: valid choices are %s and %s", arch, cost.ArchX86, cost.ArchARM64)
	case requests < 0 || math.IsNaN(requests) || math.IsInf(requests, 0):
		return fmt.Errorf("--requests %v: must be a number of requests, 0 or more", requests)
	case duration < 0 || duration > maxDuration:
		return fmt.Errorf("--duration %s: an invocation runs 0 to %s (Lambda's 900-second timeout)", duration, maxDuration)
	case ephemeral < cost.FreeEphemeral || ephemeral > cost.MaxEphemeralMB:
		return fmt.Errorf("--ephemeral %d: Lambda's /tmp is %d to %d MB", ephemeral, cost.FreeEphemeral, cost.MaxEphemeralMB)
	case provisioned < 0:
		return fmt.Errorf("--provisioned %d: must be 0 or more environments", provisioned)
	case hours < 0 || hours > maxHours || math.IsNaN(hours):
		return fmt.Errorf("--hours %v: provisioned concurrency is enabled 0 to %d hours in a month", hours, maxHours)
	case (provisioned > 0) != (hours > 0):
		return errors.New("--provisioned and --hours go together: N environments enabled for H hours")
	case changed("provisioned-share") && (provShare < 0 || provShare > 1 || math.IsNaN(provShare)):
		return fmt.Errorf("--provisioned-share %v: a share of the requests, 0 to 1", provShare)
	case changed("provisioned-share") && provisioned == 0:
		return errors.New("--provisioned-share needs --provisioned and --hours")
	}
	return nil
}

// printEstimate writes the calculator's breakdown: one line per component
// with its quantity, then the total.
func printEstimate(w io.Writer, t *cost.Table, p cost.Prices, u cost.Usage, free *cost.FreeTier, freeRequested bool, perMs, hours float64, b cost.Breakdown) error {
	fmt.Fprintf(w, "AWS Lambda in %s, %s, %d MB: prices of %s (%s)\n", p.Region, p.Architecture, u.MemoryMB, cmp.Or(p.AsOf, t.AsOf), t.Origin)
	sign := "$"
	if p.Currency != "" && p.Currency != cost.CurrencyUSD {
		sign = p.Currency + " "
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(name, qty string, v float64) { fmt.Fprintf(tw, "  %s\t%s\t%12s\n", name, qty, sign+money(v)) }
	gbs := u.GBSeconds()
	odGBs, pcGBs := gbs*(1-u.ProvisionedShare), gbs*u.ProvisionedShare
	reqQty := fmt.Sprintf("%s requests", count(u.Requests))
	gbsQty := fmt.Sprintf("%s × %s ms × %d MB = %s GB-s", count(u.Requests*(1-u.ProvisionedShare)), count(perMs), u.MemoryMB, count(odGBs))
	if free != nil {
		reqQty += fmt.Sprintf(" − %s free", count(math.Min(u.Requests, free.Requests)))
		gbsQty += fmt.Sprintf(" − %s free", count(math.Min(odGBs, free.GBSeconds)))
	}
	line("requests", reqQty, b.Requests)
	if odGBs > 0 || u.ProvisionedConcurrency == 0 {
		line("duration", gbsQty, b.Duration+b.Init)
	}
	if u.EphemeralMB > cost.FreeEphemeral {
		line("ephemeral storage", fmt.Sprintf("%d MB above 512 MB over %s s", u.EphemeralMB-cost.FreeEphemeral, count(u.DurationMs/1000)), b.Ephemeral)
	}
	if u.ProvisionedConcurrency > 0 {
		line("provisioned concurrency", fmt.Sprintf("%d × %d MB × %s h = %s GB-s", u.ProvisionedConcurrency, u.MemoryMB, count(hours),
			count(float64(u.ProvisionedConcurrency)*float64(u.MemoryMB)/1024*hours*3600)), b.ProvisionedIdle)
		line("provisioned duration", fmt.Sprintf("%s GB-s", count(pcGBs)), b.ProvisionedDuration)
	}
	line("total", "", b.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	if freeRequested && u.ProvisionedConcurrency > 0 {
		fmt.Fprintln(w, "note: the free tier does not apply to functions with provisioned concurrency")
	}
	if p.Currency != "" && p.Currency != cost.CurrencyUSD {
		fmt.Fprintf(w, "note: %s prices in %s; lambdaudit does not convert them to USD\n", p.Region, p.Currency)
	}
	if len(p.Unconfirmed) > 0 {
		fmt.Fprintf(w, "note: not confirmed from the AWS Price List for %s %s: %s (lambdaudit cost refresh)\nsource: %s\n",
			p.Region, p.Architecture, strings.Join(p.Unconfirmed, ", "), p.Source)
	}
	return nil
}

// money is an amount in dollars to the cent.
func money(v float64) string { return fmt.Sprintf("%.2f", math.Round(v*100)/100) }

// count is a quantity with thousands separators (and up to 3 decimals).
func count(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// newCostRefreshCmd is `lambdaudit cost refresh`.
func newCostRefreshCmd() *cobra.Command {
	var (
		out, chinaProfile string
		regions           []string
		china             bool
		httpTimeout       time.Duration
		callTimeout       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "refresh",
		Short: "Fetch AWS Lambda's prices from the AWS Price List into the table lambdaudit then prefers",
		Long: `refresh reads every AWS Lambda product of the AWS Price List (pricing:GetProducts,
ServiceCode AWSLambda, all pages, from the us-east-1 Price List endpoint: the regions of
aws and aws-us-gov, usage types with their region prefixes such as USE2- or EUW2-) and
writes the price table to --out (default ` + "`~/.config/lambdaudit/prices.json`" + ` on Linux),
which 'lambdaudit cost' and the cost model then prefer to the embedded table. Regions
the read does not return — aws-cn, whose Price List is a separate endpoint that needs
aws-cn credentials (read it with --china), or those --regions leaves out — are kept
from the table it replaces (else the embedded one) with their own date, and named on
stderr. The file is written atomically (temp file and rename); its directory is
checked before any call. Every call is bounded by --http-timeout per attempt and
--call-timeout per call, retries included. It needs AWS credentials allowed
pricing:GetProducts; AWS_ENDPOINT_URL points it elsewhere.`,
		Example: `  lambdaudit cost refresh
  lambdaudit cost refresh --regions us-east-1,eu-west-1 --out prices.json
  lambdaudit cost refresh --china --china-profile cn`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				def, err := cost.DefaultPath()
				if err != nil {
					return err
				}
				out = def
			}
			// The output is checked before any AWS call, so a path that
			// cannot be written does not cost a whole read of the Price List.
			if err := atomicfile.CheckDir(filepath.Dir(out)); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			cfg, err := config.LoadDefaultConfig(cmd.Context(), config.WithRegion(cost.PricingRegion))
			if err != nil {
				return fmt.Errorf("aws config: %w", err)
			}
			scanner.BoundCalls(&cfg, httpTimeout, callTimeout)
			// The table the refresh starts from: the file it replaces, else
			// the embedded one. Regions the Price List read does not return
			// are kept from it, so a refresh never loses a region.
			base := cost.Embedded()
			if _, err := os.Stat(out); err == nil {
				if base, err = cost.Load(out); err != nil {
					return err
				}
			}
			now := time.Now()
			t, err := cost.Fetch(cmd.Context(), pricing.NewFromConfig(cfg), regions, now)
			if err != nil {
				return err
			}
			if china {
				opts := []func(*config.LoadOptions) error{config.WithRegion(cost.PricingRegionChina)}
				if chinaProfile != "" {
					opts = append(opts, config.WithSharedConfigProfile(chinaProfile))
				}
				cnCfg, err := config.LoadDefaultConfig(cmd.Context(), opts...)
				if err != nil {
					return fmt.Errorf("aws config (--china): %w", err)
				}
				scanner.BoundCalls(&cnCfg, httpTimeout, callTimeout)
				cn, err := cost.Fetch(cmd.Context(), pricing.NewFromConfig(cnCfg), []string{"cn-north-1", "cn-northwest-1"}, now)
				if err != nil {
					return fmt.Errorf("--china: %w", err)
				}
				t.ReplacePartition(cost.PartitionChina, cn)
			}
			if kept := t.Merge(base); len(kept) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "kept %d regions the Price List did not return, as of %s: %s\n", len(kept), base.AsOf, strings.Join(kept, ", "))
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return fmt.Errorf("price table: %w", err)
			}
			if err := atomicfile.Write(out, t.Write); err != nil {
				return fmt.Errorf("price table: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d prices (%d regions) as of %s to %s\n", len(t.Entries), len(t.Regions()), t.AsOf, out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "price table file to write (default: ~/.config/lambdaudit/prices.json)")
	cmd.Flags().StringSliceVar(&regions, "regions", nil, "only these regions (default: every region of the price list)")
	cmd.Flags().BoolVar(&china, "china", false, "also read the aws-cn Price List (its endpoint in "+cost.PricingRegionChina+"; needs aws-cn credentials) for the China regions, in CNY")
	cmd.Flags().DurationVar(&httpTimeout, "http-timeout", scanner.DefaultHTTPTimeout, "most one HTTP attempt of a Price List call may take, answer included")
	cmd.Flags().DurationVar(&callTimeout, "call-timeout", scanner.DefaultCallTimeout, "most one Price List call may take, its retries included")
	cmd.Flags().StringVar(&chinaProfile, "china-profile", "", "shared config profile of the aws-cn credentials for --china (default: the default chain)")
	return cmd
}
