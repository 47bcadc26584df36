package infra

import (
	"embed"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The templates, by file name.
const (
	// Central is the SAM template of the central account.
	Central = "template.yaml"
	// Member is the member-account role's template (a StackSet's).
	Member = "member-role.yaml"
)

// The IAM roles of the templates, by logical ID.
const (
	PlanRole             = "PlanRole"             // Central: the plan function
	WorkRole             = "WorkRole"             // Central: the work function
	ReportRole           = "ReportRole"           // Central: the report function
	PlanScheduleRole     = "PlanScheduleRole"     // Central: the plan schedule
	DeadlineScheduleRole = "DeadlineScheduleRole" // Central: the deadline schedule
	MemberRole           = "MemberRole"           // Member: what the scanner reads in a member account
)

//go:embed template.yaml member-role.yaml
var templates embed.FS

// A Template is one parsed CloudFormation (or SAM) template.
type Template struct {
	name string
	root *yaml.Node // the document's mapping
}

// Load parses one of the embedded templates (Central or Member).
func Load(name string) (*Template, error) {
	b, err := templates.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("infra: template %q: want %q or %q", name, Central, Member)
	}
	return Parse(name, b)
}

// Parse parses a template's YAML; name is used in errors.
func Parse(name string, b []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("infra: %s: %w", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("infra: %s: not a template (want a YAML mapping at the top)", name)
	}
	return &Template{name: name, root: doc.Content[0]}, nil
}

// A Grant is one action an Allow statement of a role's inline policies
// grants.
type Grant struct {
	Action string // "lambda:ListFunctions"
	// Resources are the statement's resources as written: a plain string,
	// a !Sub template, "GetAtt X.Arn" or "Ref X".
	Resources []string
	// Conditions are the template conditions the statement (or its
	// policy) stands under: "ScanSelf" for the true branch of an
	// !If [ScanSelf, ...], "!ScanSelf" for the false branch. Empty: always
	// granted.
	Conditions []string
	Policy     string // the inline policy's name
	Sid        string // the statement's Sid, if any
}

