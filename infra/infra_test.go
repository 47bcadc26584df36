package infra

import (
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/config"
	"github.com/lambdaudit/lambdaudit/scanner"
	"gopkg.in/yaml.v3"
)

// scannerReads is every AWS action the scanner performs inside a scanned
// account (with the member role, or with a function's own role in the
// central account), from the code: the call site of each.
var scannerReads = map[string]string{
	"lambda:ListFunctions":                     "scanner/inventory.go Inventory.ListFunctionConfigs (lambda.NewListFunctionsPaginator)",
	"lambda:GetAccountSettings":                "scanner/inventory.go Inventory.AccountSettings",
	"lambda:ListProvisionedConcurrencyConfigs": "scanner/inventory.go Inventory.provisioned (lambda.NewListProvisionedConcurrencyConfigsPaginator)",
	"tag:GetResources":                         "scanner/inventory.go Inventory.Tags (resourcegroupstaggingapi.NewGetResourcesPaginator)",
	"cloudwatch:GetMetricData":                 "metrics/fetch.go Fetch (cloudwatch.NewGetMetricDataPaginator)",
	"cloudwatch:ListMetrics":                   "metrics/discover.go listFunctions (cloudwatch.NewListMetricsPaginator)",
	"logs:StartQuery":                          "logstats/run.go Runner.runQuery",
	"logs:GetQueryResults":                     "logstats/run.go Runner.poll",
	"logs:StopQuery":                           "logstats/run.go Runner.stop",
}

// scopeCalls are the scan's other calls, made with the central account's
// credentials before entering any member account.
var scopeCalls = map[string]string{
	"sts:AssumeRole":             "scanner/sessions.go Sessions.Scope (stscreds.NewAssumeRoleProvider), the member role",
	"ec2:DescribeRegions":        "scanner/targets.go resolveRegions, when regions are given or all",
	"organizations:ListAccounts": "scanner/targets.go Scope.listOrganization, when accounts is all",
	// A quotas key (scanner.ScanAPIs, fanout/limiters.go) with no call
	// site: nothing in scanner/, metrics/ or logstats/ calls it.
	"logs:DescribeLogGroups": "",
}

func load(t *testing.T, name string) *Template {
	t.Helper()
	tpl, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func TestMemberRoleGrantsExactlyTheScannerReads(t *testing.T) {
	got, err := load(t, Member).GrantedActions(MemberRole)
	if err != nil {
		t.Fatal(err)
	}
	if want := sortedKeys(scannerReads); !slices.Equal(got, want) {
		t.Errorf("member role grants\n %v\nthe scanner reads\n %v", got, want)
	}
}

// Every API of scanner.ScanAPIs is either a read inside a scanned account
// or a scope call, and every read is one of them: the tables above follow
// the code.
func TestScanAPIsAreAccountedFor(t *testing.T) {
	seen := map[string]bool{}
	for svc, ops := range scanner.ScanAPIs {
		for _, op := range ops {
			act, ok := IAMAction(svc, op)
			if !ok {
				if svc+":"+op != "STS:GetCallerIdentity" {
					t.Errorf("IAMAction(%q, %q): no action", svc, op)
				}
				continue
			}
			seen[act] = true
			_, read := scannerReads[act]
			_, scope := scopeCalls[act]
			if !read && !scope {
				t.Errorf("%s (scanner.ScanAPIs %s:%s) is in neither scannerReads nor scopeCalls", act, svc, op)
			}
		}
	}
	for _, act := range append(sortedKeys(scannerReads), sortedKeys(scopeCalls)...) {
		if !seen[act] {
			t.Errorf("%s is not in scanner.ScanAPIs", act)
		}
	}
}

// The function roles grant exactly these actions (under some condition);
// a change here is a change of the deployment's privileges.
func TestFunctionRolesGrant(t *testing.T) {
	store := []string{"s3:GetObject", "s3:ListBucket", "s3:PutObject"}
	logs := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	reads := sortedKeys(scannerReads)
	tests := []struct {
		role string
		want [][]string
	}{
		// The plan writes (manifest, index) and resolves the scope; it
		// reads nothing back and enters no account (TestLeastPrivilege).
		{PlanRole, [][]string{{"s3:PutObject"}, logs, {"sqs:SendMessage", "ec2:DescribeRegions", "organizations:ListAccounts"}}},
		{WorkRole, [][]string{store, logs, reads, {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sts:AssumeRole", "ssm:GetParameter", "kms:Decrypt"}}},
		{ReportRole, [][]string{store, logs, {"ssm:GetParameter", "kms:Decrypt"}}},
		{PlanScheduleRole, [][]string{{"lambda:InvokeFunction"}}},
		{DeadlineScheduleRole, [][]string{{"lambda:InvokeFunction"}}},
	}
	central := load(t, Central)
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			got, err := central.GrantedActions(tt.role)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Concat(tt.want...)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("grants\n %v\nwant\n %v", got, want)
			}
			for _, a := range got {
				if strings.Contains(a, "*") {
					t.Errorf("wildcard action %s", a)
				}
			}
			for a := range UsedByAWS[tt.role] {
				if !slices.Contains(got, a) {
					t.Errorf("UsedByAWS names %s, which the role is not granted", a)
				}
			}
		})
	}
	if got, want := central.Roles(), []string{PlanScheduleRole, DeadlineScheduleRole, PlanRole, WorkRole, ReportRole}; !slices.Equal(got, want) {
		t.Errorf("roles %v, want %v (a new role needs its row above)", got, want)
	}
}

