package cost_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/cost"
)

// item is a Price List product in AWS's format with one on-demand term.
func item(region, usage, dims string) string {
	return `{"product":{"productFamily":"Serverless","attributes":{"servicecode":"AWSLambda","regionCode":"` + region +
		`","usagetype":"` + usage + `"},"sku":"S"},"serviceCode":"AWSLambda","terms":{"OnDemand":{"S.JRTCKXETXF":{"priceDimensions":{` +
		dims + `},"sku":"S"}}},"publicationDate":"2026-11-01T00:00:00Z"}`
}

func dim(code, begin, end, usd string) string {
	return dimIn("USD", code, begin, end, usd)
}

func dimIn(currency, code, begin, end, price string) string {
	return `"` + code + `":{"unit":"x","beginRange":"` + begin + `","endRange":"` + end + `","pricePerUnit":{"` + currency + `":"` + price + `"}}`
}

// TestFromPriceListChina: the China Price List prices in CNY; the entry
// keeps the currency, and a missing rate takes that of a region of the
// same currency, never a USD one.
func TestFromPriceListChina(t *testing.T) {
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	items := []string{
		item("cn-northwest-1", "CNW1-Request", dimIn("CNY", "a", "0", "Inf", "0.00000136")),
		item("cn-northwest-1", "CNW1-Lambda-GB-Second", dimIn("CNY", "a", "0", "Inf", "0.000113477")),
		item("cn-northwest-1", "CNW1-Lambda-Provisioned-Concurrency", dimIn("CNY", "a", "0", "Inf", "0.0000283")),
		item("cn-north-1", "CNN1-Request", dimIn("CNY", "a", "0", "Inf", "0.00000136")),
		item("cn-north-1", "CNN1-Lambda-GB-Second", dimIn("CNY", "a", "0", "Inf", "0.000113477")),
		item("us-east-1", "Request", dim("a", "0", "Inf", "0.0000002")),
		item("us-east-1", "Lambda-GB-Second", dim("a", "0", "Inf", "0.0000166667")),
		item("us-east-1", "Lambda-Provisioned-Concurrency", dim("a", "0", "Inf", "0.0000041667")),
	}
	tb, err := cost.FromPriceList(items, now)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tb.Prices("cn-north-1", "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	if p.Currency != "CNY" || p.PerRequest != 0.00000136 || p.ProvisionedPerGBSecond != 0.0000283 || p.AsOf != "2026-11-21" ||
		!strings.Contains(p.Source, "provisionedPerGBSecond (cn-northwest-1)") {
		t.Errorf("cn-north-1: %+v", p)
	}
	if u, _ := tb.Prices("us-east-1", "x86_64"); u.Currency != "USD" {
		t.Errorf("us-east-1 currency %q", u.Currency)
	}
	mixed := append(items, item("cn-north-1", "CNN1-Lambda-Storage-GB-Second", dim("a", "0", "Inf", "0.00000005")))
	if _, err := cost.FromPriceList(mixed, now); err == nil || !strings.Contains(err.Error(), "priced in USD, the region's other products in CNY") {
		t.Errorf("a region priced in two currencies: err = %v", err)
	}
}

func TestFromPriceList(t *testing.T) {
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	items := []string{
		item("eu-west-1", "EU-Request", dim("a", "0", "Inf", "0.0000002000")),
		// Tiers out of order, as map keys come.
		item("eu-west-1", "EU-Lambda-GB-Second", dim("c", "15000000000", "Inf", "0.0000133334")+","+
			dim("a", "0", "6000000000", "0.0000166667")+","+dim("b", "6000000000", "15000000000", "0.0000150000")),
		item("eu-west-1", "EU-Lambda-Storage-GB-Second", dim("a", "0", "Inf", "0.0000000309")),
		// A $0 first band is a free allowance, not the rate.
		item("eu-west-1", "EU-Request-ARM", dim("a", "0", "1000000", "0")+","+dim("b", "1000000", "Inf", "0.0000002")),
		item("eu-west-1", "EU-Lambda-GB-Second-ARM", dim("a", "0", "Inf", "0.0000133334")),
		// us-east-1 (no prefix) supplies the stand-ins.
		item("us-east-1", "Request", dim("a", "0", "Inf", "0.0000002")),
		item("us-east-1", "Lambda-GB-Second", dim("a", "0", "Inf", "0.0000166667")),
		item("us-east-1", "Lambda-Provisioned-Concurrency", dim("a", "0", "Inf", "0.0000041667")),
		// Skipped: Lambda@Edge, free tier products without a region,
		// regions without requests and duration.
		item("us-east-1", "Lambda-Edge-Request", dim("a", "0", "Inf", "0.0000006")),
		item("", "Global-Request", dim("a", "0", "1000000", "0")),
		item("sa-east-1", "SAE1-Lambda-Storage-GB-Second", dim("a", "0", "Inf", "0.00000005")),
	}
	tb, err := cost.FromPriceList(items, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tb.Regions(), ","); got != "eu-west-1,us-east-1" || len(tb.Entries) != 3 || tb.AsOf != "2026-11-21" {
		t.Fatalf("regions %s, %d entries, as of %s", got, len(tb.Entries), tb.AsOf)
	}
	p, _ := tb.Prices("eu-west-1", "x86_64")
	want := []cost.Tier{{UpToGBSeconds: 6e9, PerGBSecond: 0.0000166667}, {UpToGBSeconds: 15e9, PerGBSecond: 0.000015}, {PerGBSecond: 0.0000133334}}
	if len(p.Duration) != 3 || p.Duration[0] != want[0] || p.Duration[1] != want[1] || p.Duration[2] != want[2] {
		t.Errorf("eu-west-1 x86_64 tiers %v, want %v", p.Duration, want)
	}
	if p.PerRequest != 0.0000002 || p.EphemeralPerGBSecond != 0.0000000309 || p.ProvisionedPerGBSecond != 0.0000041667 {
		t.Errorf("eu-west-1 x86_64 %+v", p)
	}
	if strings.Join(p.Unconfirmed, ",") != "provisionedPerGBSecond,provisionedDurationPerGBSecond" || !strings.Contains(p.Source, "provisionedPerGBSecond (us-east-1)") {
		t.Errorf("unconfirmed %v, source %q", p.Unconfirmed, p.Source)
	}
	a, _ := tb.Prices("eu-west-1", "arm64")
	if a.PerRequest != 0.0000002 {
		t.Errorf("arm64 requests %v, want the rate after the free band", a.PerRequest)
	}

	if _, err := cost.FromPriceList([]string{item("us-east-1", "Lambda-Edge-Request", dim("a", "0", "Inf", "1"))}, now); !errors.Is(err, cost.ErrNoPrice) {
		t.Errorf("no Lambda prices: err = %v", err)
	}
	if _, err := cost.FromPriceList([]string{item("us-east-1", "Request", dim("a", "0", "Inf", "cheap"))}, now); err == nil || !strings.Contains(err.Error(), `"cheap"`) {
		t.Errorf("bad price: err = %v", err)
	}
}

func TestTableValidate(t *testing.T) {
	good := func() *cost.Table {
		tb := *cost.Embedded()
		tb.Entries = append([]cost.Prices(nil), tb.Entries...)
		return &tb
	}
	cases := []struct {
		name   string
		mutate func(*cost.Table)
		want   string
	}{
		{"schema", func(tb *cost.Table) { tb.Schema = "x" }, "not a price table"},
		{"date", func(tb *cost.Table) { tb.AsOf = "last week" }, "asOf"},
		{"negative rate", func(tb *cost.Table) { tb.Entries[0].PerRequest = -1 }, "perRequest: -1"},
		{"tiers not ascending", func(tb *cost.Table) {
			tb.Entries[0].Duration = []cost.Tier{{UpToGBSeconds: 5, PerGBSecond: 1}, {UpToGBSeconds: 4, PerGBSecond: 1}, {PerGBSecond: 1}}
		}, "duration[1]"},
		{"last tier bounded", func(tb *cost.Table) { tb.Entries[0].Duration = []cost.Tier{{UpToGBSeconds: 5, PerGBSecond: 1}} }, "the last tier"},
		{"duplicate", func(tb *cost.Table) { tb.Entries = append(tb.Entries, tb.Entries[0]) }, "a second entry"},
		{"architecture", func(tb *cost.Table) { tb.Entries[0].Architecture = "x86" }, `architecture "x86"`},
		{"entry currency", func(tb *cost.Table) { tb.Entries[0].Currency = "EUR" }, `currency "EUR" is not USD or CNY`},
		{"table currency", func(tb *cost.Table) { tb.Currency = "CNY" }, `the table's currency must be USD`},
		{"entry date", func(tb *cost.Table) { tb.Entries[0].AsOf = "soon" }, `asOf: "soon"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := good()
			c.mutate(tb)
			if err := tb.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one naming %q", err, c.want)
			}
		})
	}
	// The embedded table names its as-of date and every region asked for.
	e := cost.Embedded()
	for _, r := range []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1"} {
		for _, a := range []string{"x86_64", "arm64"} {
			p, err := e.Prices(r, a)
			if err != nil || p.Source == "" {
				t.Errorf("%s %s: %v, source %q", r, a, err, p.Source)
			}
		}
	}
}

// TestFromPriceListPrefixes: the region comes from regionCode, whatever
// the usage type's prefix: none or USE1- in us-east-1, the GovCloud and
// China prefixes, a prefix of a region launched after this code.
func TestFromPriceListPrefixes(t *testing.T) {
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct{ region, prefix string }{
		{"us-east-1", ""}, {"us-east-1", "USE1-"}, {"us-gov-west-1", "UGW1-"}, {"us-gov-east-1", "UGE1-"},
		{"eu-west-2", "EUW2-"}, {"mx-central-1", "MXC1-"}, {"xx-future-1", "XXF1-"},
	} {
		tb, err := cost.FromPriceList([]string{
			item(c.region, c.prefix+"Request-ARM", dim("a", "0", "Inf", "0.0000002")),
			item(c.region, c.prefix+"Lambda-GB-Second-ARM", dim("a", "0", "Inf", "0.0000133334")),
		}, now)
		if err != nil {
			t.Errorf("%s%s: %v", c.prefix, c.region, err)
			continue
		}
		if p, err := tb.Prices(c.region, "arm64"); err != nil || p.Duration[0].PerGBSecond != 0.0000133334 {
			t.Errorf("%s with prefix %q: %v %+v", c.region, c.prefix, err, p)
		}
	}
}
