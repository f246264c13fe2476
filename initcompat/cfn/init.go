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
	Resource      string `json:"resource"`
	Config        string `json:"config"`
	Enabled       *bool  `json:"enabled,omitempty"`
	EnsureRunning *bool  `json:"ensure_running,omitempty"`
	// When says what the template leaves undecided about this service
	// (an Fn::If initcompat could not decide, both branches taken).
	When []string `json:"when,omitempty"`
}

// Where names the place in the template, for messages.
func (s Service) Where() string {
	return fmt.Sprintf("%s resource %s config %s services.%s.%s", s.Source, s.Resource, s.Config, s.Key, s.Name)
}

// FromTemplate returns the services of every resource with cfn-init
// metadata, or of the one named. params are the stack's parameter values
// the user knows (they override the template's Defaults); they decide the
// template's conditions (see resolver).
func FromTemplate(source string, tmpl map[string]any, resource string, configSets []string, params map[string]string) ([]Service, error) {
	resources, _ := tmpl["Resources"].(map[string]any)
	names, err := InitResources(source, tmpl, resource)
	if err != nil {
		return nil, err
	}
	var out []Service
	for _, n := range names {
		r, _ := resources[n].(map[string]any)
		res := newResolver(tmpl, params)
		var when []string
		if cond, ok := r["Condition"].(string); ok {
			// A resource whose condition is false is never created, so no
			// instance runs cfn-init on its metadata.
			switch c, why := res.condition(cond, 0); c {
			case no:
				if resource != "" {
					return nil, fmt.Errorf("%s: resource %s has Condition %s, which is false with these parameters: the stack does not create it", source, n, cond)
				}
				continue
			case unknown:
				when = append(when, fmt.Sprintf("the resource's Condition %s is undecided at build time (%s), so it is taken as created", cond, why))
			}
		}
		md, _ := r["Metadata"].(map[string]any)
		s, err := fromMetadata(res, source, n, md, configSets)
		if err != nil {
			return nil, err
		}
		for i := range s {
			s[i].When = append(append([]string{}, when...), s[i].When...)
		}
		out = append(out, s...)
	}
	return out, nil
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
func FromMetadata(source, resource string, md map[string]any, configSets []string) ([]Service, error) {
	return fromMetadata(newResolver(nil, nil), source, resource, md, configSets)
}

func fromMetadata(res *resolver, source, resource string, md map[string]any, configSets []string) ([]Service, error) {
	where := fmt.Sprintf("%s: resource %s: %s", source, resource, InitKey)
	raw, ok := md[InitKey].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: missing or not a mapping", where)
	}
	init, _ := res.resolve(raw, "", 0).(map[string]any)
	configs, err := selectConfigs(where, init, configSets)
	if err != nil {
		return nil, err
	}
	var out []Service
	for _, c := range configs {
		cfg, ok := init[c].(map[string]any)
		switch {
		case !ok && init[c] != nil:
			return nil, fmt.Errorf("%s: %s", where, describeNot("config "+strconv.Quote(c), init[c], "a mapping"))
		case !ok:
			return nil, fmt.Errorf("%s: config %q is not in the metadata", where, c)
		}
		svcs, err := configServices(res, where, source, resource, c, cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, svcs...)
	}
	return out, nil
}

// configServices reads one config's services key.
func configServices(res *resolver, where, source, resource, c string, cfg map[string]any) ([]Service, error) {
	svcs, ok := cfg["services"].(map[string]any)
	if !ok && cfg["services"] != nil {
		return nil, fmt.Errorf("%s: config %s: %s", where, c, describeNot("services", cfg["services"], "a mapping"))
	}
	var out []Service
	for _, key := range slices.Sorted(maps.Keys(svcs)) {
		if key != "sysvinit" && key != "systemd" {
			continue // windows
		}
		entries, ok := svcs[key].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: config %s: %s", where, c, describeNot("services."+key, svcs[key], "a mapping"))
		}
		for _, name := range slices.Sorted(maps.Keys(entries)) {
			opts, _ := entries[name].(map[string]any)
			if _, isFn := intrinsicName(entries[name]); isFn {
				return nil, fmt.Errorf("%s: config %s: %s", where, c, unresolved("services."+key+"."+name, entries[name]))
			}
			s := Service{Name: name, Key: key, Source: source, Resource: resource, Config: c,
				When: res.notesFor(c + ".services." + key + "." + name)}
			var err error
			if s.Enabled, err = boolOpt(opts, "enabled"); err == nil {
				s.EnsureRunning, err = boolOpt(opts, "ensureRunning")
			}
			if err != nil {
				return nil, fmt.Errorf("%s: config %s: services.%s.%s: %w", where, c, key, name, err)
			}
			out = append(out, s)
		}
	}
	return out, nil
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
			switch v := it.(type) {
			case string:
				if !seen[v] {
					seen[v] = true
					out = append(out, v)
				}
			case map[string]any:
				ref, ok := v["ConfigSet"].(string)
				if _, isFn := intrinsicName(v); isFn {
					return fmt.Errorf("%s: %s", where, unresolved(fmt.Sprintf("configSets.%s item %d", set, i+1), v))
				}
				if !ok {
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

// boolOpt reads cfn-init's "true"/"false" (string or boolean).
func boolOpt(opts map[string]any, key string) (*bool, error) {
	v, ok := opts[key]
	if !ok || v == nil {
		return nil, nil
	}
	var b bool
	switch x := v.(type) {
	case Undecided:
		return nil, nil // both values are possible: the service's When says why
	case bool:
		b = x
	case string:
		switch strings.ToLower(x) {
		case "true":
			b = true
		case "false":
			b = false
		default:
			return nil, fmt.Errorf("%s: %q is neither true nor false", key, x)
		}
	default:
		if _, isFn := intrinsicName(v); isFn {
			return nil, fmt.Errorf("%s", unresolved(key, v))
		}
		return nil, fmt.Errorf("%s: want true or false, not %v", key, v)
	}
	return &b, nil
}
