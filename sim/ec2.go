package sim

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
)

// EC2 query protocol constants (the ec2 module's
// request_snapshot/DescribeRegions.request.snap and the EC2 API reference).
const (
	ec2Version = "2016-11-15"
	ec2XMLNS   = "http://ec2.amazonaws.com/doc/2016-11-15/"
	// ec2DefaultRegion is enabled in every simulated account.
	ec2DefaultRegion = "us-east-1"
)

// EC2 opt-in statuses (Region.OptInStatus).
const (
	optInNotRequired = "opt-in-not-required"
	optedIn          = "opted-in"
	notOptedIn       = "not-opted-in"
)

// awsRegions are the commercial partition's regions, with whether an
// account has to opt in to them (AWS General Reference, "Regions and
// endpoints", 2026).
var awsRegions = map[string]bool{
	"us-east-1": false, "us-east-2": false, "us-west-1": false, "us-west-2": false,
	"ca-central-1": false, "sa-east-1": false,
	"eu-west-1": false, "eu-west-2": false, "eu-west-3": false, "eu-central-1": false, "eu-north-1": false,
	"ap-south-1": false, "ap-northeast-1": false, "ap-northeast-2": false, "ap-northeast-3": false,
	"ap-southeast-1": false, "ap-southeast-2": false,
	"af-south-1": true, "ap-east-1": true, "ap-east-2": true, "ap-south-2": true, "ap-southeast-3": true,
	"ap-southeast-4": true, "ap-southeast-5": true, "ap-southeast-6": true, "ap-southeast-7": true,
	"ca-west-1": true, "eu-central-2": true, "eu-south-1": true, "eu-south-2": true,
	"il-central-1": true, "me-central-1": true, "me-south-1": true, "mx-central-1": true,
}

type ec2Region struct {
	RegionName     string `xml:"regionName"`
	RegionEndpoint string `xml:"regionEndpoint"`
	OptInStatus    string `xml:"optInStatus"`
}

type ec2DescribeRegions struct {
	XMLName    xml.Name    `xml:"DescribeRegionsResponse"`
	XMLNS      string      `xml:"xmlns,attr"`
	RequestID  string      `xml:"requestId"`
	RegionInfo []ec2Region `xml:"regionInfo>item"`
}

