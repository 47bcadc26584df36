package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// sigV4 is an Authorization header whose scope names the key, region and
// service (the simulator does not check signatures).
func sigV4(key, region, service string) string {
	return "AWS4-HMAC-SHA256 Credential=" + key + "/20261121/" + region + "/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000"
}

// wireErrorCode reads the error code from a response of any of the
// protocols the Lambda, STS and Tagging endpoints speak.
func wireErrorCode(t *testing.T, resp *http.Response, body []byte) string {
	t.Helper()
	ct := resp.Header.Get("Content-Type")
	switch {
	case strings.Contains(ct, "xml"):
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := xml.Unmarshal(body, &e); err != nil {
			t.Fatalf("XML error body %q: %v", body, err)
		}
		return e.Error.Code
	case strings.Contains(ct, "json"):
		var e map[string]any
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("JSON error body %q: %v", body, err)
		}
		if h := resp.Header.Get("X-Amzn-Errortype"); h != "" {
			return h
		}
		typ, _ := e["__type"].(string)
		return typ
	}
	t.Fatalf("error with Content-Type %q: %q", ct, body)
	return ""
}

func TestWireBadInput(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	lambdaAuth := sigV4(sim.AccessKeyID, "us-east-1", "lambda")
	stsAuth := sigV4(sim.AccessKeyID, "us-east-1", "sts")
	tagAuth := sigV4(sim.AccessKeyID, "us-east-1", "tagging")
	form := "application/x-www-form-urlencoded"
	json11 := "application/x-amz-json-1.1"
	huge := strings.Repeat("a", 2<<20)
	for _, tc := range []struct {
		name, method, path, auth, contentType, target, body string
		status                                              int
		code                                                string
	}{
		{"lambda unsigned", "GET", "/2015-03-31/functions", "", "", "", "", 403, "MissingAuthenticationTokenException"},
		{"lambda malformed auth", "GET", "/2015-03-31/functions", "AWS4-HMAC-SHA256 Credential=nope", "", "", "", 403, "MissingAuthenticationTokenException"},
		{"lambda unknown path", "GET", "/2015-03-31/nothing", lambdaAuth, "", "", "", 404, "UnknownOperationException"},
		{"lambda unknown version path", "GET", "/2099-01-01/functions", lambdaAuth, "", "", "", 404, "UnknownOperationException"},
		{"lambda root", "GET", "/", lambdaAuth, "", "", "", 404, "UnknownOperationException"},
		{"lambda write operation", "POST", "/2015-03-31/functions", lambdaAuth, "application/json", "", `{"FunctionName":"x"}`, 404, "UnknownOperationException"},
		{"lambda DELETE", "DELETE", "/2015-03-31/functions/api", lambdaAuth, "", "", "", 404, "UnknownOperationException"},
		{"lambda too deep", "GET", "/2015-03-31/functions/api/configuration/extra", lambdaAuth, "", "", "", 404, "UnknownOperationException"},
		{"lambda MaxItems not a number", "GET", "/2015-03-31/functions?MaxItems=abc", lambdaAuth, "", "", "", 400, "ValidationException"},
		{"lambda MaxItems overflow", "GET", "/2015-03-31/functions?MaxItems=99999999999999999999", lambdaAuth, "", "", "", 400, "ValidationException"},
		{"lambda FunctionVersion", "GET", "/2015-03-31/functions?FunctionVersion=SOME", lambdaAuth, "", "", "", 400, "ValidationException"},
		{"lambda binary marker", "GET", "/2015-03-31/functions?Marker=%00%01%FF", lambdaAuth, "", "", "", 400, "InvalidParameterValueException"},
		{"lambda huge marker", "GET", "/2015-03-31/functions?Marker=" + strings.Repeat("A", 10000), lambdaAuth, "", "", "", 400, "InvalidParameterValueException"},
		{"lambda slash name", "GET", "/2015-03-31/functions/%2F%2F", lambdaAuth, "", "", "", 400, "ValidationException"},
		{"lambda long name", "GET", "/2015-03-31/functions/" + strings.Repeat("f", 300), lambdaAuth, "", "", "", 400, "ValidationException"},
		{"lambda unicode name", "GET", "/2015-03-31/functions/%C3%A9t%C3%A9", lambdaAuth, "", "", "", 400, "ValidationException"},
		{"lambda empty qualifier", "GET", "/2015-03-31/functions/api?Qualifier=", lambdaAuth, "", "", "", 400, "ValidationException"},
		{"lambda tags of a bare name", "GET", "/2017-03-31/tags/api", lambdaAuth, "", "", "", 400, "ValidationException"},
		{"lambda tags of a layer", "GET", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Alayer%3Ax", lambdaAuth, "", "", "", 400, "InvalidParameterValueException"},
		{"lambda PC config without qualifier", "GET", "/2019-09-30/functions/api/provisioned-concurrency", lambdaAuth, "", "", "", 400, "ValidationException"},
		{"unknown service in scope", "GET", "/", sigV4(sim.AccessKeyID, "us-east-1", "s3"), "", "", "", 400, "UnknownServiceException"},
		{"sts unsigned", "POST", "/", "", form, "", "Action=GetCallerIdentity&Version=2011-06-15", 403, "MissingAuthenticationToken"},
		{"sts no action", "POST", "/", stsAuth, form, "", "Version=2011-06-15", 400, "MissingAction"},
		{"sts unknown action", "POST", "/", stsAuth, form, "", "Action=GetSessionToken&Version=2011-06-15", 400, "InvalidAction"},
		{"sts wrong version", "POST", "/", stsAuth, form, "", "Action=GetCallerIdentity&Version=2099-01-01", 400, "InvalidAction"},
		{"sts malformed form", "POST", "/", stsAuth, form, "", "Action=%zz&&==", 400, "MalformedInput"},
		{"sts missing role", "POST", "/", stsAuth, form, "", "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1", 400, "ValidationError"},
		{"sts missing session", "POST", "/", stsAuth, form, "", "Action=AssumeRole&Version=2011-06-15&RoleArn=" + url.QueryEscape(memberRole), 400, "ValidationError"},
		{"sts duration not a number", "POST", "/", stsAuth, form, "", "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&DurationSeconds=1h&RoleArn=" + url.QueryEscape(memberRole), 400, "ValidationError"},
		{"sts huge body", "POST", "/", stsAuth, form, "", "Action=GetCallerIdentity&x=" + huge, 413, "RequestEntityTooLarge"},
		{"sts PUT", "PUT", "/", stsAuth, form, "", "Action=GetCallerIdentity", 400, "InvalidAction"},
		{"tagging unsigned", "POST", "/", "", json11, "ResourceGroupsTaggingAPI_20170126.GetResources", "{}", 403, "MissingAuthenticationTokenException"},
		{"tagging no target", "POST", "/", tagAuth, json11, "", "{}", 400, "UnknownOperationException"},
		{"tagging other operation", "POST", "/", tagAuth, json11, "ResourceGroupsTaggingAPI_20170126.TagResources", "{}", 400, "UnknownOperationException"},
		{"tagging bad JSON", "POST", "/", tagAuth, json11, "ResourceGroupsTaggingAPI_20170126.GetResources", "{not json", 400, "SerializationException"},
		{"tagging wrong member type", "POST", "/", tagAuth, json11, "ResourceGroupsTaggingAPI_20170126.GetResources", `{"ResourcesPerPage":"ten"}`, 400, "SerializationException"},
		{"tagging huge body", "POST", "/", tagAuth, json11, "ResourceGroupsTaggingAPI_20170126.GetResources", `{"PaginationToken":"` + huge + `"}`, 413, "RequestEntityTooLargeException"},
		{"tagging too many filters", "POST", "/", tagAuth, json11, "ResourceGroupsTaggingAPI_20170126.GetResources", `{"TagFilters":[` + strings.Repeat(`{"Key":"k"},`, 50) + `{"Key":"k"}]}`, 400, "InvalidParameterException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, tc.method, env.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("HTTP %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if code := wireErrorCode(t, resp, body); code != tc.code {
				t.Fatalf("code %q, want %q: %s", code, tc.code, body)
			}
			if resp.Header.Get("X-Amzn-Requestid") == "" {
				t.Fatal("no request ID")
			}
		})
	}
}