// Conditional grants stand under the condition that makes them needed.
func TestConditionalGrants(t *testing.T) {
	central := load(t, Central)
	member, err := load(t, Member).Grants(MemberRole)
	if err != nil {
		t.Fatal(err)
	}
	memberRes := map[string][]string{}
	for _, g := range member {
		memberRes[g.Action] = g.Resources
		if len(g.Conditions) > 0 {
			t.Errorf("member role: %s under %v", g.Action, g.Conditions)
		}
	}
	wantCond := map[string]string{
		"ec2:DescribeRegions":        "HasRegions",
		"organizations:ListAccounts": "OrganizationsMode",
		"ssm:GetParameter":           "HasSecrets",
		"kms:Decrypt":                "HasSecretsKey",
	}
	for _, role := range []string{PlanRole, WorkRole, ReportRole} {
		gs, err := central.Grants(role)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			want := wantCond[g.Action]
			if _, read := scannerReads[g.Action]; read {
				// The own-account scan: the member role's grant, same resources.
				want = "ScanSelf"
				if !slices.Equal(g.Resources, memberRes[g.Action]) {
					t.Errorf("%s: %s on %v, the member role on %v", role, g.Action, g.Resources, memberRes[g.Action])
				}
			}
			var got string
			if len(g.Conditions) > 0 {
				got = g.Conditions[0]
			}
			if got != want || len(g.Conditions) > 1 {
				t.Errorf("%s: %s under %v, want %q", role, g.Action, g.Conditions, want)
			}
		}
	}
}