// serveEC2 serves EC2's DescribeRegions (EC2 query protocol: a form body
// with Action and Version, XML answers, errors in EC2's own envelope).
//
// The regions enabled for an account are the regions its spec declares
// and does not mark disabled, plus us-east-1, minus the regions a
// DisableRegion fault without service or API scopes to the account. With
// AllRegions the answer adds the rest of the commercial regions (and the
// disabled spec regions) as not-opted-in — a simplification: on AWS the
// regions that need no opt-in are always enabled.
func (s *Server) serveEC2(w http.ResponseWriter, r *http.Request, c *call) {
	form, ok := s.formRequest(w, r, c, "EC2", "MalformedQueryString")
	if !ok {
		return
	}
	action := form.Get("Action")
	switch {
	case action == "":
		s.fail(w, c, &apiError{Status: 400, Code: "MissingAction", Message: "The request must contain the parameter Action"})
		return
	case action != "DescribeRegions":
		s.fail(w, c, serviceError(c.svc, errUnknownOperation, fmt.Sprintf("The action %s is not valid for this web service.", action)))
		return
	}
	if v := form.Get("Version"); v != ec2Version {
		s.fail(w, c, &apiError{Status: 400, Code: "InvalidParameterValue", Message: fmt.Sprintf("Invalid API version %q: the simulator speaks %s", v, ec2Version)})
		return
	}
	c.api = action
	if e := s.admit(r.Context(), c); e != nil {
		s.fail(w, c, e)
		return
	}
	out, e := s.describeRegions(c, form)
	if e != nil {
		s.fail(w, c, e)
		return
	}
	s.succeed(c, nil)
	b, err := xml.Marshal(out)
	if err != nil {
		s.fail(w, c, serviceError(c.svc, errInternal, ""))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	h.Set("X-Amzn-Requestid", c.reqID)
	fmt.Fprintf(w, "%s%s\n", xml.Header, b)
}

// formBool reads an optional boolean form member.
func formBool(form url.Values, key string) (bool, *apiError) {
	if !form.Has(key) {
		return false, nil
	}
	b, err := strconv.ParseBool(form.Get(key))
	if err != nil {
		return false, invalidParam(svcEC2, fmt.Sprintf("Invalid value '%s' for %s. It must be a boolean.", form.Get(key), key))
	}
	return b, nil
}

// formList reads a flattened query list: prefix.1, prefix.2, …
func formList(form url.Values, prefix string) []string {
	var out []string
	for i := 1; form.Has(prefix + "." + strconv.Itoa(i)); i++ {
		out = append(out, form.Get(prefix+"."+strconv.Itoa(i)))
	}
	return out
}

func (s *Server) describeRegions(c *call, form url.Values) (*ec2DescribeRegions, *apiError) {
	all, e := formBool(form, "AllRegions")
	if e != nil {
		return nil, e
	}
	dry, e := formBool(form, "DryRun")
	if e != nil {
		return nil, e
	}
	if dry {
		return nil, &apiError{Status: 412, Code: "DryRunOperation", Message: "Request would have succeeded, but DryRun flag is set."}
	}
	status := s.regionStatus(c.account)
	filters := map[string]map[string]bool{}
	for i := 1; form.Has(fmt.Sprintf("Filter.%d.Name", i)); i++ {
		name := form.Get(fmt.Sprintf("Filter.%d.Name", i))
		switch name {
		case "region-name", "endpoint", "opt-in-status":
		default:
			return nil, invalidParam(svcEC2, fmt.Sprintf("The filter '%s' is invalid", name))
		}
		if filters[name] == nil {
			filters[name] = map[string]bool{}
		}
		for _, v := range formList(form, fmt.Sprintf("Filter.%d.Value", i)) {
			filters[name][v] = true
		}
	}
	names := formList(form, "RegionName")
	want := map[string]bool{}
	for _, n := range names {
		if _, ok := status[n]; !ok {
			return nil, invalidParam(svcEC2, "Invalid region name: "+n)
		}
		want[n] = true
	}
	out := &ec2DescribeRegions{XMLNS: ec2XMLNS, RequestID: c.reqID, RegionInfo: []ec2Region{}}
	for name, st := range status {
		reg := ec2Region{RegionName: name, RegionEndpoint: "ec2." + name + ".amazonaws.com", OptInStatus: st}
		switch {
		case st == notOptedIn && !all:
		case len(want) > 0 && !want[name]:
		case !filterMatch(filters["region-name"], reg.RegionName), !filterMatch(filters["endpoint"], reg.RegionEndpoint),
			!filterMatch(filters["opt-in-status"], reg.OptInStatus):
		default:
			out.RegionInfo = append(out.RegionInfo, reg)
		}
	}
	sort.Slice(out.RegionInfo, func(i, j int) bool { return out.RegionInfo[i].RegionName < out.RegionInfo[j].RegionName })
	return out, nil
}

func filterMatch(values map[string]bool, v string) bool { return len(values) == 0 || values[v] }

// regionStatus is the opt-in status of every region the simulator knows
// for an account (see serveEC2 for the rule).
func (s *Server) regionStatus(account string) map[string]string {
	enabled := map[string]bool{ec2DefaultRegion: true}
	known := map[string]bool{}
	for name := range awsRegions {
		known[name] = true
	}
	if a := s.fleet.Account(account); a != nil {
		for _, r := range a.Regions {
			known[r.Name] = true
			enabled[r.Name] = !r.Disabled
		}
	}
	s.faults.mu.Lock()
	for i := range s.faults.list {
		f := &s.faults.list[i]
		if f.DisableRegion && f.Service == "" && f.API == "" && (f.Account == "" || f.Account == account) {
			if f.Region == "" {
				clear(enabled)
				break
			}
			enabled[f.Region] = false
		}
	}
	s.faults.mu.Unlock()
	out := make(map[string]string, len(known))
	for name := range known {
		switch {
		case !enabled[name]:
			out[name] = notOptedIn
		case awsRegions[name]:
			out[name] = optedIn
		default:
			out[name] = optInNotRequired
		}
	}
	return out
}
