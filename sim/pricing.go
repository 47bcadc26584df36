package sim

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/lambdaudit/lambdaudit/cost"
)

// Price List (AWSPriceListService) constants: botocore pricing
// 2017-10-15 service-2.json, the GetProducts reference.
const (
	pricingTargetPrefix = "AWSPriceListService."
	pricingPageMax      = 100
	pricingOfferTerm    = "JRTCKXETXF" // AWS's on-demand offer term code
	pricingRateCode     = "6YS6EN2CT7"
)

// pricingProduct is one Price List item before it is rendered as the
// JSON string GetProducts returns.
type pricingProduct struct {
	attrs map[string]string
	json  string
}

// priceList is the simulated AWSLambda price list, built once from the
// embedded price table.
var priceList = sync.OnceValue(func() []pricingProduct { return buildPriceList(cost.Embedded()) })

// buildPriceList renders a price table in the Price List's product/terms
// format: per region and architecture the products Request, Lambda-GB-
// Second (one price dimension per tier), Lambda-Storage-GB-Second,
// Lambda-Provisioned-Concurrency and Lambda-Provisioned-GB-Second, in the
// entry's currency (CNY for aws-cn), with the location and usage-type
// prefix of cost.LambdaRegions, plus the Lambda@Edge products of us-east-1
// that a reader must skip. It serves every region of the table, the
// partitions aws, aws-us-gov and aws-cn together (AWS serves aws-cn from
// a Price List endpoint of its own); a region of the table outside the
// catalogue gets its code as location and no prefix.
func buildPriceList(t *cost.Table) []pricingProduct {
	var out []pricingProduct
	for _, p := range t.Entries {
		reg, ok := cost.LookupRegion(p.Region)
		if !ok {
			reg = cost.Region{Code: p.Region, Location: p.Region}
		}
		arm := ""
		if p.Architecture == cost.ArchARM64 {
			arm = "-ARM"
		}
		one := func(r cost.Rate) []cost.Tier { return []cost.Tier{{PerGBSecond: r}} }
		for _, pr := range []struct {
			usage, group, groupDesc, unit, desc string
			tiers                               []cost.Tier
		}{
			{"Request", "AWS-Lambda-Requests", "Invocation call for a Lambda function", "Requests", "Total Requests", one(p.PerRequest)},
			{"Lambda-GB-Second", "AWS-Lambda-Duration", "Invocation duration weighted by memory assigned in GB", "Lambda-GB-Second", "Total Compute", p.Duration},
			{"Lambda-Storage-GB-Second", "AWS-Lambda-Storage-Duration", "Ephemeral storage configured above 512 MB", "GB-Seconds", "Ephemeral Storage", one(p.EphemeralPerGBSecond)},
			{"Lambda-Provisioned-Concurrency", "AWS-Lambda-Provisioned-Concurrency", "Provisioned concurrency enabled, weighted by memory assigned in GB", "Lambda-GB-Second", "Provisioned Concurrency", one(p.ProvisionedPerGBSecond)},
			{"Lambda-Provisioned-GB-Second", "AWS-Lambda-Duration-Provisioned", "Invocation duration on provisioned concurrency weighted by memory assigned in GB", "Lambda-GB-Second", "Provisioned Duration", one(p.ProvisionedDurationPerGBSecond)},
		} {
			out = append(out, pricingItem(p.Region, reg.Location, reg.UsagePrefix+pr.usage+arm, pr.group+arm, pr.groupDesc, pr.unit, pr.desc, p.Currency, pr.tiers))
		}
	}
	edge, _ := cost.LookupRegion("us-east-1")
	out = append(out,
		pricingItem("us-east-1", edge.Location, "Lambda-Edge-Request", "AWS-Lambda-Edge-Requests", "Lambda@Edge requests", "Requests", "Lambda@Edge Requests", cost.CurrencyUSD, []cost.Tier{{PerGBSecond: 0.0000006}}),
		pricingItem("us-east-1", edge.Location, "Lambda-Edge-GB-Second", "AWS-Lambda-Edge-Duration", "Lambda@Edge duration", "Lambda-GB-Second", "Lambda@Edge Compute", cost.CurrencyUSD, []cost.Tier{{PerGBSecond: 0.00005001}}))
	sort.Slice(out, func(i, j int) bool { return out[i].attrs["usagetype"] < out[j].attrs["usagetype"] })
	return out
}

