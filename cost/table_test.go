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
