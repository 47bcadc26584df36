package sim_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// bodyRecorder keeps the response bodies an SDK client receives.
type bodyRecorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (b *bodyRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	b.mu.Lock()
	b.bodies = append(b.bodies, body)
	b.mu.Unlock()
	return resp, nil
}

func (b *bodyRecorder) last() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bodies[len(b.bodies)-1]
}

// since returns the bodies after the first n.
func (b *bodyRecorder) since(n int) [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bodies[n:]
}

func (b *bodyRecorder) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.bodies)
}

// recordingConfig points an SDK config at url with a body recorder.
func recordingConfig(t *testing.T, url string) (aws.Config, *bodyRecorder) {
	cfg := simtest.SDKConfig(t, url, "us-east-1")
	rec := &bodyRecorder{}
	cfg.HTTPClient = &http.Client{Transport: rec}
	return cfg, rec
}

// jsonShape maps each member path of a JSON document to its type; list
// elements share the path "[]" and nulls count as absent (the SDK reads
// null and absent alike).
func jsonShape(v any, path string, out map[string]string) {
	switch x := v.(type) {
	case nil:
		return
	case map[string]any:
		out[path] = "object"
		for k, e := range x {
			jsonShape(e, strings.TrimPrefix(path+"."+k, "."), out)
		}
	case []any:
		out[path] = "array"
		for _, e := range x {
			jsonShape(e, path+"[]", out)
		}
	case string:
		out[path] = "string"
	case float64:
		out[path] = "number"
	case bool:
		out[path] = "boolean"
	}
}

