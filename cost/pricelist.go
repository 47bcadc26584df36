package cost

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"
)

// ServiceCode is AWS Lambda's code in the AWS Price List.
const ServiceCode = "AWSLambda"

// PricingRegion is the region of the Price List Query API endpoint
// Fetch is meant for (pricing.us-east-1.amazonaws.com).
const PricingRegion = "us-east-1"

// PricingRegionChina is the region of the aws-cn Price List endpoint
// (api.pricing.cn-northwest-1.amazonaws.com.cn), which lists the China
// regions in CNY.
const PricingRegionChina = "cn-northwest-1"

// ProductsAPI is the one Price List call Fetch makes, with the SDK's
// exact signature so pricing.NewGetProductsPaginator accepts a fake.
type ProductsAPI interface {
	GetProducts(ctx context.Context, in *pricing.GetProductsInput, optFns ...func(*pricing.Options)) (*pricing.GetProductsOutput, error)
}

// Fetch reads AWS Lambda's products from the AWS Price List
// (pricing:GetProducts, ServiceCode AWSLambda, every page) and builds a
// table as of now. regions limits it to those region codes (a regionCode
// filter per region); none means every region.
func Fetch(ctx context.Context, api ProductsAPI, regions []string, now time.Time) (*Table, error) {
	var items []string
	filters := [][]types.Filter{nil}
	if len(regions) > 0 {
		filters = filters[:0]
		for _, r := range regions {
			filters = append(filters, []types.Filter{{Field: aws.String("regionCode"), Type: types.FilterTypeTermMatch, Value: aws.String(r)}})
		}
	}
	for _, f := range filters {
		pg := pricing.NewGetProductsPaginator(api, &pricing.GetProductsInput{ServiceCode: aws.String(ServiceCode),
			FormatVersion: aws.String("aws_v1"), Filters: f, MaxResults: aws.Int32(100)})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("pricing:GetProducts %s: %w", ServiceCode, err)
			}
			items = append(items, out.PriceList...)
		}
	}
	t, err := FromPriceList(items, now)
	if err != nil {
		return nil, err
	}
	if len(regions) > 0 {
		for _, r := range regions {
			if !containsRegion(t, r) {
				return nil, fmt.Errorf("%w: the AWS Price List has no Lambda requests and duration prices for region %q", ErrNoPrice, r)
			}
		}
	}
	return t, nil
}

func containsRegion(t *Table, r string) bool {
	for _, p := range t.Entries {
		if p.Region == r {
			return true
		}
	}
	return false
}