func TestGrantResources(t *testing.T) {
	central := load(t, Central)
	tests := []struct {
		role, action string
		want         []string
	}{
		{WorkRole, "sts:AssumeRole", []string{"arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"}},
		{PlanRole, "sqs:SendMessage", []string{"GetAtt WorkQueue.Arn"}},
		{WorkRole, "sqs:ReceiveMessage", []string{"GetAtt WorkQueue.Arn"}},
		{WorkRole, "s3:PutObject", []string{"${ResultsBucket.Arn}/*"}},
		{ReportRole, "s3:ListBucket", []string{"GetAtt ResultsBucket.Arn"}},
		{ReportRole, "logs:PutLogEvents", []string{"${ReportLogGroup.Arn}"}},
		{PlanScheduleRole, "lambda:InvokeFunction", []string{"GetAtt PlanFunction.Arn"}},
		{DeadlineScheduleRole, "lambda:InvokeFunction", []string{"GetAtt ReportFunction.Arn"}},
		{WorkRole, "ssm:GetParameter", []string{
			"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${SlackWebhookParam}",
			"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${SlackBotTokenParam}",
			"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${OpsgenieApiKeyParam}",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.role+"/"+tt.action, func(t *testing.T) {
			gs, err := central.Grants(tt.role)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, g := range gs {
				if g.Action == tt.action {
					n++
					if !slices.Equal(g.Resources, tt.want) {
						t.Errorf("resources %q, want %q", g.Resources, tt.want)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d grants of %s, want 1", n, tt.action)
			}
		})
	}
}

func TestMemberRoleTrust(t *testing.T) {
	member := load(t, Member)
	sts := member.Node("Resources", MemberRole, "Properties", "AssumeRolePolicyDocument", "Statement")
	if sts == nil || len(sts.Content) != 1 {
		t.Fatalf("want one trust statement, got %v", sts)
	}
	st := sts.Content[0]
	if p := render(get(get(st, "Principal"), "AWS")); p != "arn:${AWS::Partition}:iam::${CentralAccountId}:root" {
		t.Errorf("principal %q, want the central account", p)
	}
	cond := get(st, "Condition")
	if r := render(get(get(cond, "StringEquals"), "sts:ExternalId")); r != "Ref ExternalId" {
		t.Errorf("sts:ExternalId condition %q, want Ref ExternalId", r)
	}
	if r := render(get(get(cond, "ArnLike"), "aws:PrincipalArn")); r != "Ref CentralRoleArns" {
		t.Errorf("aws:PrincipalArn condition %q, want Ref CentralRoleArns", r)
	}
	if got := scalar(member.Node("Parameters", "ExternalId", "NoEcho")); got != "true" {
		t.Errorf("member ExternalId NoEcho = %q", got)
	}
	if got := scalar(load(t, Central).Node("Parameters", "ExternalId", "NoEcho")); got != "true" {
		t.Errorf("central ExternalId NoEcho = %q", got)
	}
	if a, b := scalar(member.Node("Parameters", "RoleName", "Default")), scalar(load(t, Central).Node("Parameters", "MemberRoleName", "Default")); a != b || a == "" {
		t.Errorf("member RoleName default %q, central MemberRoleName default %q", a, b)
	}
}

// The queue's visibility timeout is 6 × the worker's timeout for every
// timeout the template accepts.
func TestQueueVisibilityIsSixTimesWorkTimeout(t *testing.T) {
	central := load(t, Central)
	allowed := central.Node("Parameters", "WorkTimeoutSeconds", "AllowedValues")
	vis := central.Node("Mappings", "QueueVisibility")
	if allowed == nil || vis == nil || len(vis.Content) != 2*len(allowed.Content) {
		t.Fatalf("WorkTimeoutSeconds AllowedValues and Mappings.QueueVisibility do not match")
	}
	for _, v := range allowed.Content {
		timeout, _ := strconv.Atoi(v.Value)
		got, _ := strconv.Atoi(scalar(get(get(vis, v.Value), "Seconds")))
		if got != 6*timeout || timeout > 900 {
			t.Errorf("timeout %s s: visibility %d s, want %d", v.Value, got, 6*timeout)
		}
	}
	if d := scalar(central.Node("Parameters", "WorkTimeoutSeconds", "Default")); !slices.ContainsFunc(allowed.Content, func(n *yaml.Node) bool { return n.Value == d }) {
		t.Errorf("WorkTimeoutSeconds default %q not allowed", d)
	}
	q := central.Node("Resources", "WorkQueue", "Properties")
	for key, want := range map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "false", "SqsManagedSseEnabled": "true"} {
		if got := scalar(get(q, key)); got != want {
			t.Errorf("WorkQueue %s = %q, want %s", key, got, want)
		}
	}
	esm := central.Node("Resources", "WorkEventSourceMapping", "Properties")
	if got := render(get(esm, "FunctionResponseTypes").Content[0]); got != "ReportBatchItemFailures" {
		t.Errorf("FunctionResponseTypes %q", got)
	}
	if max := scalar(central.Node("Parameters", "WorkBatchSize", "MaxValue")); max != "10" {
		t.Errorf("WorkBatchSize MaxValue %s, want 10 (FIFO)", max)
	}
}

// The environment the functions get: the handler per function, and every
// LAMBDAUDIT_ variable either a setting of package config or one of the
// Lambda host's own.
func TestFunctionsEnvironment(t *testing.T) {
	central := load(t, Central)
	host := map[string]bool{
		"LAMBDAUDIT_STORE": true, "LAMBDAUDIT_QUEUE_URL": true, "LAMBDAUDIT_DEPLOYMENT": true,
		"LAMBDAUDIT_REPORT_DEADLINE": true, "LAMBDAUDIT_INSIGHTS_CONFIG": true, "LAMBDAUDIT_HANDLER": true,
		"LAMBDAUDIT_MAX_CONCURRENCY":     true,
		"LAMBDAUDIT_SLACK_WEBHOOK_PARAM": true, "LAMBDAUDIT_SLACK_BOT_TOKEN_PARAM": true, "LAMBDAUDIT_OPSGENIE_API_KEY_PARAM": true,
	}
	settings := map[string]bool{}
	for _, s := range config.Table {
		settings[s.Env()] = true
	}
	vars := central.Node("Globals", "Function", "Environment", "Variables")
	for i := 0; i < len(vars.Content); i += 2 {
		name := vars.Content[i].Value
		if strings.HasPrefix(name, "LAMBDAUDIT_") && !host[name] && !settings[name] {
			t.Errorf("%s is neither a config setting nor a host variable", name)
		}
		if strings.Contains(strings.ToUpper(name), "TOKEN") && !strings.HasSuffix(name, "_PARAM") ||
			name == "SLACK_WEBHOOK_URL" || name == "OPSGENIE_API_KEY" {
			t.Errorf("%s: a secret as a plain environment value", name)
		}
	}
	for fn, handler := range map[string]string{"PlanFunction": "plan", "WorkFunction": "work", "ReportFunction": "report"} {
		p := central.Node("Resources", fn, "Properties")
		if got := scalar(get(get(get(p, "Environment"), "Variables"), "LAMBDAUDIT_HANDLER")); got != handler {
			t.Errorf("%s LAMBDAUDIT_HANDLER = %q, want %s", fn, got, handler)
		}
		if got := render(get(p, "Role")); got != "GetAtt "+strings.TrimSuffix(fn, "Function")+"Role.Arn" {
			t.Errorf("%s role %q", fn, got)
		}
	}
	// The work function knows the event source mapping's MaximumConcurrency
	// (lambdahost divides the rate fraction by it on a standard queue).
	work := get(get(central.Node("Resources", "WorkFunction", "Properties", "Environment"), "Variables"), "LAMBDAUDIT_MAX_CONCURRENCY")
	esm := get(get(central.Node("Resources", "WorkEventSourceMapping", "Properties"), "ScalingConfig"), "MaximumConcurrency")
	if got, want := render(work), render(esm); got != want || want == "" {
		t.Errorf("WorkFunction LAMBDAUDIT_MAX_CONCURRENCY = %q, want the event source mapping's MaximumConcurrency %q", got, want)
	}
	g := central.Node("Globals", "Function")
	for key, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap"} {
		if got := scalar(get(g, key)); got != want {
			t.Errorf("Globals %s = %q, want %s", key, got, want)
		}
	}
}

// GovCloud and China: ARNs are built with ${AWS::Partition} and service
// hosts with ${AWS::URLSuffix}, never aws / amazonaws.com (descriptions
// and patterns aside).
func TestNoHardCodedPartition(t *testing.T) {
	prose := map[string]bool{"Description": true, "AlarmDescription": true, "ConstraintDescription": true, "AllowedPattern": true}
	var walk func(name, path string, n *yaml.Node)
	walk = func(name, path string, n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if !prose[n.Content[i].Value] {
					walk(name, path+"."+n.Content[i].Value, n.Content[i+1])
				}
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(name, path, c)
			}
		case yaml.ScalarNode:
			if strings.Contains(n.Value, "arn:aws:") || strings.Contains(n.Value, "amazonaws.com") && !strings.HasSuffix(path, ".Principal.Service") {
				t.Errorf("%s:%d (%s): a hard-coded partition or URL suffix: %s", name, n.Line, path, n.Value)
			}
		}
	}
	for _, name := range []string{Central, Member} {
		walk(name, "", load(t, name).root)
	}
}

