package sim

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"strings"

	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// Resource Groups Tagging API limits (botocore resourcegroupstaggingapi
// 2017-01-26 service-2.json and the GetResources reference).
const (
	taggingTargetPrefix = "ResourceGroupsTaggingAPI_20170126."
	taggingPageMax      = 100
	taggingTagsPerPage  = 100 // minimum (and default) TagsPerPage
	taggingTagsPageMax  = 500
	taggingMaxFilters   = 50
	taggingMaxValues    = 20
	taggingMaxARNs      = 100
)

// getResourcesInput is GetResources' request.
type getResourcesInput struct {
	PaginationToken *string `json:"PaginationToken"`
	TagFilters      []struct {
		Key    *string  `json:"Key"`
		Values []string `json:"Values"`
	} `json:"TagFilters"`
	ResourcesPerPage          *int64   `json:"ResourcesPerPage"`
	TagsPerPage               *int64   `json:"TagsPerPage"`
	ResourceTypeFilters       []string `json:"ResourceTypeFilters"`
	IncludeComplianceDetails  *bool    `json:"IncludeComplianceDetails"`
	ExcludeCompliantResources *bool    `json:"ExcludeCompliantResources"`
	ResourceARNList           []string `json:"ResourceARNList"`
}

type taggingTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type resourceTagMapping struct {
	ResourceARN string       `json:"ResourceARN"`
	Tags        []taggingTag `json:"Tags"`
}

func taggingInvalid(msg string) *apiError {
	return &apiError{Status: 400, Code: "InvalidParameterException", Message: msg}
}

// serveTagging serves the Resource Groups Tagging API (awsJson1.1)
// GetResources for the caller's Lambda functions, so a scanner reads the
// tags of 10,000 functions in 100 calls instead of 10,000 ListTags.
func (s *Server) serveTagging(w http.ResponseWriter, r *http.Request, c *call) {
	var req getResourcesInput
	if !s.jsonRequest(w, r, c, taggingTargetPrefix, "Resource Groups Tagging API", &req, "GetResources") {
		return
	}
	if e := s.admit(r.Context(), c); e != nil {
		s.fail(w, c, e)
		return
	}
	out, e := getResources(c, &req)
	if e != nil {
		s.fail(w, c, e)
		return
	}
	s.succeed(c, nil)
	writeJSON(w, c, "application/x-amz-json-1.1", out)
}

// tagFilter is a validated TagFilter: the resource must have Key, with one
// of Values when any are given.
type tagFilter struct {
	key    string
	values map[string]bool
}

func (f tagFilter) match(tags map[string]string) bool {
	v, ok := tags[f.key]
	return ok && (len(f.values) == 0 || f.values[v])
}

// matchesType reports whether a ResourceTypeFilter selects Lambda functions.
func matchesType(filter string) (bool, *apiError) {
	svc, typ, _ := strings.Cut(filter, ":")
	if svc == "" || strings.ContainsAny(filter, " \t") {
		return false, taggingInvalid(fmt.Sprintf("Invalid resource type filter: %q. Use the format service[:resourceType].", filter))
	}
	return svc == "lambda" && (typ == "" || typ == "function"), nil
}