// TestLambdaWireShapes checks raw responses against the SDK's response
// snapshots: member names, JSON types and timestamp formats.
func TestLambdaWireShapes(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	auth := sigV4(sim.AccessKeyID, "us-east-1", "lambda")
	get := func(t *testing.T, path string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("GET", env.URL+path, nil)
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return resp, m
	}
	t.Run("ListFunctions", func(t *testing.T) {
		resp, m := get(t, "/2015-03-31/functions/?MaxItems=1")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if _, ok := m["NextMarker"].(string); !ok {
			t.Fatalf("NextMarker = %v", m["NextMarker"])
		}
		fn := m["Functions"].([]any)[0].(map[string]any)
		want := map[string]string{
			"Architectures": "[]interface {}", "CodeSha256": "string", "CodeSize": "float64", "Description": "string",
			"EphemeralStorage": "map[string]interface {}", "FunctionArn": "string", "FunctionName": "string", "Handler": "string",
			"LastModified": "string", "LoggingConfig": "map[string]interface {}", "MemorySize": "float64", "PackageType": "string",
			"RevisionId": "string", "Role": "string", "Runtime": "string", "SnapStart": "map[string]interface {}", "Timeout": "float64",
			"TracingConfig": "map[string]interface {}", "Version": "string",
		}
		for k, typ := range want {
			if got := typeName(fn[k]); got != typ {
				t.Errorf("%s: %s, want %s", k, got, typ)
			}
		}
		for k := range fn {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected member %s", k)
			}
		}
		if lm := fn["LastModified"].(string); !strings.HasSuffix(lm, "+0000") || len(lm) != len("2026-11-07T05:03:42.000+0000") {
			t.Errorf("LastModified %q is not in Lambda's format", lm)
		}
	})
	t.Run("GetFunctionEventInvokeConfig LastModified is epoch seconds", func(t *testing.T) {
		_, m := get(t, "/2019-09-25/functions/worker/event-invoke-config")
		if _, ok := m["LastModified"].(float64); !ok {
			t.Fatalf("LastModified = %#v", m["LastModified"])
		}
	})
	t.Run("GetFunctionConcurrency unset is an empty object", func(t *testing.T) {
		_, m := get(t, "/2019-09-30/functions/plain/concurrency")
		if len(m) != 0 {
			t.Fatalf("body = %v", m)
		}
	})
	t.Run("TooManyRequestsException headers", func(t *testing.T) {
		q := sim.DefaultQuotas()
		q.LambdaControl, q.BurstSeconds = 1, 1
		f, err := fleet.Build(mustParse(t, lambdaSpec), simtest.Now)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := sim.New(f, sim.WithQuotas(q), sim.WithLatency(sim.Latency{}))
		if err != nil {
			t.Fatal(err)
		}
		var last *httptest.ResponseRecorder
		for range 3 {
			req := httptest.NewRequest("GET", "/2016-08-19/account-settings", nil)
			req.Header.Set("Authorization", auth)
			last = httptest.NewRecorder()
			srv.ServeHTTP(last, req)
		}
		if last.Code != 429 || last.Header().Get("Retry-After") != "1" || last.Header().Get("X-Amzn-Errortype") != "TooManyRequestsException" {
			t.Fatalf("HTTP %d, headers %v, body %s", last.Code, last.Header(), last.Body)
		}
		var body map[string]string
		if err := json.Unmarshal(last.Body.Bytes(), &body); err != nil || body["Reason"] != "CallerRateLimitExceeded" {
			t.Fatalf("body %s: %v", last.Body, err)
		}
	})
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "absent"
	case string:
		return "string"
	case float64:
		return "float64"
	case bool:
		return "bool"
	case []any:
		return "[]interface {}"
	case map[string]any:
		return "map[string]interface {}"
	}
	return "?"
}

