package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/aws/smithy-go"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

func pricingClient(t *testing.T, url string) *pricing.Client {
	return pricing.NewFromConfig(simtest.SDKConfig(t, url, cost.PricingRegion))
}

func allProducts(t *testing.T, c *pricing.Client, in *pricing.GetProductsInput) ([]string, int) {
	t.Helper()
	var items []string
	pages := 0
	p := pricing.NewGetProductsPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.FormatVersion) != "aws_v1" {
			t.Fatalf("FormatVersion %q", aws.ToString(out.FormatVersion))
		}
		pages++
		items = append(items, out.PriceList...)
	}
	return items, pages
}

func term(field, value string) types.Filter {
	return types.Filter{Field: aws.String(field), Type: types.FilterTypeTermMatch, Value: aws.String(value)}
}

// TestPricingGetProducts: the real pricing client pages through the
// simulated AWSLambda price list, filters by regionCode, location and
// usage type, and reads back products in AWS's product/terms format.
func TestPricingGetProducts(t *testing.T) {
	env := simtest.Start(t, lambdaSpec)
	c := pricingClient(t, env.URL)
	svc := aws.String(cost.ServiceCode)

	all, pages := allProducts(t, c, &pricing.GetProductsInput{ServiceCode: svc, FormatVersion: aws.String("aws_v1"), MaxResults: aws.Int32(100)})
	// Every region of the table × 2 architectures × 5 products + 2
	// Lambda@Edge products.
	n := len(cost.LambdaRegions)*2*5 + 2
	if len(all) != n || pages != (n+99)/100 {
		t.Fatalf("%d products in %d pages, want %d in %d", len(all), pages, n, (n+99)/100)
	}
	for _, tc := range []struct {
		name    string
		filters []types.Filter
		want    int
	}{
		{"regionCode", []types.Filter{term("regionCode", "eu-central-1")}, 10},
		{"location", []types.Filter{term("location", "Asia Pacific (Tokyo)")}, 10},
		{"location and usage type", []types.Filter{term("location", "US East (Ohio)"), term("usagetype", "USE2-Lambda-GB-Second-ARM")}, 1},
		{"us-east-1 has no usage type prefix", []types.Filter{term("usagetype", "Lambda-GB-Second")}, 1},
		{"any of two regions", []types.Filter{{Field: aws.String("regionCode"), Type: types.FilterTypeAnyOf, Value: aws.String("us-west-2,eu-west-1")}}, 20},
		{"a region without Lambda prices", []types.Filter{term("regionCode", "xx-future-1")}, 0},
		{"GovCloud", []types.Filter{term("location", "AWS GovCloud (US-West)"), term("usagetype", "UGW1-Request")}, 1},
		{"China, in CNY", []types.Filter{term("regionCode", "cn-northwest-1"), term("usagetype", "CNW1-Lambda-GB-Second")}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := allProducts(t, c, &pricing.GetProductsInput{ServiceCode: svc, Filters: tc.filters})
			if len(got) != tc.want {
				t.Fatalf("%d products, want %d", len(got), tc.want)
			}
		})
	}

	// One product as AWS writes it: the x86_64 duration of us-east-1
	// with its three tiers.
	got, _ := allProducts(t, c, &pricing.GetProductsInput{ServiceCode: svc, Filters: []types.Filter{term("regionCode", "us-east-1"), term("group", "AWS-Lambda-Duration")}})
	if len(got) != 1 {
		t.Fatalf("%d us-east-1 duration products, want 1", len(got))
	}
	var p struct {
		Product struct {
			ProductFamily string            `json:"productFamily"`
			Attributes    map[string]string `json:"attributes"`
			SKU           string            `json:"sku"`
		} `json:"product"`
		ServiceCode string `json:"serviceCode"`
		Terms       struct {
			OnDemand map[string]struct {
				SKU             string `json:"sku"`
				PriceDimensions map[string]struct {
					Unit, BeginRange, EndRange string
					PricePerUnit               map[string]string
				} `json:"priceDimensions"`
			} `json:"OnDemand"`
		} `json:"terms"`
	}
	if err := json.Unmarshal([]byte(got[0]), &p); err != nil {
		t.Fatal(err)
	}
	a := p.Product.Attributes
	if p.ServiceCode != "AWSLambda" || p.Product.ProductFamily != "Serverless" || a["usagetype"] != "Lambda-GB-Second" ||
		a["location"] != "US East (N. Virginia)" || len(p.Product.SKU) != 16 || len(p.Terms.OnDemand) != 1 {
		t.Fatalf("product %+v", p)
	}
	prices := map[string]string{}
	for _, term := range p.Terms.OnDemand {
		if term.SKU != p.Product.SKU {
			t.Errorf("term sku %s, product %s", term.SKU, p.Product.SKU)
		}
		for _, d := range term.PriceDimensions {
			if d.Unit != "Lambda-GB-Second" {
				t.Errorf("unit %s", d.Unit)
			}
			prices[d.BeginRange+"-"+d.EndRange] = d.PricePerUnit["USD"]
		}
	}
	want := map[string]string{"0-6000000000": "0.0000166667", "6000000000-15000000000": "0.0000150000", "15000000000-Inf": "0.0000133334"}
	if len(prices) != 3 {
		t.Fatalf("dimensions %v, want %v", prices, want)
	}
	for k, v := range want {
		if prices[k] != v {
			t.Errorf("dimension %s = %s, want %s", k, prices[k], v)
		}
	}
}

