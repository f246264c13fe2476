package cfn

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// InitKey is the metadata key cfn-init reads.
const InitKey = "AWS::CloudFormation::Init"

// Service is one service cfn-init will enable, disable, start or stop.
type Service struct {
	Name          string `json:"service"`
	Key           string `json:"key"` // "sysvinit" or "systemd"
	Source        string `json:"source"`
	Line          int    `json:"line,omitempty"` // of the service's key in the template
	Resource      string `json:"resource"`
	Config        string `json:"config"`
	Enabled       *bool  `json:"enabled,omitempty"`
	EnsureRunning *bool  `json:"ensure_running,omitempty"`
	// When says what the template leaves undecided about this service
	// (an Fn::If initcompat could not decide, both branches taken).
	When []string `json:"when,omitempty"`
}

// Where names the place in the template, for messages: "t.yaml resource
// Web config install services.sysvinit.nginx" (At adds the line).
func (s Service) Where() string {
	return where(s.Source, 0, s.Resource, s.Config, "services."+s.Key+"."+s.Name)
}

// At is where the service's entry is: "t.yaml:12", or the source alone
// when the line is not known (a stack's metadata).
func (s Service) At() string {
	if s.Line > 0 {
		return s.Source + ":" + strconv.Itoa(s.Line)
	}
	return s.Source
}

// Note is what cfn-init does with an entry that names no service it
// manages, said at the entry's line: option keys written where a service
// name goes, a key beside sysvinit, a value cfn-init reads otherwise than
// it is written. The planner shows each as a finding.
type Note struct {
	Source   string `json:"source"`
	Line     int    `json:"line,omitempty"`
	Resource string `json:"resource"`
	Config   string `json:"config"`
	Path     string `json:"path"` // "services.sysvinit.enabled"
	Service  string `json:"service,omitempty"`
	Message  string `json:"message"` // a sentence that names Path
}

// Where names the place in the template, as Service.Where does.
func (n Note) Where() string { return where(n.Source, n.Line, n.Resource, n.Config, n.Path) }

// String is the note as one line: where, then the message (which names
// the path itself).
func (n Note) String() string {
	return where(n.Source, n.Line, n.Resource, n.Config, "") + ": " + n.Message
}

func where(source string, line int, resource, config, path string) string {
	if line > 0 {
		source += ":" + strconv.Itoa(line)
	}
	return strings.TrimSuffix(fmt.Sprintf("%s resource %s config %s %s", source, resource, config, path), " ")
}

// FromTemplate returns the services of every resource with cfn-init
// metadata, or of the one named, and the notes on entries cfn-init skips.
// params are the stack's parameter values the user knows (they override
// the template's Defaults); they decide the template's conditions and
// functions (see resolver).
func FromTemplate(t *Template, resource string, configSets []string, params map[string]string) ([]Service, []Note, error) {
	resources, _ := t.Body["Resources"].(map[string]any)
	names, err := InitResources(t.Name, t.Body, resource)
	if err != nil {
		return nil, nil, err
	}
	res := newResolver(t, params)
	var out []Service
	var notes []Note
	for _, n := range names {
		r, _ := resources[n].(map[string]any)
		var when []string
		if cond, ok := r["Condition"].(string); ok {
			// A resource whose condition is false is never created, so no
			// instance runs cfn-init on its metadata.
			switch c, why := res.condition(cond, 0); c {
			case no:
				if resource != "" {
					return nil, nil, fmt.Errorf("%s: resource %s has Condition %s, which is false with these parameters: the stack does not create it", t.Name, n, cond)
				}
				continue
			case unknown:
				when = append(when, fmt.Sprintf("the resource's Condition %s is undecided at build time (%s), so it is taken as created", cond, why))
			}
		}
		md, _ := r["Metadata"].(map[string]any)
		s, ns, err := fromMetadata(res, t.Name, n, md, configSets)
		if err != nil {
			return nil, nil, err
		}
		for i := range s {
			if len(when) > 0 {
				s[i].When = append(when[:len(when):len(when)], s[i].When...)
			}
		}
		out = append(out, s...)
		notes = append(notes, ns...)
	}
	return out, notes, nil
}