// priceItem is the part of a Price List product Lambda pricing needs.
type priceItem struct {
	Product struct {
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
		SKU           string            `json:"sku"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			EffectiveDate   string `json:"effectiveDate"`
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				BeginRange   string            `json:"beginRange"`
				EndRange     string            `json:"endRange"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
	PublicationDate string `json:"publicationDate"`
}

// lambdaUsage maps a usage type without its region prefix to the rate it
// carries and its architecture.
var lambdaUsage = map[string]struct{ rate, arch string }{
	"Request":                            {"perRequest", ArchX86},
	"Request-ARM":                        {"perRequest", ArchARM64},
	"Lambda-GB-Second":                   {"duration", ArchX86},
	"Lambda-GB-Second-ARM":               {"duration", ArchARM64},
	"Lambda-Storage-GB-Second":           {"ephemeralPerGBSecond", ArchX86},
	"Lambda-Storage-GB-Second-ARM":       {"ephemeralPerGBSecond", ArchARM64},
	"Lambda-Provisioned-Concurrency":     {"provisionedPerGBSecond", ArchX86},
	"Lambda-Provisioned-Concurrency-ARM": {"provisionedPerGBSecond", ArchARM64},
	"Lambda-Provisioned-GB-Second":       {"provisionedDurationPerGBSecond", ArchX86},
	"Lambda-Provisioned-GB-Second-ARM":   {"provisionedDurationPerGBSecond", ArchARM64},
}

// lambdaRate is the rate a usage type carries: the usage type itself in
// us-east-1, or after a region prefix of capitals and digits ("USE2-",
// "EU-", "APN1-") elsewhere.
func lambdaRate(usageType string) (rate, arch string, ok bool) {
	if u, ok := lambdaUsage[usageType]; ok {
		return u.rate, u.arch, true
	}
	prefix, rest, found := strings.Cut(usageType, "-")
	if !found || prefix == "" || strings.ToUpper(prefix) != prefix {
		return "", "", false
	}
	u, ok := lambdaUsage[rest]
	return u.rate, u.arch, ok
}

// FromPriceList builds a price table from AWS Price List products (the
// JSON strings of GetProducts' PriceList), keeping the on-demand rates of
// requests, duration tiers, ephemeral storage and provisioned concurrency
// per regionCode and architecture, in the currency the list gives (USD;
// CNY in the China Price List). A region needs requests and duration to
// get an entry; a rate missing beside them takes that of us-east-1 (or
// another region of the same currency) and is listed as unconfirmed. The free tier (not a product of the list) is
// AWS's documented 1M requests and 400,000 GB-s a month.
func FromPriceList(items []string, now time.Time) (*Table, error) {
	type key struct{ region, arch string }
	entries := map[key]*Prices{}
	found := map[key]map[string]bool{}
	var published string
	for i, s := range items {
		var it priceItem
		if err := json.Unmarshal([]byte(s), &it); err != nil {
			return nil, fmt.Errorf("price list item %d: %w", i, err)
		}
		if it.PublicationDate > published {
			published = it.PublicationDate
		}
		a := it.Product.Attributes
		region := a["regionCode"]
		rate, arch, ok := lambdaRate(a["usagetype"])
		if !ok || region == "" {
			continue
		}
		dims, currency, err := it.dimensions()
		if err != nil {
			return nil, fmt.Errorf("price list item %d (%s, %s): %w", i, region, a["usagetype"], err)
		}
		if len(dims) == 0 {
			continue
		}
		k := key{region, arch}
		p := entries[k]
		if p == nil {
			p = &Prices{Region: region, Architecture: arch, Currency: currency, AsOf: now.UTC().Format(time.DateOnly)}
			entries[k], found[k] = p, map[string]bool{}
		}
		if p.Currency != currency {
			return nil, fmt.Errorf("price list item %d (%s, %s): priced in %s, the region's other products in %s", i, region, a["usagetype"], currency, p.Currency)
		}
		found[k][rate] = true
		// A flat rate is its last band's price: a $0 first band would be a
		// free allowance, which the table keeps apart (FreeTier).
		flat := dims[len(dims)-1].PerGBSecond
		switch rate {
		case "duration":
			for len(dims) > 1 && dims[0].PerGBSecond == 0 {
				dims = dims[1:]
			}
			p.Duration = dims
		case "perRequest":
			p.PerRequest = flat
		case "ephemeralPerGBSecond":
			p.EphemeralPerGBSecond = flat
		case "provisionedPerGBSecond":
			p.ProvisionedPerGBSecond = flat
		case "provisionedDurationPerGBSecond":
			p.ProvisionedDurationPerGBSecond = flat
		}
	}
	t := &Table{Schema: TableSchema, Version: TableVersion, AsOf: now.UTC().Format(time.DateOnly), Currency: "USD",
		Source: "AWS Price List Query API, pricing:GetProducts ServiceCode " + ServiceCode + ", fetched " + now.UTC().Format(time.RFC3339) +
			publishedNote(published) + "; free tier: AWS's documented 1M requests and 400,000 GB-s a month per account",
		FreeTier: FreeTier{Requests: 1_000_000, GBSeconds: 400_000}}
	// A rate missing beside requests and duration takes that of a region
	// of the same currency and architecture that has it: us-east-1 first.
	var keys []key
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i].region == PricingRegion) != (keys[j].region == PricingRegion) {
			return keys[i].region == PricingRegion
		}
		return keys[i].region < keys[j].region
	})
	standIn := func(k key, rate string) (*Prices, bool) {
		for _, r := range keys {
			if ref := entries[r]; r.arch == k.arch && r != k && ref.Currency == entries[k].Currency && found[r][rate] {
				return ref, true
			}
		}
		return nil, false
	}
	for _, k := range keys {
		p := entries[k]
		if !found[k]["perRequest"] || !found[k]["duration"] {
			continue
		}
		var missing, from []string
		for _, r := range []string{"ephemeralPerGBSecond", "provisionedPerGBSecond", "provisionedDurationPerGBSecond"} {
			if found[k][r] {
				continue
			}
			missing = append(missing, r)
			ref, ok := standIn(k, r)
			if !ok {
				from = append(from, r+" (none: 0)")
				continue
			}
			from = append(from, r+" ("+ref.Region+")")
			switch r {
			case "ephemeralPerGBSecond":
				p.EphemeralPerGBSecond = ref.EphemeralPerGBSecond
			case "provisionedPerGBSecond":
				p.ProvisionedPerGBSecond = ref.ProvisionedPerGBSecond
			case "provisionedDurationPerGBSecond":
				p.ProvisionedDurationPerGBSecond = ref.ProvisionedDurationPerGBSecond
			}
		}
		p.Source = "AWS Price List, regionCode " + p.Region
		if len(missing) > 0 {
			p.Unconfirmed = missing
			p.Source += ". Not in the price list, another region's rate stands in: " + strings.Join(from, ", ")
		}
		t.Entries = append(t.Entries, *p)
	}
	if len(t.Entries) == 0 {
		return nil, fmt.Errorf("price list: %w: no Lambda requests and duration prices in it", ErrNoPrice)
	}
	t.Sort()
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("price list: %w", err)
	}
	return t, nil
}

func publishedNote(p string) string {
	if p == "" {
		return ""
	}
	return ", published " + p
}

// dimensions are the item's on-demand price dimensions as tiers, in
// ascending order of their ranges, and their currency: USD, or CNY where
// the item has no USD price (the China Price List).
func (it *priceItem) dimensions() ([]Tier, string, error) {
	type dim struct {
		begin float64
		tier  Tier
	}
	var ds []dim
	currency := ""
	for _, term := range it.Terms.OnDemand {
		for _, d := range term.PriceDimensions {
			cur := CurrencyUSD
			v, ok := d.PricePerUnit[cur]
			if !ok {
				cur = CurrencyCNY
				if v, ok = d.PricePerUnit[cur]; !ok {
					continue
				}
			}
			if currency != "" && cur != currency {
				return nil, "", fmt.Errorf("price dimensions in both %s and %s", currency, cur)
			}
			currency = cur
			price, err := strconv.ParseFloat(v, 64)
			if err != nil || price < 0 {
				return nil, "", fmt.Errorf("pricePerUnit %s %q is not a price", cur, v)
			}
			begin, _ := strconv.ParseFloat(d.BeginRange, 64)
			var end float64
			if d.EndRange != "" && d.EndRange != "Inf" {
				if end, err = strconv.ParseFloat(d.EndRange, 64); err != nil {
					return nil, "", fmt.Errorf("endRange %q is not a number", d.EndRange)
				}
			}
			ds = append(ds, dim{begin, Tier{UpToGBSeconds: Rate(end), PerGBSecond: Rate(price)}})
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].begin < ds[j].begin })
	out := make([]Tier, len(ds))
	for i, d := range ds {
		out[i] = d.tier
	}
	return out, currency, nil
}
