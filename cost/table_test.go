package cost_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/cost"
)

// TestEmbeddedCoversEveryRegion: every region where Lambda is offered, in
// every partition, has an entry per architecture with every component, a
// date, a source and a currency that is the region's; the table has no
// region outside the catalogue; a rate not confirmed is named in a known
// vocabulary.
func TestEmbeddedCoversEveryRegion(t *testing.T) {
	e := cost.Embedded()
	partitions := map[string]int{}
	known := []string{"perRequest", "duration tier 1", "duration tiers 2-3", "ephemeralPerGBSecond", "provisionedPerGBSecond", "provisionedDurationPerGBSecond"}
	for _, r := range cost.LambdaRegions {
		partitions[r.Partition]++
		if got := cost.PartitionOf(r.Code); got != r.Partition {
			t.Errorf("%s: PartitionOf = %s, the catalogue says %s", r.Code, got, r.Partition)
		}
		for _, arch := range []string{cost.ArchX86, cost.ArchARM64} {
			p, err := e.Prices(r.Code, arch)
			if err != nil {
				t.Errorf("%s %s: %v", r.Code, arch, err)
				continue
			}
			if p.Currency != r.Currency {
				t.Errorf("%s %s: currency %s, the region bills in %s", r.Code, arch, p.Currency, r.Currency)
			}
			if _, err := time.Parse(time.DateOnly, p.AsOf); err != nil || p.Source == "" {
				t.Errorf("%s %s: asOf %q, source %q", r.Code, arch, p.AsOf, p.Source)
			}
			rates := map[string]cost.Rate{"perRequest": p.PerRequest, "ephemeralPerGBSecond": p.EphemeralPerGBSecond,
				"provisionedPerGBSecond": p.ProvisionedPerGBSecond, "provisionedDurationPerGBSecond": p.ProvisionedDurationPerGBSecond}
			for n, v := range rates {
				if v <= 0 {
					t.Errorf("%s %s: %s is %v", r.Code, arch, n, v)
				}
			}
			if len(p.Duration) != 3 {
				t.Errorf("%s %s: %d duration tiers, want 3", r.Code, arch, len(p.Duration))
			}
			for i, tr := range p.Duration {
				if tr.PerGBSecond <= 0 || i > 0 && tr.PerGBSecond >= p.Duration[i-1].PerGBSecond {
					t.Errorf("%s %s: duration tier %d %v is not a discount on the one before", r.Code, arch, i+1, tr.PerGBSecond)
				}
			}
			for _, u := range p.Unconfirmed {
				if !slices.Contains(known, u) {
					t.Errorf("%s %s: unconfirmed %q is none of %v", r.Code, arch, u, known)
				}
			}
			// Without a primary source for every rate, the entry says so.
			if len(p.Unconfirmed) == 0 && !strings.Contains(p.Source, "Price List") {
				t.Errorf("%s %s: nothing unconfirmed, but the source is not the Price List: %q", r.Code, arch, p.Source)
			}
		}
	}
	for _, want := range []string{cost.PartitionAWS, cost.PartitionGov, cost.PartitionChina} {
		if partitions[want] == 0 {
			t.Errorf("no region of partition %s", want)
		}
	}
	if partitions[cost.PartitionAWS] < 30 {
		t.Errorf("%d commercial regions; Lambda runs in more than 30", partitions[cost.PartitionAWS])
	}
	for _, r := range e.Regions() {
		if _, ok := cost.LookupRegion(r); !ok {
			t.Errorf("the table prices %s, which is not in the region catalogue", r)
		}
	}
	if len(e.Entries) != 2*len(cost.LambdaRegions) {
		t.Errorf("%d entries for %d regions", len(e.Entries), len(cost.LambdaRegions))
	}
	// The AWS worked examples' rates: us-east-1 is confirmed in full.
	p, _ := e.Prices("us-east-1", cost.ArchX86)
	if len(p.Unconfirmed) != 0 || p.Duration[0].PerGBSecond != 0.0000166667 || p.PerRequest != 0.0000002 {
		t.Errorf("us-east-1: %+v", p)
	}
}

// TestPricesUnknownRegionNamesChoices: a region outside the table is
// refused with ErrNoPrice, naming it and the table's regions.
func TestPricesUnknownRegionNamesChoices(t *testing.T) {
	_, err := cost.Embedded().Prices("xx-future-1", "arm64")
	if err == nil || !strings.Contains(err.Error(), `region "xx-future-1"`) || !strings.Contains(err.Error(), "mx-central-1") {
		t.Errorf("err = %v", err)
	}
}