func TestIAMAction(t *testing.T) {
	tests := []struct {
		svc, op, want string
		ok            bool
	}{
		{"CloudWatch", "GetMetricData", "cloudwatch:GetMetricData", true},
		{"CloudWatch Logs", "StartQuery", "logs:StartQuery", true},
		{"Resource Groups Tagging API", "GetResources", "tag:GetResources", true},
		{"SQS", "SendMessageBatch", "sqs:SendMessage", true},
		{"SQS", "ChangeMessageVisibility", "sqs:ChangeMessageVisibility", true},
		{"S3", "ListObjectsV2", "s3:ListBucket", true},
		{"S3", "PutObject", "s3:PutObject", true},
		{"SSM", "GetParameter", "ssm:GetParameter", true},
		{"STS", "AssumeRole", "sts:AssumeRole", true},
		{"STS", "GetCallerIdentity", "", false},
		{"Pricing", "GetProducts", "", false},
		{"Lambda", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.svc+":"+tt.op, func(t *testing.T) {
			got, ok := IAMAction(tt.svc, tt.op)
			if got != tt.want || ok != tt.ok {
				t.Errorf("IAMAction = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// The short form (!If, !Ref, !Sub) and the long form read the same.
func TestGrantsShortAndLongForm(t *testing.T) {
	short := `
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - !If
          - C
          - PolicyName: p
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Action: [a:One, a:Two]
                  Resource: !Sub arn:${AWS::Partition}:x
                - !If [D, {Effect: Allow, Action: b:Three, Resource: "*"}, !Ref AWS::NoValue]
                - {Effect: Deny, Action: c:Four, Resource: "*"}
          - !Ref AWS::NoValue
`
	long := `
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - Fn::If:
          - C
          - PolicyName: p
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Action: [a:One, a:Two]
                  Resource: {"Fn::Sub": "arn:${AWS::Partition}:x"}
                - {"Fn::If": [D, {Effect: Allow, Action: b:Three, Resource: "*"}, {Ref: AWS::NoValue}]}
                - {Effect: Deny, Action: c:Four, Resource: "*"}
          - Ref: AWS::NoValue
`
	want := []Grant{
		{Action: "a:One", Resources: []string{"arn:${AWS::Partition}:x"}, Conditions: []string{"C"}, Policy: "p"},
		{Action: "a:Two", Resources: []string{"arn:${AWS::Partition}:x"}, Conditions: []string{"C"}, Policy: "p"},
		{Action: "b:Three", Resources: []string{"*"}, Conditions: []string{"C", "D"}, Policy: "p"},
	}
	for name, src := range map[string]string{"short": short, "long": long} {
		t.Run(name, func(t *testing.T) {
			tpl, err := Parse(name, []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tpl.Grants("R")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, want, func(a, b Grant) bool {
				return a.Action == b.Action && a.Policy == b.Policy && slices.Equal(a.Resources, b.Resources) && slices.Equal(a.Conditions, b.Conditions)
			}) {
				t.Errorf("grants\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

func TestGrantsErrors(t *testing.T) {
	tests := []struct {
		name, src, role, want string
	}{
		{"unknown role", "Resources: {R: {Type: AWS::IAM::Role}}", "X", `no resource "X" (roles: R)`},
		{"not a role", "Resources: {Q: {Type: AWS::SQS::Queue}}", "Q", "is a AWS::SQS::Queue, not an AWS::IAM::Role"},
		{"managed policies", "Resources: {R: {Type: AWS::IAM::Role, Properties: {ManagedPolicyArns: [x]}}}", "R", "ManagedPolicyArns"},
		{"nothing granted", "Resources: {R: {Type: AWS::IAM::Role, Properties: {}}}", "R", "grants nothing"},
		{"NotAction", "Resources: {R: {Type: AWS::IAM::Role, Properties: {Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, NotAction: x, Resource: '*'}]}}]}}}", "R", "NotAction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.name, []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			_, err = tpl.Grants(tt.role)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := Load("nope.yaml"); err == nil || !strings.Contains(err.Error(), Central) {
		t.Errorf("Load(nope.yaml) = %v, want an error naming the templates", err)
	}
	if _, err := Parse("list", []byte("- a\n")); err == nil {
		t.Error("Parse of a list: no error")
	}
}

// README.md's parameter table names every parameter of the central
// template.
func TestREADMEListsEveryParameter(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	params := load(t, Central).Node("Parameters")
	for i := 0; i < len(params.Content); i += 2 {
		if name := params.Content[i].Value; !strings.Contains(string(b), "`"+name+"`") {
			t.Errorf("README.md does not name the parameter %s", name)
		}
	}
}