// Grants lists what the role (its logical ID) may do through its inline
// policies, one Grant per action and statement, in template order. Both
// branches of an !If count: a grant under a condition is listed with it.
func (t *Template) Grants(role string) ([]Grant, error) {
	res, err := t.resource(role)
	if err != nil {
		return nil, err
	}
	if typ := scalar(get(res, "Type")); typ != "AWS::IAM::Role" {
		return nil, fmt.Errorf("infra: %s: %s is a %s, not an AWS::IAM::Role", t.name, role, typ)
	}
	props := get(res, "Properties")
	if get(props, "ManagedPolicyArns") != nil {
		return nil, fmt.Errorf("infra: %s: %s has ManagedPolicyArns, whose actions the template does not say", t.name, role)
	}
	var out []Grant
	for _, p := range branches(get(props, "Policies"), nil) {
		for _, pol := range branches(p.node, p.conds) {
			name := scalar(get(pol.node, "PolicyName"))
			doc := get(pol.node, "PolicyDocument")
			for _, st := range branches(get(doc, "Statement"), pol.conds) {
				gs, err := t.statementGrants(role, name, st)
				if err != nil {
					return nil, err
				}
				out = append(out, gs...)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("infra: %s: %s grants nothing", t.name, role)
	}
	return out, nil
}

// GrantedActions is every action the role may be granted (under any
// condition), sorted, each once.
func (t *Template) GrantedActions(role string) ([]string, error) {
	gs, err := t.Grants(role)
	if err != nil {
		return nil, err
	}
	var acts []string
	for _, g := range gs {
		acts = append(acts, g.Action)
	}
	slices.Sort(acts)
	return slices.Compact(acts), nil
}

// Roles is the logical ID of every AWS::IAM::Role of the template, in
// template order.
func (t *Template) Roles() []string {
	var ids []string
	rs := get(t.root, "Resources")
	for i := 0; rs != nil && i+1 < len(rs.Content); i += 2 {
		if scalar(get(rs.Content[i+1], "Type")) == "AWS::IAM::Role" {
			ids = append(ids, rs.Content[i].Value)
		}
	}
	return ids
}

// Node is the YAML node at a path of mapping keys from the template's top
// ("Resources", "WorkQueue", "Properties"), or nil. Short-form tags are
// left as they are: see Intrinsic.
func (t *Template) Node(path ...string) *yaml.Node {
	n := t.root
	for _, k := range path {
		if n = get(n, k); n == nil {
			return nil
		}
	}
	return n
}

// Intrinsic reports whether n is an intrinsic function, in either form,
// and returns its long name ("Fn::If", "Ref", "Condition") and argument.
func Intrinsic(n *yaml.Node) (name string, arg *yaml.Node, ok bool) {
	if n == nil {
		return "", nil, false
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		a := *n
		a.Tag = ""
		a.Style = 0
		switch tag := n.Tag[1:]; tag {
		case "Ref", "Condition":
			return tag, &a, true
		default:
			return "Fn::" + tag, &a, true
		}
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, n.Content[1], true
		}
	}
	return "", nil, false
}

func (t *Template) resource(id string) (*yaml.Node, error) {
	res := get(get(t.root, "Resources"), id)
	if res == nil {
		return nil, fmt.Errorf("infra: %s has no resource %q (roles: %s)", t.name, id, strings.Join(t.Roles(), ", "))
	}
	return res, nil
}

func (t *Template) statementGrants(role, policy string, st branch) ([]Grant, error) {
	if effect := scalar(get(st.node, "Effect")); effect != "Allow" {
		if effect == "Deny" {
			return nil, nil
		}
		return nil, fmt.Errorf("infra: %s: %s, policy %s: a statement's Effect is %q (want Allow or Deny)", t.name, role, policy, effect)
	}
	if get(st.node, "NotAction") != nil || get(st.node, "NotResource") != nil {
		return nil, fmt.Errorf("infra: %s: %s, policy %s: NotAction/NotResource grant more than they name", t.name, role, policy)
	}
	var resources []string
	for _, r := range branches(get(st.node, "Resource"), nil) {
		for _, item := range branches(r.node, nil) {
			resources = append(resources, render(item.node))
		}
	}
	var gs []Grant
	for _, a := range branches(get(st.node, "Action"), nil) {
		for _, item := range branches(a.node, nil) {
			act := scalar(item.node)
			if act == "" {
				return nil, fmt.Errorf("infra: %s: %s, policy %s: an Action is not a plain string", t.name, role, policy)
			}
			gs = append(gs, Grant{
				Action:     act,
				Resources:  resources,
				Conditions: append(slices.Clip(st.conds), item.conds...),
				Policy:     policy,
				Sid:        scalar(get(st.node, "Sid")),
			})
		}
	}
	return gs, nil
}

// branch is one value a node may take, with the conditions it needs.
type branch struct {
	node  *yaml.Node
	conds []string
}

// branches flattens n: a sequence gives its items, an !If both of its
// values (each under its condition), a Ref to AWS::NoValue nothing, and
// anything else itself.
func branches(n *yaml.Node, conds []string) []branch {
	if n == nil {
		return nil
	}
	if name, arg, ok := Intrinsic(n); ok {
		switch {
		case name == "Ref" && arg.Value == "AWS::NoValue":
			return nil
		case name == "Fn::If" && arg.Kind == yaml.SequenceNode && len(arg.Content) == 3:
			c := arg.Content[0].Value
			out := branches(arg.Content[1], append(slices.Clip(conds), c))
			return append(out, branches(arg.Content[2], append(slices.Clip(conds), "!"+c))...)
		}
		return []branch{{n, conds}}
	}
	if n.Kind == yaml.SequenceNode {
		var out []branch
		for _, c := range n.Content {
			out = append(out, branches(c, conds)...)
		}
		return out
	}
	return []branch{{n, conds}}
}

// render is a resource as written: the string, the !Sub template, or
// "GetAtt X.Y" / "Ref X" for the other intrinsics.
func render(n *yaml.Node) string {
	name, arg, ok := Intrinsic(n)
	if !ok {
		return n.Value
	}
	switch name {
	case "Fn::Sub":
		if arg.Kind == yaml.SequenceNode && len(arg.Content) > 0 {
			return arg.Content[0].Value
		}
		return arg.Value
	case "Fn::GetAtt":
		if arg.Kind == yaml.SequenceNode {
			var parts []string
			for _, c := range arg.Content {
				parts = append(parts, c.Value)
			}
			return "GetAtt " + strings.Join(parts, ".")
		}
		return "GetAtt " + arg.Value
	case "Ref":
		return "Ref " + arg.Value
	}
	return strings.TrimPrefix(name, "Fn::") + "(…)"
}

// get is a mapping's value for key, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalar is a plain scalar's value, or "".
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || (strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")) {
		return ""
	}
	return n.Value
}