// TestMerge: a refresh that read fewer regions than the table had keeps
// the others with their own date and currency, and says which.
func TestMerge(t *testing.T) {
	fetched := &cost.Table{Schema: cost.TableSchema, Version: cost.TableVersion, AsOf: "2026-12-07", Currency: "USD", Source: "read",
		Entries: []cost.Prices{{Region: "us-east-1", Architecture: "x86_64", Currency: "USD", AsOf: "2026-12-07", PerRequest: 0.0000003,
			Duration: []cost.Tier{{PerGBSecond: 0.00002}}, Source: "AWS Price List, regionCode us-east-1"}}}
	kept := fetched.Merge(cost.Embedded())
	if len(kept) != len(cost.LambdaRegions)-1 || slices.Contains(kept, "us-east-1") || !slices.Contains(kept, "cn-north-1") {
		t.Fatalf("kept %v", kept)
	}
	if err := fetched.Validate(); err != nil {
		t.Fatal(err)
	}
	p, _ := fetched.Prices("us-east-1", "x86_64")
	if p.PerRequest != 0.0000003 {
		t.Errorf("the fetched rate was replaced: %+v", p)
	}
	if _, err := fetched.Prices("us-east-1", "arm64"); err == nil {
		t.Error("a fetched region took the base's entry for an architecture the Price List did not return")
	}
	cn, _ := fetched.Prices("cn-northwest-1", "arm64")
	if cn.Currency != "CNY" || cn.AsOf != "2026-12-07" || !strings.Contains(fetched.Source, "kept from the price table of "+cost.Embedded().AsOf+" (embedded)") {
		t.Errorf("kept entry %+v; source %q", cn, fetched.Source)
	}
	if e := cost.Embedded(); len(e.Entries) != 2*len(cost.LambdaRegions) {
		t.Error("Merge changed its base")
	}
}

// TestReplacePartition: a read of the China Price List replaces the
// aws-cn entries only.
func TestReplacePartition(t *testing.T) {
	tb := *cost.Embedded()
	tb.Entries = append([]cost.Prices(nil), tb.Entries...)
	china := &cost.Table{Source: "China Price List", Entries: []cost.Prices{
		{Region: "cn-north-1", Architecture: "x86_64", Currency: "CNY", AsOf: "2026-12-07", PerRequest: 0.000002,
			Duration: []cost.Tier{{PerGBSecond: 0.0001}}, Source: "AWS Price List, regionCode cn-north-1"},
		{Region: "us-east-1", Architecture: "x86_64", Currency: "USD", AsOf: "2026-12-07", PerRequest: 1,
			Duration: []cost.Tier{{PerGBSecond: 1}}, Source: "not China"}}}
	taken := tb.ReplacePartition(cost.PartitionChina, china)
	if strings.Join(taken, ",") != "cn-north-1" {
		t.Fatalf("taken %v", taken)
	}
	if err := tb.Validate(); err != nil {
		t.Fatal(err)
	}
	if p, _ := tb.Prices("cn-north-1", "x86_64"); p.PerRequest != 0.000002 {
		t.Errorf("cn-north-1 not replaced: %+v", p)
	}
	if _, err := tb.Prices("cn-northwest-1", "x86_64"); err == nil {
		t.Error("an aws-cn region the China read did not return was kept beside it")
	}
	if p, _ := tb.Prices("us-east-1", "x86_64"); p.PerRequest != 0.0000002 {
		t.Errorf("a region of another partition was replaced: %+v", p)
	}
}

// TestEmbeddedRegionalRates: figures of AWS's calculator data for regions
// not priced like us-east-1, so that a regenerated table that loses them
// (every region at us-east-1's rate again) fails.
func TestEmbeddedRegionalRates(t *testing.T) {
	cases := []struct {
		region, arch, rate string
		got                func(cost.Prices) cost.Rate
		want               cost.Rate
	}{
		{"af-south-1", "x86_64", "perRequest", func(p cost.Prices) cost.Rate { return p.PerRequest }, 0.00000027},
		{"ap-east-1", "arm64", "duration tier 1", func(p cost.Prices) cost.Rate { return p.Duration[0].PerGBSecond }, 0.0000183},
		{"ap-southeast-5", "x86_64", "duration tier 1", func(p cost.Prices) cost.Rate { return p.Duration[0].PerGBSecond }, 0.000015},
		{"eu-central-2", "x86_64", "perRequest", func(p cost.Prices) cost.Rate { return p.PerRequest }, 0.00000022},
		{"eu-west-1", "x86_64", "provisionedPerGBSecond", func(p cost.Prices) cost.Rate { return p.ProvisionedPerGBSecond }, 0.000004646},
		{"eu-west-2", "x86_64", "provisionedDurationPerGBSecond", func(p cost.Prices) cost.Rate { return p.ProvisionedDurationPerGBSecond }, 0.0000112709},
		{"sa-east-1", "arm64", "ephemeralPerGBSecond", func(p cost.Prices) cost.Rate { return p.EphemeralPerGBSecond }, 0.0000000586},
		{"ap-northeast-3", "x86_64", "duration tier 1", func(p cost.Prices) cost.Rate { return p.Duration[0].PerGBSecond }, 0.0000166667},
		{"cn-northwest-1", "arm64", "duration tier 1", func(p cost.Prices) cost.Rate { return p.Duration[0].PerGBSecond }, 0.0000908},
	}
	for _, c := range cases {
		t.Run(c.region+" "+c.arch+" "+c.rate, func(t *testing.T) {
			p, err := cost.Embedded().Prices(c.region, c.arch)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.got(p); got != c.want {
				t.Errorf("%v, AWS's data says %v", got, c.want)
			}
		})
	}
}