// InitResources returns the logical IDs whose metadata cfn-init reads: the
// one named (which must exist), or every resource with Init metadata.
func InitResources(source string, tmpl map[string]any, resource string) ([]string, error) {
	resources, _ := tmpl["Resources"].(map[string]any)
	if resources == nil {
		return nil, fmt.Errorf("%s: no Resources section", source)
	}
	if resource != "" {
		if _, ok := resources[resource]; !ok {
			return nil, fmt.Errorf("%s: no resource %q (resources: %s)", source, resource, strings.Join(slices.Sorted(maps.Keys(resources)), " "))
		}
		return []string{resource}, nil
	}
	var names []string
	for _, n := range slices.Sorted(maps.Keys(resources)) {
		r, _ := resources[n].(map[string]any)
		md, _ := r["Metadata"].(map[string]any)
		if _, ok := md[InitKey]; ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no resource has %s metadata", source, InitKey)
	}
	return names, nil
}

// FromMetadata returns the services in one resource's metadata as a stack
// returns it (CloudFormation resolved its intrinsic functions already).
func FromMetadata(source, resource string, md map[string]any, configSets []string) ([]Service, []Note, error) {
	return fromMetadata(newResolver(nil, nil), source, resource, md, configSets)
}

// reader reads one resource's Init metadata.
type reader struct {
	res      *resolver
	source   string
	resource string
	where    string
	raw      map[string]any // the Init metadata as written, for lines
	line     int            // of the Init key
	notes    noteIndex
}

func fromMetadata(res *resolver, source, resource string, md map[string]any, configSets []string) ([]Service, []Note, error) {
	where := fmt.Sprintf("%s: resource %s: %s", source, resource, InitKey)
	raw, ok := md[InitKey].(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s: missing or not a mapping", where)
	}
	rd := &reader{res: res, source: source, resource: resource, where: where, raw: raw, line: res.t.line(md, InitKey)}
	res.notes, res.path = nil, nil
	init, _ := res.resolve(raw, rd.line, 0).(map[string]any)
	rd.notes = newNoteIndex(res)
	configs, err := selectConfigs(where, init, configSets)
	if err != nil {
		return nil, nil, err
	}
	var out []Service
	var notes []Note
	for _, c := range configs {
		cfg, ok := init[c].(map[string]any)
		switch {
		case !ok && init[c] != nil:
			return nil, nil, fmt.Errorf("%s: %s", where, describeNot("config "+strconv.Quote(c), init[c], "a mapping"))
		case !ok:
			return nil, nil, fmt.Errorf("%s: config %q is not in the metadata", where, c)
		}
		svcs, ns, err := rd.configServices(c, cfg)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, svcs...)
		notes = append(notes, ns...)
	}
	return out, notes, nil
}

// lineOf is the line of the key at the end of path under the Init
// metadata as written, or of the deepest key on the way that is there (an
// entry an Fn::If chose, a mapping the resolver made).
func (rd *reader) lineOf(path ...string) int {
	line := rd.line
	var cur any = rd.raw
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return line
		}
		if args, isIf := m["Fn::If"].([]any); isIf && len(m) == 1 && len(args) == 3 {
			// Either branch may hold the key: the first that does.
			for _, b := range args[1:] {
				if bm, ok := b.(map[string]any); ok {
					if _, has := bm[k]; has {
						m = bm
						break
					}
				}
			}
		}
		next, has := m[k]
		if !has {
			return line
		}
		if l := rd.res.t.line(m, k); l > 0 {
			line = l
		}
		cur = next
	}
	return line
}

// describeNot says that a value is not what cfn-init needs there, naming
// the intrinsic function when it is one.
func describeNot(what string, v any, want string) string {
	if _, isFn := intrinsicName(v); isFn {
		return unresolved(what, v)
	}
	return fmt.Sprintf("%s is not %s", what, want)
}