func TestPricingGetProductsErrors(t *testing.T) {
	env := simtest.Start(t, lambdaSpec)
	c := pricingClient(t, env.URL)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		in   *pricing.GetProductsInput
		code string
	}{
		{"MaxResults above 100", &pricing.GetProductsInput{ServiceCode: aws.String("AWSLambda"), MaxResults: aws.Int32(101)}, "InvalidParameterException"},
		{"a token not from this request", &pricing.GetProductsInput{ServiceCode: aws.String("AWSLambda"), NextToken: aws.String("bm90LWEtdG9rZW4")}, "InvalidNextTokenException"},
		{"unknown filter type", &pricing.GetProductsInput{ServiceCode: aws.String("AWSLambda"), Filters: []types.Filter{{Field: aws.String("regionCode"), Type: "FUZZY", Value: aws.String("x")}}}, "InvalidParameterException"},
		{"unknown format version", &pricing.GetProductsInput{ServiceCode: aws.String("AWSLambda"), FormatVersion: aws.String("aws_v2")}, "InvalidParameterException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.GetProducts(ctx, tc.in, func(o *pricing.Options) { o.RetryMaxAttempts = 1 })
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
	// Another service code has no products here.
	out, err := c.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2")})
	if err != nil || len(out.PriceList) != 0 {
		t.Fatalf("AmazonEC2: %v, %d products", err, len(out.PriceList))
	}
}

// TestPricingRefreshRoundTrip: cost.Fetch over the wire rebuilds the
// embedded table's rates — every region of every partition, the aws-cn
// ones in CNY — from the simulated price list, the table written
// by a refresh loads back, and Model prices the same with it.
func TestPricingRefreshRoundTrip(t *testing.T) {
	env := simtest.Start(t, lambdaSpec)
	c := pricingClient(t, env.URL)
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	fetched, err := cost.Fetch(context.Background(), c, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	emb := cost.Embedded()
	if len(fetched.Entries) != len(emb.Entries) || fetched.AsOf != "2026-11-21" {
		t.Fatalf("%d entries as of %s, want %d as of 2026-11-21", len(fetched.Entries), fetched.AsOf, len(emb.Entries))
	}
	for _, want := range emb.Entries {
		got, err := fetched.Prices(want.Region, want.Architecture)
		if err != nil {
			t.Fatal(err)
		}
		same := got.Currency == want.Currency && got.PerRequest == want.PerRequest && got.EphemeralPerGBSecond == want.EphemeralPerGBSecond &&
			got.ProvisionedPerGBSecond == want.ProvisionedPerGBSecond && got.ProvisionedDurationPerGBSecond == want.ProvisionedDurationPerGBSecond &&
			len(got.Duration) == len(want.Duration) && len(got.Unconfirmed) == 0
		for i := range want.Duration {
			same = same && i < len(got.Duration) && got.Duration[i] == want.Duration[i]
		}
		if !same {
			t.Errorf("%s %s: fetched %+v, embedded %+v", want.Region, want.Architecture, got, want)
		}
	}

	// Written by refresh, read by Load.
	path := t.TempDir() + "/prices.json"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fetched.Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	loaded, err := cost.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := loaded.Prices("eu-west-1", "arm64")
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Estimate(cost.Usage{Architecture: "arm64", MemoryMB: 1024, Requests: 1e6, DurationMs: 1e6 * 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.2 + 1e5*0.0000133334; math.Abs(b.Total-want) > 1e-9 || loaded.Origin != path {
		t.Errorf("loaded table: total %v from %s, want %v", b.Total, loaded.Origin, want)
	}

	// A refresh of chosen regions uses the regionCode filter, and a region
	// without prices is refused by name.
	some, err := cost.Fetch(context.Background(), c, []string{"us-east-1", "ap-northeast-1"}, now)
	if err != nil || len(some.Entries) != 4 {
		t.Fatalf("two regions: %v, %+v", err, some)
	}
	if _, err := cost.Fetch(context.Background(), c, []string{"xx-future-1"}, now); !errors.Is(err, cost.ErrNoPrice) {
		t.Errorf("xx-future-1: err = %v, want ErrNoPrice", err)
	}
}