func mustParse(t *testing.T, spec string) *fleet.Spec {
	t.Helper()
	s, err := fleet.Parse([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzLambdaSTSTaggingRequests sends arbitrary paths, queries and bodies
// through the handler: every answer must be a well-formed 2xx/4xx, never
// a 5xx (a panic surfaces as 500).
func FuzzLambdaSTSTaggingRequests(f *testing.F) {
	fl, err := fleet.Build(mustParse(&testing.T{}, lambdaSpec), simtest.Now)
	if err != nil {
		f.Fatal(err)
	}
	srv, err := sim.New(fl, sim.WithLatency(sim.Latency{}), noQuotas(), sim.WithClock(func() time.Time { return simtest.Now }))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct{ svc, method, target, body string }{
		{"lambda", "GET", "/2015-03-31/functions?FunctionVersion=ALL&MaxItems=3", ""},
		{"lambda", "GET", "/2015-03-31/functions/api?Qualifier=live", ""},
		{"lambda", "GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Aapi%3A2/configuration", ""},
		{"lambda", "GET", "/2019-09-30/functions/api/provisioned-concurrency?List=ALL&Marker=xyz", ""},
		{"lambda", "GET", "/2015-03-31/functions/api/versions?Marker=AAAA&MaxItems=1", ""},
		{"lambda", "GET", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Aapi", ""},
		{"lambda", "GET", "/2019-09-25/functions/:::/event-invoke-config/list", ""},
		{"sts", "POST", "/", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Flambdaudit-member&RoleSessionName=s&ExternalId=lambdaudit-ext-42"},
		{"sts", "POST", "/", "Action=GetCallerIdentity"},
		{"tagging", "POST", "ResourceGroupsTaggingAPI_20170126.GetResources", `{"TagFilters":[{"Key":"team","Values":["ops"]}],"ResourcesPerPage":1}`},
		{"tagging", "POST", "ResourceGroupsTaggingAPI_20170126.GetResources", `{"PaginationToken":"AQIDBAUGBwgJ"}`},
	} {
		f.Add(seed.svc, seed.method, seed.target, seed.body)
	}
	f.Fuzz(func(t *testing.T, svc, method, target, body string) {
		path := "/"
		if svc == "lambda" {
			path = target
		}
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u, err := url.ParseRequestURI(path)
		if err != nil || len(method) == 0 || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") {
			return
		}
		req := httptest.NewRequest("GET", "/", bytes.NewReader([]byte(body)))
		req.Method, req.URL, req.RequestURI = method, u, path
		req.Header.Set("Authorization", sigV4(sim.AccessKeyID, "us-east-1", svc))
		switch svc {
		case "sts":
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		case "tagging":
			req.Header.Set("X-Amz-Target", target)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("%s %s %s %q: HTTP %d %s", svc, method, target, body, rec.Code, rec.Body)
		}
	})
}