// selectConfigs resolves the config sets to the configs cfn-init runs, in
// order. It follows aws-cfn-bootstrap's Contractor (cfnbootstrap/
// construction.py): without a configSets key the metadata has one virtual
// set, "default", holding only the config named "config", so every other
// top-level config never runs; cfn-init's own default set name is
// "default", and a set it does not know is an error.
func selectConfigs(where string, init map[string]any, configSets []string) ([]string, error) {
	if _, isFn := intrinsicName(init["configSets"]); isFn {
		return nil, fmt.Errorf("%s: %s", where, unresolved("configSets", init["configSets"]))
	}
	sets, hasSets := init["configSets"].(map[string]any)
	if !hasSets {
		for _, s := range configSets {
			if s != "default" {
				return nil, fmt.Errorf("%s: config_sets names %q, but the metadata has no configSets: cfn-init knows only the set \"default\" then (which runs the config named \"config\") and fails with \"no ConfigSet named %s exists\"", where, s, s)
			}
		}
		if _, ok := init["config"]; !ok {
			return nil, nil // cfn-init runs an empty config
		}
		return []string{"config"}, nil
	}
	if len(configSets) == 0 {
		configSets = []string{"default"}
	}
	var out []string
	seen := map[string]bool{}
	var expand func(set string, path []string) error
	expand = func(set string, path []string) error {
		for _, p := range path {
			if p == set {
				return fmt.Errorf("%s: configSets refer to each other in a loop: %s -> %s", where, strings.Join(path, " -> "), set)
			}
		}
		items, ok := sets[set].([]any)
		if !ok {
			s, isStr := sets[set].(string)
			switch _, present := sets[set]; {
			case isStr:
				items = []any{s}
			case present:
				return fmt.Errorf("%s: %s", where, describeNot("configSets."+set, sets[set], "a list of configs"))
			default:
				return fmt.Errorf("%s: no configSet %q (configSets: %s); set config_sets to what the instance passes to cfn-init --configsets", where, set, strings.Join(slices.Sorted(maps.Keys(sets)), " "))
			}
		}
		for i, it := range items {
			if _, isFn := intrinsicName(it); isFn {
				return fmt.Errorf("%s: %s", where, unresolved(fmt.Sprintf("configSets.%s item %d", set, i+1), it))
			}
			switch v := it.(type) {
			case string:
				if !seen[v] {
					seen[v] = true
					out = append(out, v)
				}
			case map[string]any:
				ref, ok := v["ConfigSet"].(string)
				if !ok {
					if _, isFn := intrinsicName(v["ConfigSet"]); isFn {
						return fmt.Errorf("%s: %s", where, unresolved(fmt.Sprintf("configSets.%s item %d's ConfigSet", set, i+1), v["ConfigSet"]))
					}
					return fmt.Errorf("%s: configSets.%s item %d: want a config name or {ConfigSet: NAME}", where, set, i+1)
				}
				if err := expand(ref, append(path, set)); err != nil {
					return err
				}
			default:
				return fmt.Errorf("%s: configSets.%s item %d: want a config name or {ConfigSet: NAME}", where, set, i+1)
			}
		}
		return nil
	}
	for _, s := range configSets {
		if err := expand(s, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unresolved says which function is left where cfn-init needs a value,
// and the ways out: a parameter's value, or the metadata of the stack.
func unresolved(what string, v any) string {
	u, ok := v.(Unresolved)
	if !ok {
		fn, _ := intrinsicName(v)
		u = Unresolved{Value: v, Fn: fn, Why: "it is not a value cfn-init can use here"}
	}
	msg := fmt.Sprintf("%s is %s: ", what, brief(u.Value))
	if u.Refused {
		in := ""
		if u.In != "" && u.In != u.Fn {
			in = " (inside " + u.In + ")"
		}
		return msg + fmt.Sprintf("%s%s is not valid: %s; CloudFormation refuses the template, fix it", u.Fn, in, u.Why)
	}
	msg += u.reason()
	if u.Param != "" {
		return msg + fmt.Sprintf("; set parameters = { %s = \"...\" } in the cfn_init block, or read the metadata CloudFormation resolved with stack_name", hclKey(u.Param))
	}
	return msg + "; read the metadata CloudFormation resolved with stack_name"
}

// hclKey is a map key as HCL takes it: quoted unless an identifier.
func hclKey(k string) string {
	for i, r := range k {
		letter := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || r != '-' && (r < '0' || r > '9')) {
			return strconv.Quote(k)
		}
	}
	return k
}
