package sim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// Lambda limits and constants (AWS-FACTS.md, the Lambda API reference).
const (
	lambdaPageMax       = 50 // ListFunctions/ListVersionsByFunction return ≤ 50 whatever MaxItems says
	lambdaMaxItems      = 10000
	lambdaPCMaxItems    = 50
	lambdaEICMaxItems   = 50
	lambdaTimeLayout    = "2006-01-02T15:04:05.000+0000"
	lambdaLatest        = "$LATEST"
	lambdaTotalCodeSize = 80530636800 // 75 GB per region
	lambdaCodeUnzipped  = 262144000
	lambdaCodeZipped    = 52428800
)

// namespacedFunctionName is the model's NamespacedFunctionName pattern:
// name, partial ARN or ARN, each optionally qualified.
var namespacedFunctionName = regexp.MustCompile(`^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9_.-]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_-]+))?$`)

const namespacedFunctionNamePattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`

var (
	qualifierRe    = regexp.MustCompile(`^[a-zA-Z0-9$_-]{1,128}$`)
	masterRegionRe = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
)

// lambdaRoute is a parsed Lambda request path.
type lambdaRoute struct {
	api  string
	fn   string // the {FunctionName} or {Resource} label, unescaped
	name string // the alias {Name} label
}

// routeLambda maps method + path to the operation, as the SDK's
// serializers build them (request_snapshot/*.request.snap).
func routeLambda(r *http.Request) (lambdaRoute, bool) {
	raw := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	seg := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return lambdaRoute{}, false
		}
		seg[i] = u
	}
	// A trailing slash is tolerated (the aws CLI of some versions sends
	// "/2015-03-31/functions/").
	if n := len(seg); n > 1 && seg[n-1] == "" {
		seg = seg[:n-1]
	}
	if r.Method != http.MethodGet || len(seg) < 2 {
		return lambdaRoute{}, false
	}
	label := func(i int) bool { return len(seg) > i && seg[i] != "" }
	switch v, kind := seg[0], seg[1]; {
	case v == "2015-03-31" && kind == "functions":
		switch {
		case len(seg) == 2:
			return lambdaRoute{api: "ListFunctions"}, true
		case len(seg) == 3 && label(2):
			return lambdaRoute{api: "GetFunction", fn: seg[2]}, true
		case len(seg) == 4 && label(2) && seg[3] == "configuration":
			return lambdaRoute{api: "GetFunctionConfiguration", fn: seg[2]}, true
		case len(seg) == 4 && label(2) && seg[3] == "versions":
			return lambdaRoute{api: "ListVersionsByFunction", fn: seg[2]}, true
		case len(seg) == 4 && label(2) && seg[3] == "aliases":
			return lambdaRoute{api: "ListAliases", fn: seg[2]}, true
		case len(seg) == 5 && label(2) && seg[3] == "aliases" && label(4):
			return lambdaRoute{api: "GetAlias", fn: seg[2], name: seg[4]}, true
		}
	case v == "2016-08-19" && kind == "account-settings" && len(seg) == 2:
		return lambdaRoute{api: "GetAccountSettings"}, true
	case v == "2017-03-31" && kind == "tags" && len(seg) == 3 && label(2):
		return lambdaRoute{api: "ListTags", fn: seg[2]}, true
	case v == "2019-09-30" && kind == "functions" && len(seg) == 4 && label(2):
		switch seg[3] {
		case "concurrency":
			return lambdaRoute{api: "GetFunctionConcurrency", fn: seg[2]}, true
		case "provisioned-concurrency":
			if r.URL.Query().Get("List") == "ALL" {
				return lambdaRoute{api: "ListProvisionedConcurrencyConfigs", fn: seg[2]}, true
			}
			return lambdaRoute{api: "GetProvisionedConcurrencyConfig", fn: seg[2]}, true
		}
	case v == "2019-09-25" && kind == "functions" && label(2) && len(seg) >= 4 && seg[3] == "event-invoke-config":
		switch {
		case len(seg) == 4:
			return lambdaRoute{api: "GetFunctionEventInvokeConfig", fn: seg[2]}, true
		case len(seg) == 5 && seg[4] == "list":
			return lambdaRoute{api: "ListFunctionEventInvokeConfigs", fn: seg[2]}, true
		}
	}
	return lambdaRoute{}, false
}

// serveLambda serves the Lambda control plane's read operations
// (restJson1) for the signer's account and region.
func (s *Server) serveLambda(w http.ResponseWriter, r *http.Request, c *call) {
	rt, ok := routeLambda(r)
	if !ok {
		s.fail(w, c, serviceError(c.svc, errUnknownOperation, fmt.Sprintf("the simulator does not serve Lambda %s %s", r.Method, r.URL.EscapedPath())))
		return
	}
	c.api = rt.api
	if rt.fn != "" {
		name := rt.fn
		if m := namespacedFunctionName.FindStringSubmatch(rt.fn); m != nil {
			name = m[3]
		}
		t := faultTarget{function: name}
		if fn := c.fleetRegion.Function(name); fn != nil {
			t.logGroup = fn.LogGroup
		}
		c.targets = []faultTarget{t}
	}
	if e := s.admit(r.Context(), c); e != nil {
		s.fail(w, c, e)
		return
	}
	l := &lambdaCall{s: s, c: c, q: r.URL.Query(), rt: rt}
	var out any
	var e *apiError
	switch rt.api {
	case "ListFunctions":
		out, e = l.listFunctions()
	case "GetAccountSettings":
		out, e = l.getAccountSettings()
	case "ListTags":
		out, e = l.listTags()
	case "GetFunction":
		out, e = l.getFunction(true)
	case "GetFunctionConfiguration":
		out, e = l.getFunction(false)
	case "GetFunctionConcurrency":
		out, e = l.getFunctionConcurrency()
	case "ListProvisionedConcurrencyConfigs":
		out, e = l.listProvisionedConcurrency()
	case "GetProvisionedConcurrencyConfig":
		out, e = l.getProvisionedConcurrency()
	case "GetFunctionEventInvokeConfig":
		out, e = l.getEventInvokeConfig()
	case "ListFunctionEventInvokeConfigs":
		out, e = l.listEventInvokeConfigs()
	case "ListVersionsByFunction":
		out, e = l.listVersions()
	case "ListAliases":
		out, e = l.listAliases()
	case "GetAlias":
		out, e = l.getAlias()
	}
	if e != nil {
		s.fail(w, c, e)
		return
	}
	s.succeed(c, nil)
	writeJSON(w, c, "application/json", out)
}

// lambdaCall is one admitted Lambda request.
type lambdaCall struct {
	s  *Server
	c  *call
	q  url.Values
	rt lambdaRoute
}

func (l *lambdaCall) functions() []*fleet.Function {
	if l.c.fleetRegion == nil {
		return nil
	}
	return l.c.fleetRegion.Functions
}

// lambdaValidation is the error Lambda's front end returns for a value that
// breaks the model's constraints.
func lambdaValidation(value, member, constraint string) *apiError {
	return &apiError{Status: 400, Code: "ValidationException", Message: fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)}
}

func lambdaInvalid(msg string) *apiError {
	return &apiError{Status: 400, Code: "InvalidParameterValueException", Message: msg}
}

func lambdaNotFound(msg string) *apiError {
	return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: msg}
}

// maxItems reads the MaxItems query parameter (default def, range 1–max).
func (l *lambdaCall) maxItems(def, max int) (int, *apiError) {
	v, ok := l.q["MaxItems"]
	if !ok || len(v) == 0 {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return 0, lambdaValidation(v[0], "maxItems", "Member must be an integer")
	}
	if n < 1 {
		return 0, lambdaValidation(v[0], "maxItems", "Member must have value greater than or equal to 1")
	}
	if n > max {
		return 0, lambdaValidation(v[0], "maxItems", fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
	return n, nil
}

// fnRef is a resolved {FunctionName} label.
type fnRef struct {
	fn   *fleet.Function
	qual string // as given: "", "$LATEST", "3", "live"
}

// lookup resolves a function name, partial ARN or ARN in the caller's
// region. qualOK allows a qualifier (from the name or the Qualifier query
// parameter).
func (l *lambdaCall) lookup(ref string, qualOK bool) (fnRef, *apiError) {
	c := l.c
	m := namespacedFunctionName.FindStringSubmatch(ref)
	if len(ref) > 256 || m == nil {
		return fnRef{}, lambdaValidation(ref, "functionName", "Member must satisfy regular expression pattern: "+namespacedFunctionNamePattern)
	}
	region, account, name, qual := m[1], m[2], m[3], m[4]
	if region != "" && region != c.region {
		return fnRef{}, lambdaInvalid(fmt.Sprintf("Functions from '%s' are not reachable in this region ('%s')", region, c.region))
	}
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", c.region, c.account, name)
	if account != "" && account != c.account {
		arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", c.region, account, name)
		return fnRef{}, &apiError{Status: 403, Code: "AccessDeniedException", Message: fmt.Sprintf("User: %s is not authorized to perform: lambda:%s on resource: %s because no resource-based policy allows the lambda:%s action", c.who.ARN, c.api, arn, c.api)}
	}
	if qualOK {
		if qs, ok := l.q["Qualifier"]; ok && len(qs) > 0 {
			if !qualifierRe.MatchString(qs[0]) {
				return fnRef{}, lambdaValidation(qs[0], "qualifier", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)")
			}
			if qual != "" && qual != qs[0] {
				return fnRef{}, lambdaInvalid("The derived qualifier from the function name does not match the specified qualifier.")
			}
			qual = qs[0]
		}
	}
	var fn *fleet.Function
	if c.fleetRegion != nil {
		fn = c.fleetRegion.Function(name)
	}
	if fn == nil || fn.Name != name {
		if qual != "" {
			arn += ":" + qual
		}
		return fnRef{}, lambdaNotFound("Function not found: " + arn)
	}
	return fnRef{fn: fn, qual: qual}, nil
}

// versions is the number of published versions. Provisioned concurrency
// needs a published version behind its alias, so a function with
// provisioned concurrency has at least one.
func versions(fn *fleet.Function) int {
	if fn.ProvisionedConcurrency > 0 && fn.PublishedVersions < 1 {
		return 1
	}
	return fn.PublishedVersions
}

// hasAlias reports whether the function has the alias fleet.PCAlias,
// which points at its newest published version.
func hasAlias(fn *fleet.Function) bool { return versions(fn) > 0 }

// resolve maps a qualifier to a version ("$LATEST" or "1".."N") and the
// FunctionArn suffix AWS shows for it ("" for unqualified, ":3", ":live").
func resolve(ref fnRef) (version, suffix string, ok bool) {
	switch q := ref.qual; {
	case q == "":
		return lambdaLatest, "", true
	case q == lambdaLatest:
		return lambdaLatest, ":" + lambdaLatest, true
	case q == fleet.PCAlias && hasAlias(ref.fn):
		return strconv.Itoa(versions(ref.fn)), ":" + q, true
	default:
		n, err := strconv.Atoi(q)
		if err == nil && n >= 1 && n <= versions(ref.fn) && strconv.Itoa(n) == q {
			return q, ":" + q, true
		}
	}
	return "", "", false
}

func notFoundQualified(ref fnRef) *apiError {
	return lambdaNotFound("Function not found: " + ref.fn.ARN + ":" + ref.qual)
}

// fnHash is a stable digest of a function's identity and a purpose.
func fnHash(fn *fleet.Function, what string) [32]byte {
	return sha256.Sum256([]byte(fn.ARN + "\x00" + what))
}

func uuidOf(b [32]byte) string {
	h := hex.EncodeToString(b[:16])
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// Lambda JSON shapes (botocore lambda/2015-03-31 service-2.json).
type (
	lambdaLayer struct {
		Arn      string `json:"Arn"`
		CodeSize int64  `json:"CodeSize"`
	}
	lambdaLogging struct {
		ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
		LogFormat           string `json:"LogFormat"`
		LogGroup            string `json:"LogGroup"`
		SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
	}
	lambdaSnapStart struct {
		ApplyOn            string `json:"ApplyOn"`
		OptimizationStatus string `json:"OptimizationStatus"`
	}
	lambdaSize struct {
		Size int `json:"Size"`
	}
	lambdaTracing struct {
		Mode string `json:"Mode"`
	}
	lambdaDLQ struct {
		TargetArn string `json:"TargetArn"`
	}
	lambdaRuntimeVersion struct {
		RuntimeVersionArn string `json:"RuntimeVersionArn"`
	}
	lambdaManagedInstances struct {
		CapacityProviderArn string `json:"CapacityProviderArn"`
	}
	lambdaCapacityProvider struct {
		LambdaManagedInstancesCapacityProviderConfig lambdaManagedInstances `json:"LambdaManagedInstancesCapacityProviderConfig"`
	}
	lambdaConfig struct {
		Architectures          []string                `json:"Architectures"`
		CapacityProviderConfig *lambdaCapacityProvider `json:"CapacityProviderConfig,omitempty"`
		CodeSha256             string                  `json:"CodeSha256"`
		CodeSize               int64                   `json:"CodeSize"`
		DeadLetterConfig       *lambdaDLQ              `json:"DeadLetterConfig,omitempty"`
		Description            string                  `json:"Description"`
		EphemeralStorage       lambdaSize              `json:"EphemeralStorage"`
		FunctionArn            string                  `json:"FunctionArn"`
		FunctionName           string                  `json:"FunctionName"`
		Handler                string                  `json:"Handler,omitempty"`
		LastModified           string                  `json:"LastModified"`
		LastUpdateStatus       string                  `json:"LastUpdateStatus,omitempty"`
		Layers                 []lambdaLayer           `json:"Layers,omitempty"`
		LoggingConfig          lambdaLogging           `json:"LoggingConfig"`
		MemorySize             int                     `json:"MemorySize"`
		PackageType            string                  `json:"PackageType"`
		RevisionId             string                  `json:"RevisionId"`
		Role                   string                  `json:"Role"`
		Runtime                string                  `json:"Runtime,omitempty"`
		RuntimeVersionConfig   *lambdaRuntimeVersion   `json:"RuntimeVersionConfig,omitempty"`
		SnapStart              lambdaSnapStart         `json:"SnapStart"`
		State                  string                  `json:"State,omitempty"`
		Timeout                int                     `json:"Timeout"`
		TracingConfig          lambdaTracing           `json:"TracingConfig"`
		Version                string                  `json:"Version"`
	}
)

// config renders a function version's configuration. detail adds what
// GetFunction and GetFunctionConfiguration return and the list
// operations omit (State, LastUpdateStatus, RuntimeVersionConfig).
func config(fn *fleet.Function, version, suffix string, detail bool) lambdaConfig {
	acct, region := fn.Region.Account.ID, fn.Region.Name
	sum := fnHash(fn, "code")
	cfg := lambdaConfig{
		Architectures:    []string{fn.Architecture},
		CodeSha256:       base64.StdEncoding.EncodeToString(sum[:]),
		CodeSize:         fn.CodeSize,
		Description:      "",
		EphemeralStorage: lambdaSize{fn.EphemeralMB},
		FunctionArn:      fn.ARN + suffix,
		FunctionName:     fn.Name,
		Handler:          fn.Handler,
		LastModified:     fn.LastModified.UTC().Format(lambdaTimeLayout),
		LoggingConfig:    lambdaLogging{LogFormat: fn.LogFormat, LogGroup: fn.LogGroup},
		MemorySize:       fn.MemoryMB,
		PackageType:      fn.PackageType,
		RevisionId:       uuidOf(fnHash(fn, "revision/"+version)),
		Role:             fmt.Sprintf("arn:aws:iam::%s:role/service-role/%s-role", acct, fn.Name),
		Runtime:          fn.Runtime,
		SnapStart:        lambdaSnapStart{ApplyOn: "None", OptimizationStatus: "Off"},
		Timeout:          fn.TimeoutS,
		TracingConfig:    lambdaTracing{Mode: "PassThrough"},
		Version:          version,
	}
	if fn.PackageType == fleet.PkgImage {
		cfg.Runtime, cfg.Handler = "", ""
	}
	if arn := fn.CapacityProviderARN(); arn != "" {
		cfg.CapacityProviderConfig = &lambdaCapacityProvider{lambdaManagedInstances{arn}}
	}
	if fn.LogFormat == fleet.FormatJSN {
		cfg.LoggingConfig.ApplicationLogLevel, cfg.LoggingConfig.SystemLogLevel = "INFO", "INFO"
	}
	for _, arn := range fn.Layers {
		h := sha256.Sum256([]byte(arn))
		cfg.Layers = append(cfg.Layers, lambdaLayer{Arn: arn, CodeSize: int64(1024 + binary.BigEndian.Uint64(h[:8])%(10<<20))})
	}
	if fn.Async != nil && fn.Async.DeadLetterTarget != "" {
		cfg.DeadLetterConfig = &lambdaDLQ{fn.Async.DeadLetterTarget}
	}
	if detail {
		cfg.State, cfg.LastUpdateStatus = "Active", "Successful"
		if cfg.Runtime != "" {
			rv := fnHash(fn, "runtime/"+fn.Runtime)
			cfg.RuntimeVersionConfig = &lambdaRuntimeVersion{fmt.Sprintf("arn:aws:lambda:%s::runtime:%s", region, hex.EncodeToString(rv[:]))}
		}
	}
	return cfg
}

// marker is an opaque, checked position in a listing: function index and
// version index (0 = $LATEST, n = version n).
type marker struct {
	fn, ver int
}

// encodeMarker binds a position to the listing (operation, account,
// region, mode) so a marker from elsewhere is refused.
func encodeMarker(scope string, m marker) string {
	b := make([]byte, 0, 20)
	b = binary.AppendUvarint(b, uint64(m.fn))
	b = binary.AppendUvarint(b, uint64(m.ver))
	h := fnv.New32a()
	h.Write([]byte(scope))
	h.Write(b)
	b = binary.BigEndian.AppendUint32(b, h.Sum32())
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeMarker(scope, s string) (marker, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 6 || len(b) > 24 {
		return marker{}, false
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	h := fnv.New32a()
	h.Write([]byte(scope))
	h.Write(body)
	if h.Sum32() != sum {
		return marker{}, false
	}
	f, n := binary.Uvarint(body)
	if n <= 0 || f > 1<<31 {
		return marker{}, false
	}
	v, k := binary.Uvarint(body[n:])
	if k <= 0 || n+k != len(body) || v > 1<<31 {
		return marker{}, false
	}
	return marker{int(f), int(v)}, true
}

func (l *lambdaCall) markerScope(extra string) string {
	return l.c.api + "/" + l.c.account + "/" + l.c.region + "/" + extra
}

// startMarker reads the Marker query parameter.
func (l *lambdaCall) startMarker(scope string) (marker, *apiError) {
	v, ok := l.q["Marker"]
	if !ok || len(v) == 0 || v[0] == "" {
		return marker{}, nil
	}
	m, good := decodeMarker(scope, v[0])
	if !good {
		return marker{}, lambdaInvalid("Invalid marker: " + v[0])
	}
	return m, nil
}

type listFunctionsOut struct {
	Functions  []lambdaConfig `json:"Functions"`
	NextMarker string         `json:"NextMarker,omitempty"`
}

func (l *lambdaCall) listFunctions() (any, *apiError) {
	all := false
	if v, ok := l.q["FunctionVersion"]; ok && len(v) > 0 {
		if v[0] != "ALL" {
			return nil, lambdaValidation(v[0], "functionVersion", "Member must satisfy enum value set: [ALL]")
		}
		all = true
	}
	if v, ok := l.q["MasterRegion"]; ok && len(v) > 0 {
		if v[0] != "ALL" && !masterRegionRe.MatchString(v[0]) {
			return nil, lambdaValidation(v[0], "masterRegion", "Member must satisfy regular expression pattern: ALL|[a-z]{2}(-gov)?-[a-z]+-\\d{1}")
		}
		if !all {
			return nil, lambdaInvalid("FunctionVersion must be set to ALL when MasterRegion is specified.")
		}
		// The simulated fleet has no Lambda@Edge replicas.
		return listFunctionsOut{Functions: []lambdaConfig{}}, nil
	}
	limit, e := l.maxItems(lambdaPageMax, lambdaMaxItems)
	if e != nil {
		return nil, e
	}
	limit = min(limit, lambdaPageMax)
	scope := l.markerScope(fmt.Sprint(all))
	pos, e := l.startMarker(scope)
	if e != nil {
		return nil, e
	}
	fns := l.functions()
	if pos.fn > len(fns) || (pos.fn < len(fns) && pos.ver > versions(fns[pos.fn])) || (!all && pos.ver != 0) {
		return nil, lambdaInvalid("Invalid marker: " + l.q.Get("Marker"))
	}
	out := listFunctionsOut{Functions: []lambdaConfig{}}
	for i, v := pos.fn, pos.ver; i < len(fns); i, v = i+1, 0 {
		fn := fns[i]
		last := 0
		if all {
			last = versions(fn)
		}
		for ; v <= last; v++ {
			if len(out.Functions) == limit {
				out.NextMarker = encodeMarker(scope, marker{i, v})
				return out, nil
			}
			if v == 0 {
				out.Functions = append(out.Functions, config(fn, lambdaLatest, "", false))
			} else {
				n := strconv.Itoa(v)
				out.Functions = append(out.Functions, config(fn, n, ":"+n, false))
			}
		}
	}
	return out, nil
}

func (l *lambdaCall) listVersions() (any, *apiError) {
	ref, e := l.lookup(l.rt.fn, false)
	if e != nil {
		return nil, e
	}
	limit, e := l.maxItems(lambdaPageMax, lambdaMaxItems)
	if e != nil {
		return nil, e
	}
	limit = min(limit, lambdaPageMax)
	fn := ref.fn
	scope := l.markerScope(fn.Name)
	pos, e := l.startMarker(scope)
	if e != nil {
		return nil, e
	}
	if pos == (marker{}) {
		pos.fn = fn.Index // no marker: the first version
	}
	if pos.fn != fn.Index || pos.ver > versions(fn) {
		return nil, lambdaInvalid("Invalid marker: " + l.q.Get("Marker"))
	}
	type out struct {
		NextMarker string         `json:"NextMarker,omitempty"`
		Versions   []lambdaConfig `json:"Versions"`
	}
	o := out{Versions: []lambdaConfig{}}
	for v := pos.ver; v <= versions(fn); v++ {
		if len(o.Versions) == limit {
			o.NextMarker = encodeMarker(scope, marker{fn.Index, v})
			break
		}
		if v == 0 {
			o.Versions = append(o.Versions, config(fn, lambdaLatest, ":"+lambdaLatest, false))
		} else {
			n := strconv.Itoa(v)
			o.Versions = append(o.Versions, config(fn, n, ":"+n, false))
		}
	}
	return o, nil
}

func (l *lambdaCall) getFunction(full bool) (any, *apiError) {
	ref, e := l.lookup(l.rt.fn, true)
	if e != nil {
		return nil, e
	}
	version, suffix, ok := resolve(ref)
	if !ok {
		return nil, notFoundQualified(ref)
	}
	fn := ref.fn
	cfg := config(fn, version, suffix, true)
	if !full {
		return cfg, nil
	}
	type code struct {
		RepositoryType   string `json:"RepositoryType"`
		Location         string `json:"Location,omitempty"`
		ImageUri         string `json:"ImageUri,omitempty"`
		ResolvedImageUri string `json:"ResolvedImageUri,omitempty"`
	}
	type concurrency struct {
		ReservedConcurrentExecutions int `json:"ReservedConcurrentExecutions"`
	}
	type out struct {
		Code          code              `json:"Code"`
		Concurrency   *concurrency      `json:"Concurrency,omitempty"`
		Configuration lambdaConfig      `json:"Configuration"`
		Tags          map[string]string `json:"Tags,omitempty"`
	}
	acct, region := fn.Region.Account.ID, fn.Region.Name
	o := out{Configuration: cfg, Tags: fn.Tags}
	if fn.PackageType == fleet.PkgImage {
		img := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", acct, region, strings.ToLower(fn.Name))
		d := fnHash(fn, "image")
		o.Code = code{RepositoryType: "ECR", ImageUri: img + ":latest", ResolvedImageUri: img + "@sha256:" + hex.EncodeToString(d[:])}
	} else {
		id := uuidOf(fnHash(fn, "snapshot/"+version))
		sig := fnHash(fn, "signature/"+l.c.now.UTC().Format(time.DateOnly))
		o.Code = code{RepositoryType: "S3", Location: fmt.Sprintf(
			"https://awslambda-%s-tasks.s3.%s.amazonaws.com/snapshots/%s/%s-%s?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=%s&X-Amz-Expires=600&X-Amz-Signature=%s",
			region, region, acct, fn.Name, id, l.c.now.UTC().Format("20060102T150405Z"), hex.EncodeToString(sig[:]))}
	}
	if fn.ReservedConcurrency != nil {
		o.Concurrency = &concurrency{*fn.ReservedConcurrency}
	}
	return o, nil
}

func (l *lambdaCall) getFunctionConcurrency() (any, *apiError) {
	ref, e := l.lookup(l.rt.fn, false)
	if e != nil {
		return nil, e
	}
	if r := ref.fn.ReservedConcurrency; r != nil {
		return map[string]int{"ReservedConcurrentExecutions": *r}, nil
	}
	return map[string]int{}, nil
}

type pcConfig struct {
	AllocatedProvisionedConcurrentExecutions int    `json:"AllocatedProvisionedConcurrentExecutions"`
	AvailableProvisionedConcurrentExecutions int    `json:"AvailableProvisionedConcurrentExecutions"`
	FunctionArn                              string `json:"FunctionArn,omitempty"`
	LastModified                             string `json:"LastModified"`
	RequestedProvisionedConcurrentExecutions int    `json:"RequestedProvisionedConcurrentExecutions"`
	Status                                   string `json:"Status"`
}

func pcOf(fn *fleet.Function, withARN bool) pcConfig {
	n := fn.ProvisionedConcurrency
	p := pcConfig{AllocatedProvisionedConcurrentExecutions: n, AvailableProvisionedConcurrentExecutions: n, RequestedProvisionedConcurrentExecutions: n,
		LastModified: fn.LastModified.UTC().Format(lambdaTimeLayout), Status: "READY"}
	if withARN {
		p.FunctionArn = fn.ARN + ":" + fleet.PCAlias
	}
	return p
}

func (l *lambdaCall) listProvisionedConcurrency() (any, *apiError) {
	ref, e := l.lookup(l.rt.fn, false)
	if e != nil {
		return nil, e
	}
	if _, e := l.maxItems(lambdaPCMaxItems, lambdaPCMaxItems); e != nil {
		return nil, e
	}
	scope := l.markerScope(ref.fn.Name)
	pos, e := l.startMarker(scope)
	if e != nil {
		return nil, e
	}
	if pos != (marker{}) {
		// Every listing fits one page, so no marker was ever issued.
		return nil, lambdaInvalid("Invalid marker: " + l.q.Get("Marker"))
	}
	list := []pcConfig{}
	if ref.fn.ProvisionedConcurrency > 0 {
		list = append(list, pcOf(ref.fn, true))
	}
	return map[string][]pcConfig{"ProvisionedConcurrencyConfigs": list}, nil
}

func (l *lambdaCall) getProvisionedConcurrency() (any, *apiError) {
	ref, e := l.lookup(l.rt.fn, true)
	if e != nil {
		return nil, e
	}
	if ref.qual == "" {
		return nil, lambdaValidation("null", "qualifier", "Member must not be null")
	}
	if _, _, ok := resolve(ref); !ok {
		return nil, notFoundQualified(ref)
	}
	if ref.qual != fleet.PCAlias || ref.fn.ProvisionedConcurrency == 0 {
		return nil, &apiError{Status: 404, Code: "ProvisionedConcurrencyConfigNotFoundException", Message: "No Provisioned Concurrency Config found for this function"}
	}
	return pcOf(ref.fn, false), nil
}

type destination struct {
	Destination string `json:"Destination,omitempty"`
}

type eventInvokeConfig struct {
	DestinationConfig struct {
		OnFailure destination `json:"OnFailure"`
		OnSuccess destination `json:"OnSuccess"`
	} `json:"DestinationConfig"`
	FunctionArn              string `json:"FunctionArn"`
	LastModified             int64  `json:"LastModified"`
	MaximumEventAgeInSeconds *int   `json:"MaximumEventAgeInSeconds,omitempty"`
	MaximumRetryAttempts     int    `json:"MaximumRetryAttempts"`
}

// eicOf is the function's event invoke config, which the fleet sets on
// the unqualified function ($LATEST).
func eicOf(fn *fleet.Function) *eventInvokeConfig {
	a := fn.Async
	if a == nil {
		return nil
	}
	o := &eventInvokeConfig{FunctionArn: fn.ARN + ":" + lambdaLatest, LastModified: fn.LastModified.Unix(), MaximumRetryAttempts: a.MaximumRetryAttempts}
	if a.MaximumEventAgeSeconds > 0 {
		age := a.MaximumEventAgeSeconds
		o.MaximumEventAgeInSeconds = &age
	}
	o.DestinationConfig.OnFailure.Destination = a.OnFailureDestination
	o.DestinationConfig.OnSuccess.Destination = a.OnSuccessDestination
	return o
}

func (l *lambdaCall) getEventInvokeConfig() (any, *apiError) {
	ref, e := l.lookup(l.rt.fn, true)
	if e != nil {
		return nil, e
	}
	_, suffix, ok := resolve(ref)
	if !ok {
		return nil, notFoundQualified(ref)
	}
	if eic := eicOf(ref.fn); eic != nil && (ref.qual == "" || ref.qual == lambdaLatest) {
		return eic, nil
	}
	if suffix == "" {
		suffix = ":" + lambdaLatest
	}
	return nil, lambdaNotFound(fmt.Sprintf("The function %s doesn't have an EventInvokeConfig", ref.fn.ARN+suffix))
}

func (l *lambdaCall) listEventInvokeConfigs() (any, *apiError) {
	ref, e := l.lookup(l.rt.fn, false)
	if e != nil {
		return nil, e
	}
	if _, e := l.maxItems(lambdaEICMaxItems, lambdaEICMaxItems); e != nil {
		return nil, e
	}
	if pos, e := l.startMarker(l.markerScope(ref.fn.Name)); e != nil || pos != (marker{}) {
		return nil, lambdaInvalid("Invalid marker: " + l.q.Get("Marker"))
	}
	list := []*eventInvokeConfig{}
	if eic := eicOf(ref.fn); eic != nil {
		list = append(list, eic)
	}
	return map[string][]*eventInvokeConfig{"FunctionEventInvokeConfigs": list}, nil
}

type aliasConfig struct {
	AliasArn        string `json:"AliasArn"`
	Description     string `json:"Description"`
	FunctionVersion string `json:"FunctionVersion"`
	Name            string `json:"Name"`
	RevisionId      string `json:"RevisionId"`
}

func aliasOf(fn *fleet.Function) aliasConfig {
	return aliasConfig{AliasArn: fn.ARN + ":" + fleet.PCAlias, FunctionVersion: strconv.Itoa(versions(fn)), Name: fleet.PCAlias,
		RevisionId: uuidOf(fnHash(fn, "alias/"+fleet.PCAlias))}
}

func (l *lambdaCall) listAliases() (any, *apiError) {
	ref, e := l.lookup(l.rt.fn, false)
	if e != nil {
		return nil, e
	}
	if _, e := l.maxItems(lambdaPageMax, lambdaMaxItems); e != nil {
		return nil, e
	}
	if pos, e := l.startMarker(l.markerScope(ref.fn.Name)); e != nil || pos != (marker{}) {
		return nil, lambdaInvalid("Invalid marker: " + l.q.Get("Marker"))
	}
	list := []aliasConfig{}
	if hasAlias(ref.fn) {
		a := aliasOf(ref.fn)
		if v, ok := l.q["FunctionVersion"]; !ok || len(v) == 0 || v[0] == a.FunctionVersion {
			list = append(list, a)
		}
	}
	return map[string][]aliasConfig{"Aliases": list}, nil
}

func (l *lambdaCall) getAlias() (any, *apiError) {
	ref, e := l.lookup(l.rt.fn, false)
	if e != nil {
		return nil, e
	}
	if l.rt.name != fleet.PCAlias || !hasAlias(ref.fn) {
		return nil, lambdaNotFound("Cannot find alias arn: " + ref.fn.ARN + ":" + l.rt.name)
	}
	return aliasOf(ref.fn), nil
}

func (l *lambdaCall) listTags() (any, *apiError) {
	arn := l.rt.fn
	if !strings.HasPrefix(arn, "arn:") {
		return nil, lambdaValidation(arn, "resource", "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
	}
	if !strings.Contains(arn, ":function:") {
		return nil, lambdaInvalid("The simulator tags functions only: " + arn)
	}
	ref, e := l.lookup(arn, false)
	if e != nil {
		return nil, e
	}
	if ref.qual != "" {
		return nil, lambdaInvalid("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	tags := ref.fn.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return map[string]map[string]string{"Tags": tags}, nil
}

func (l *lambdaCall) getAccountSettings() (any, *apiError) {
	limit := 1000
	if a := l.c.fleetAccount; a != nil {
		limit = a.ConcurrencyLimit
	}
	reserved := 0
	var total int64
	fns := l.functions()
	for _, fn := range fns {
		if fn.ReservedConcurrency != nil {
			reserved += *fn.ReservedConcurrency
		}
		total += fn.CodeSize * int64(1+versions(fn))
	}
	type limits struct {
		CodeSizeUnzipped               int64 `json:"CodeSizeUnzipped"`
		CodeSizeZipped                 int64 `json:"CodeSizeZipped"`
		ConcurrentExecutions           int   `json:"ConcurrentExecutions"`
		TotalCodeSize                  int64 `json:"TotalCodeSize"`
		UnreservedConcurrentExecutions int   `json:"UnreservedConcurrentExecutions"`
	}
	type usage struct {
		FunctionCount int64 `json:"FunctionCount"`
		TotalCodeSize int64 `json:"TotalCodeSize"`
	}
	type out struct {
		AccountLimit limits `json:"AccountLimit"`
		AccountUsage usage  `json:"AccountUsage"`
	}
	return out{
		AccountLimit: limits{CodeSizeUnzipped: lambdaCodeUnzipped, CodeSizeZipped: lambdaCodeZipped, ConcurrentExecutions: limit,
			TotalCodeSize: lambdaTotalCodeSize, UnreservedConcurrentExecutions: max(0, limit-reserved)},
		AccountUsage: usage{FunctionCount: int64(len(fns)), TotalCodeSize: total},
	}, nil
}