// pricingItem is one product in AWS's format.
func pricingItem(region, location, usage, group, groupDesc, unit, desc, currency string, tiers []cost.Tier) pricingProduct {
	sum := sha256.Sum256([]byte(usage + "/" + region))
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	sku := make([]byte, 16)
	for i := range sku {
		sku[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	attrs := map[string]string{"servicecode": cost.ServiceCode, "servicename": "AWS Lambda", "location": location,
		"locationType": "AWS Region", "regionCode": region, "group": group, "groupDescription": groupDesc,
		"usagetype": usage, "operation": ""}
	type dimension struct {
		Unit         string            `json:"unit"`
		EndRange     string            `json:"endRange"`
		Description  string            `json:"description"`
		AppliesTo    []string          `json:"appliesTo"`
		RateCode     string            `json:"rateCode"`
		BeginRange   string            `json:"beginRange"`
		PricePerUnit map[string]string `json:"pricePerUnit"`
	}
	term := string(sku) + "." + pricingOfferTerm
	dims := map[string]dimension{}
	begin := "0"
	for i, t := range tiers {
		end := "Inf"
		if t.UpToGBSeconds > 0 {
			end = strconv.FormatFloat(float64(t.UpToGBSeconds), 'f', -1, 64)
		}
		d := fmt.Sprintf("AWS Lambda - %s - %s", desc, location)
		if len(tiers) > 1 {
			d += fmt.Sprintf("-Tier-%d", i+1)
		}
		code := fmt.Sprintf("%s.%s%d", term, pricingRateCode[:len(pricingRateCode)-1], i)
		dims[code] = dimension{Unit: unit, EndRange: end, Description: d, AppliesTo: []string{}, RateCode: code,
			BeginRange: begin, PricePerUnit: map[string]string{currency: strconv.FormatFloat(float64(t.PerGBSecond), 'f', 10, 64)}}
		begin = end
	}
	doc := map[string]any{
		"product":     map[string]any{"productFamily": "Serverless", "attributes": attrs, "sku": string(sku)},
		"serviceCode": cost.ServiceCode,
		"terms": map[string]any{"OnDemand": map[string]any{term: map[string]any{
			"priceDimensions": dims, "sku": string(sku), "effectiveDate": "2026-09-01T00:00:00Z",
			"offerTermCode": pricingOfferTerm, "termAttributes": map[string]string{}}}},
		"version":         "20260906000000",
		"publicationDate": "2026-09-06T00:00:00Z",
	}
	b, _ := json.Marshal(doc)
	return pricingProduct{attrs: attrs, json: string(b)}
}

// pricingFilter is a GetProducts filter.
type pricingFilter struct {
	Field string `json:"Field"`
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

func (f pricingFilter) match(attrs map[string]string) bool {
	v, ok := attrs[f.Field]
	if !ok {
		return f.Type == "NONE_OF"
	}
	switch f.Type {
	case "TERM_MATCH", "EQUALS":
		return v == f.Value
	case "CONTAINS":
		return strings.Contains(v, f.Value)
	case "ANY_OF", "NONE_OF":
		in := false
		for _, x := range strings.Split(f.Value, ",") {
			in = in || strings.TrimSpace(x) == v
		}
		return in == (f.Type == "ANY_OF")
	}
	return false
}

// servePricing serves the Price List's GetProducts (awsJson1.1) for
// ServiceCode AWSLambda from the embedded price table: filters on any
// product attribute (regionCode, location, usagetype, group, …; field
// names case-sensitive, TERM_MATCH, EQUALS, CONTAINS, ANY_OF, NONE_OF),
// at most 100 products a page with a NextToken bound to the request. The
// Price List is global: no region refuses it, and no quota applies.
func (s *Server) servePricing(w http.ResponseWriter, r *http.Request, c *call) {
	var req struct {
		ServiceCode   *string         `json:"ServiceCode"`
		Filters       []pricingFilter `json:"Filters"`
		FormatVersion *string         `json:"FormatVersion"`
		MaxResults    *int64          `json:"MaxResults"`
		NextToken     *string         `json:"NextToken"`
	}
	if !s.jsonRequest(w, r, c, pricingTargetPrefix, "Price List", &req, "GetProducts") {
		return
	}
	if e := s.admit(r.Context(), c); e != nil {
		s.fail(w, c, e)
		return
	}
	invalid := func(msg string) {
		s.fail(w, c, &apiError{Status: 400, Code: "InvalidParameterException", Message: msg})
	}
	switch {
	case req.ServiceCode == nil || *req.ServiceCode == "":
		invalid("1 validation error detected: Value null at 'serviceCode' failed to satisfy constraint: Member must not be null")
		return
	case req.FormatVersion != nil && *req.FormatVersion != "aws_v1":
		invalid(fmt.Sprintf("Invalid FormatVersion %q: the only supported format version is aws_v1", *req.FormatVersion))
		return
	case req.MaxResults != nil && (*req.MaxResults < 1 || *req.MaxResults > pricingPageMax):
		invalid(fmt.Sprintf("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", *req.MaxResults, pricingPageMax))
		return
	}
	for _, f := range req.Filters {
		switch {
		case f.Field == "" || f.Value == "":
			invalid("a filter needs a Field and a Value")
			return
		case f.Type != "TERM_MATCH" && f.Type != "EQUALS" && f.Type != "CONTAINS" && f.Type != "ANY_OF" && f.Type != "NONE_OF":
			invalid(fmt.Sprintf("1 validation error detected: Value '%s' at 'filters.1.member.type' failed to satisfy constraint: Member must satisfy enum value set: [TERM_MATCH, EQUALS, CONTAINS, ANY_OF, NONE_OF]", f.Type))
			return
		}
	}
	var matched []string
	if *req.ServiceCode == cost.ServiceCode {
	products:
		for _, p := range priceList() {
			for _, f := range req.Filters {
				if !f.match(p.attrs) {
					continue products
				}
			}
			matched = append(matched, p.json)
		}
	}
	limit := pricingPageMax
	if req.MaxResults != nil {
		limit = int(*req.MaxResults)
	}
	fb, _ := json.Marshal(req.Filters)
	scope := "GetProducts/" + *req.ServiceCode + "/" + string(fb)
	from := 0
	if req.NextToken != nil && *req.NextToken != "" {
		n, ok := decodeTaggingToken(scope, *req.NextToken)
		if !ok || n > len(matched) {
			s.fail(w, c, &apiError{Status: 400, Code: "InvalidNextTokenException", Message: "The pagination token is invalid. Try again without a pagination token."})
			return
		}
		from = n
	}
	out := struct {
		FormatVersion string   `json:"FormatVersion"`
		PriceList     []string `json:"PriceList"`
		NextToken     string   `json:"NextToken,omitempty"`
	}{FormatVersion: "aws_v1", PriceList: []string{}}
	end := min(from+limit, len(matched))
	out.PriceList = append(out.PriceList, matched[from:end]...)
	if end < len(matched) {
		out.NextToken = encodeTaggingToken(scope, end)
	}
	s.succeed(c, nil)
	writeJSON(w, c, "application/x-amz-json-1.1", out)
}