// xmlShape lists the element paths of an XML document.
func xmlShape(t *testing.T, body []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	d := xml.NewDecoder(bytes.NewReader(body))
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("XML %s: %v", body, err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
			out[strings.Join(stack, ".")] = "element"
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// shapeDiff is "sim-only", "moto-only" and "type" differences, sorted.
func shapeDiff(simShape, motoShape map[string]string) []string {
	var d []string
	for k, v := range simShape {
		switch m, ok := motoShape[k]; {
		case !ok:
			d = append(d, "sim-only "+k)
		case m != v:
			d = append(d, fmt.Sprintf("type %s: sim %s, moto %s", k, v, m))
		}
	}
	for k := range motoShape {
		if _, ok := simShape[k]; !ok {
			d = append(d, "moto-only "+k)
		}
	}
	sort.Strings(d)
	return d
}

// functionIn picks a function's element out of a ListFunctions body.
func functionIn(t *testing.T, body []byte, name string) map[string]any {
	t.Helper()
	var page struct{ Functions []map[string]any }
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	for _, fn := range page.Functions {
		if fn["FunctionName"] == name {
			return fn
		}
	}
	return nil
}

func zipOf(t *testing.T) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, err := z.Create("index.js")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "exports.handler = async () => ({ ok: true });\n")
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMotoDifferentialShapes compares the response shapes (member names
// and JSON types, XML element paths) of the simulator and moto_server 5.2
// for the same two functions, seen through the real SDK. moto 5.2.1
// creates Zip functions without Docker (it stores them without running
// them), so both servers hold the same configuration.
//
// Every difference must be listed in known with the reason; a new one is
// either a simulator bug or a moto change to look at.
func TestMotoDifferentialShapes(t *testing.T) {
	motoURL := simtest.Moto(t)
	ctx := context.Background()
	suffix := make([]byte, 4)
	rand.Read(suffix)
	names := []string{"diff-" + hex.EncodeToString(suffix) + "-api", "diff-" + hex.EncodeToString(suffix) + "-worker"}
	const account = "123456789012" // moto's default account
	spec := fmt.Sprintf(`
accounts:
  - id: "%s"
    regions:
      - name: us-east-1
        functions:
          - name: %s
            runtime: nodejs22.x
            memoryMB: 256
            timeoutS: 10
            architecture: arm64
            tags: {team: checkout}
          - name: %s
            runtime: python3.12
            handler: app.handler
            memoryMB: 512
            timeoutS: 30
`, account, names[0], names[1])
	env := simtest.Start(t, spec, noQuotas())

	// moto checks that the execution role exists: create it over IAM's
	// awsQuery protocol (moto does not verify signatures).
	role := "arn:aws:iam::" + account + ":role/lambdaudit-diff-role"
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"lambdaudit-diff-role"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
	req, _ := http.NewRequest("POST", motoURL+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", sigV4("AKIAIOSFODNN7EXAMPLE", "us-east-1", "iam"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 409 { // 409: EntityAlreadyExists on a shared moto
		t.Fatalf("moto CreateRole: HTTP %d", resp.StatusCode)
	}
	motoCfg, motoRec := recordingConfig(t, motoURL)
	simCfg, simRec := recordingConfig(t, env.URL)
	motoLambda, simLambda := lambda.NewFromConfig(motoCfg), lambda.NewFromConfig(simCfg)
	zipped := zipOf(t)
	for i, in := range []*lambda.CreateFunctionInput{
		{FunctionName: aws.String(names[0]), Runtime: types.RuntimeNodejs22x, Handler: aws.String("index.handler"), MemorySize: aws.Int32(256), Timeout: aws.Int32(10),
			Architectures: []types.Architecture{types.ArchitectureArm64}, Tags: map[string]string{"team": "checkout"}},
		{FunctionName: aws.String(names[1]), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"), MemorySize: aws.Int32(512), Timeout: aws.Int32(30)},
	} {
		in.Role, in.Code = aws.String(role), &types.FunctionCode{ZipFile: zipped}
		if _, err := motoLambda.CreateFunction(ctx, in); err != nil {
			t.Fatalf("moto CreateFunction %s: %v", names[i], err)
		}
	}

	type probe struct {
		name string
		call func(c *lambda.Client, s *sts.Client) error
		// pick extracts the compared document from the raw bodies of the
		// call (one per page).
		pick func(t *testing.T, bodies [][]byte) map[string]string
		// known are moto's own gaps: difference → reason.
		known map[string]string
	}
	whole := func(t *testing.T, bodies [][]byte) map[string]string {
		body := bodies[len(bodies)-1]
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		out := map[string]string{}
		jsonShape(v, "", out)
		return out
	}
	listedFunction := func(name string) func(*testing.T, [][]byte) map[string]string {
		return func(t *testing.T, bodies [][]byte) map[string]string {
			for _, body := range bodies {
				if fn := functionIn(t, body, name); fn != nil {
					out := map[string]string{}
					jsonShape(fn, "", out)
					return out
				}
			}
			t.Fatalf("%s is on no ListFunctions page", name)
			return nil
		}
	}
	xmlPick := func(t *testing.T, bodies [][]byte) map[string]string { return xmlShape(t, bodies[len(bodies)-1]) }
	// listAll pages through ListFunctions (a shared moto_server may hold
	// other tests' functions).
	listAll := func(c *lambda.Client, _ *sts.Client) error {
		p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
		for p.HasMorePages() {
			if _, err := p.NextPage(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	loggingGap := "moto 5.2.1 omits LoggingConfig, which AWS returns for every function since the advanced logging controls (Nov 2023)"
	revisionGap := "moto 5.2.1 omits RevisionId from ListFunctions entries; AWS lists it"
	stateGap := "moto 5.2.1 lists State/LastUpdateStatus in ListFunctions; AWS returns them from GetFunction/GetFunctionConfiguration only (AWS-FACTS.md)"
	layersGap := "moto sends an empty Layers array; AWS (and the simulator) omit Layers for a function without layers"
	listKnown := map[string]string{
		"sim-only LoggingConfig": loggingGap, "sim-only LoggingConfig.LogFormat": loggingGap, "sim-only LoggingConfig.LogGroup": loggingGap,
		"sim-only RevisionId": revisionGap, "moto-only State": stateGap, "moto-only LastUpdateStatus": stateGap, "moto-only Layers": layersGap,
	}
	getKnown := map[string]string{
		"sim-only Configuration.LoggingConfig": loggingGap, "sim-only Configuration.LoggingConfig.LogFormat": loggingGap, "sim-only Configuration.LoggingConfig.LogGroup": loggingGap,
		"sim-only Configuration.RevisionId":                             "moto 5.2.1 omits RevisionId from GetFunction's Configuration",
		"sim-only Configuration.RuntimeVersionConfig":                   "moto 5.2.1 omits RuntimeVersionConfig; AWS returns the runtime version ARN for managed runtimes",
		"sim-only Configuration.RuntimeVersionConfig.RuntimeVersionArn": "moto 5.2.1 omits RuntimeVersionConfig",
		"moto-only Configuration.Layers":                                layersGap,
	}
	for _, p := range []probe{
		{name: "ListFunctions entry api", call: listAll, pick: listedFunction(names[0]), known: listKnown},
		{name: "ListFunctions entry worker", call: listAll, pick: listedFunction(names[1]), known: listKnown},
		{name: "GetFunction", call: func(c *lambda.Client, _ *sts.Client) error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(names[0])})
			return err
		}, pick: whole, known: getKnown},
		{name: "GetFunction untagged", call: func(c *lambda.Client, _ *sts.Client) error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(names[1])})
			return err
		}, pick: whole, known: getKnown},
		{name: "ListTags", call: func(c *lambda.Client, _ *sts.Client) error {
			_, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:" + account + ":function:" + names[0])})
			return err
		}, pick: whole},
		{name: "GetCallerIdentity", call: func(_ *lambda.Client, s *sts.Client) error {
			_, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, pick: xmlPick},
		{name: "AssumeRole", call: func(_ *lambda.Client, s *sts.Client) error {
			_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/lambdaudit-member"), RoleSessionName: aws.String("diff")})
			return err
		}, pick: xmlPick, known: map[string]string{
			"moto-only AssumeRoleResponse.AssumeRoleResult.PackedPolicySize": "moto always sends PackedPolicySize; AWS sends it only when the request carries a session policy or tags",
		}},
	} {
		t.Run(p.name, func(t *testing.T) {
			n := simRec.count()
			if err := p.call(simLambda, sts.NewFromConfig(simCfg)); err != nil {
				t.Fatalf("simulator: %v", err)
			}
			simShape := p.pick(t, simRec.since(n))
			n = motoRec.count()
			if err := p.call(motoLambda, sts.NewFromConfig(motoCfg)); err != nil {
				t.Fatalf("moto: %v", err)
			}
			motoShape := p.pick(t, motoRec.since(n))
			for _, d := range shapeDiff(simShape, motoShape) {
				t.Logf("known difference: %s", d)
				if _, ok := p.known[d]; !ok {
					t.Errorf("unexplained difference: %s", d)
				}
			}
		})
	}
	t.Run("LastModified format", func(t *testing.T) {
		// moto 5.2.1 writes "2026-11-21T16:55:30.547579000Z"; AWS and the
		// simulator "2026-11-21T16:55:30.547+0000". Parsers must take AWS's.
		if _, err := simLambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(names[0])}); err != nil {
			t.Fatal(err)
		}
		var got struct{ Configuration struct{ LastModified string } }
		json.Unmarshal(simRec.last(), &got)
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`).MatchString(got.Configuration.LastModified) {
			t.Fatalf("simulator LastModified %q", got.Configuration.LastModified)
		}
	})
	t.Run("empty ListFunctions page", func(t *testing.T) {
		// A region without functions: both answer {"Functions": []}.
		for _, c := range []struct {
			name string
			cfg  aws.Config
			rec  *bodyRecorder
		}{{"simulator", simCfg, simRec}, {"moto", motoCfg, motoRec}} {
			_, err := lambda.NewFromConfig(c.cfg, func(o *lambda.Options) { o.Region = "sa-east-1" }).ListFunctions(ctx, &lambda.ListFunctionsInput{})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			shape := map[string]string{}
			var v any
			json.Unmarshal(c.rec.last(), &v)
			jsonShape(v, "", shape)
			if fmt.Sprint(shape) != "map[:object Functions:array]" {
				t.Fatalf("%s: empty page shape %v (%s)", c.name, shape, c.rec.last())
			}
		}
	})
	t.Run("moto gaps the simulator fills", func(t *testing.T) {
		// moto 5.2.1 does not route GetAccountSettings (HTTP 404 HTML);
		// the simulator must answer it.
		if _, err := motoLambda.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{}); err == nil {
			t.Log("moto now serves GetAccountSettings: compare its shape too")
		}
		if _, err := simLambda.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{}); err != nil {
			t.Fatal(err)
		}
	})
}