func getResources(c *call, req *getResourcesInput) (any, *apiError) {
	perPage := int64(taggingPageMax)
	if req.ResourcesPerPage != nil {
		if *req.ResourcesPerPage < 1 || *req.ResourcesPerPage > taggingPageMax {
			return nil, taggingInvalid(fmt.Sprintf("ResourcesPerPage must be between 1 and %d, got %d", taggingPageMax, *req.ResourcesPerPage))
		}
		perPage = *req.ResourcesPerPage
	}
	if req.TagsPerPage != nil && (*req.TagsPerPage < taggingTagsPerPage || *req.TagsPerPage > taggingTagsPageMax) {
		return nil, taggingInvalid(fmt.Sprintf("TagsPerPage must be between %d and %d, got %d", taggingTagsPerPage, taggingTagsPageMax, *req.TagsPerPage))
	}
	if len(req.TagFilters) > taggingMaxFilters {
		return nil, taggingInvalid(fmt.Sprintf("1 validation error detected: Value at 'tagFilters' failed to satisfy constraint: Member must have length less than or equal to %d", taggingMaxFilters))
	}
	if req.ResourceARNList != nil {
		if len(req.ResourceARNList) < 1 || len(req.ResourceARNList) > taggingMaxARNs {
			return nil, taggingInvalid(fmt.Sprintf("1 validation error detected: Value at 'resourceARNList' failed to satisfy constraint: Member must have length between 1 and %d", taggingMaxARNs))
		}
		if len(req.TagFilters) > 0 || len(req.ResourceTypeFilters) > 0 {
			return nil, taggingInvalid("ResourceARNList cannot be used with TagFilters or ResourceTypeFilters")
		}
	}
	filters := make([]tagFilter, 0, len(req.TagFilters))
	for i, tf := range req.TagFilters {
		if tf.Key == nil || *tf.Key == "" || len(*tf.Key) > 128 {
			return nil, taggingInvalid(fmt.Sprintf("TagFilters[%d].Key must be 1-128 characters", i))
		}
		if len(tf.Values) > taggingMaxValues {
			return nil, taggingInvalid(fmt.Sprintf("1 validation error detected: Value at 'tagFilters.%d.member.values' failed to satisfy constraint: Member must have length less than or equal to %d", i+1, taggingMaxValues))
		}
		f := tagFilter{key: *tf.Key, values: map[string]bool{}}
		for _, v := range tf.Values {
			f.values[v] = true
		}
		filters = append(filters, f)
	}
	wantLambda := len(req.ResourceTypeFilters) == 0
	for _, t := range req.ResourceTypeFilters {
		ok, e := matchesType(t)
		if e != nil {
			return nil, e
		}
		wantLambda = wantLambda || ok
	}
	var fns []*fleet.Function
	if c.fleetRegion != nil && wantLambda {
		fns = c.fleetRegion.Functions
	}
	if req.ResourceARNList != nil {
		fns = nil
		seen := map[*fleet.Function]bool{}
		for _, arn := range req.ResourceARNList {
			if fn := c.fleetRegion.Function(arn); fn != nil && fn.ARN == arn && !seen[fn] {
				seen[fn] = true
				fns = append(fns, fn)
			}
		}
		sort.Slice(fns, func(i, j int) bool { return fns[i].Index < fns[j].Index })
	}
	scope := taggingScope(c, req)
	from := 0
	if t := req.PaginationToken; t != nil && *t != "" {
		n, ok := decodeTaggingToken(scope, *t)
		if !ok || n > len(fns) {
			return nil, taggingInvalid("The specified pagination token is not valid: " + *t)
		}
		from = n
	}
	out := struct {
		PaginationToken        string               `json:"PaginationToken"`
		ResourceTagMappingList []resourceTagMapping `json:"ResourceTagMappingList"`
	}{ResourceTagMappingList: []resourceTagMapping{}}
	for i := from; i < len(fns); i++ {
		fn := fns[i]
		if len(fn.Tags) == 0 {
			continue // the tagging API knows tagged resources only
		}
		ok := true
		for _, f := range filters {
			ok = ok && f.match(fn.Tags)
		}
		if !ok {
			continue
		}
		if int64(len(out.ResourceTagMappingList)) == perPage {
			out.PaginationToken = encodeTaggingToken(scope, i)
			break
		}
		keys := make([]string, 0, len(fn.Tags))
		for k := range fn.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := resourceTagMapping{ResourceARN: fn.ARN, Tags: make([]taggingTag, 0, len(keys))}
		for _, k := range keys {
			m.Tags = append(m.Tags, taggingTag{k, fn.Tags[k]})
		}
		out.ResourceTagMappingList = append(out.ResourceTagMappingList, m)
	}
	return out, nil
}

// taggingScope binds a pagination token to the caller and the request's
// filters, so a token is only good for the query that issued it.
func taggingScope(c *call, req *getResourcesInput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s/%q/%q/", c.account, c.region, req.ResourceTypeFilters, req.ResourceARNList)
	for _, f := range req.TagFilters {
		k := ""
		if f.Key != nil {
			k = *f.Key
		}
		fmt.Fprintf(&b, "%q=%q;", k, f.Values)
	}
	return b.String()
}

func encodeTaggingToken(scope string, pos int) string {
	b := binary.AppendUvarint(nil, uint64(pos))
	h := fnv.New64a()
	h.Write([]byte(scope))
	h.Write(b)
	return base64.RawURLEncoding.EncodeToString(binary.BigEndian.AppendUint64(b, h.Sum64()))
}

func decodeTaggingToken(scope, t string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil || len(b) < 9 || len(b) > 18 {
		return 0, false
	}
	body, sum := b[:len(b)-8], binary.BigEndian.Uint64(b[len(b)-8:])
	h := fnv.New64a()
	h.Write([]byte(scope))
	h.Write(body)
	if h.Sum64() != sum {
		return 0, false
	}
	n, k := binary.Uvarint(body)
	if k != len(body) || n > 1<<31 {
		return 0, false
	}
	return int(n), true
}
