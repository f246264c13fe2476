package cfn

import (
	"fmt"
	"maps"
	"slices"
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
}

// Where names the place in the template, for messages.
func (s Service) Where() string {
	return fmt.Sprintf("%s resource %s config %s services.%s.%s", s.Source, s.Resource, s.Config, s.Key, s.Name)
}

// FromTemplate returns the services of every resource with cfn-init
// metadata, or of the one named.
func FromTemplate(source string, tmpl map[string]any, resource string, configSets []string) ([]Service, error) {
	resources, _ := tmpl["Resources"].(map[string]any)
	names, err := InitResources(source, tmpl, resource)
	if err != nil {
		return nil, err
	}
	var out []Service
	for _, n := range names {
		r, _ := resources[n].(map[string]any)
		md, _ := r["Metadata"].(map[string]any)
		s, err := FromMetadata(source, n, md, configSets)
		if err != nil {
			return nil, err
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

// FromMetadata returns the services in one resource's metadata.
func FromMetadata(source, resource string, md map[string]any, configSets []string) ([]Service, error) {
	where := fmt.Sprintf("%s: resource %s: %s", source, resource, InitKey)
	init, ok := md[InitKey].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: missing or not a mapping", where)
	}
	configs, err := selectConfigs(where, init, configSets)
	if err != nil {
		return nil, err
	}
	var out []Service
	for _, c := range configs {
		cfg, ok := init[c].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: config %q is not in the metadata", where, c)
		}
		svcs, _ := cfg["services"].(map[string]any)
		for _, key := range slices.Sorted(maps.Keys(svcs)) {
			if key != "sysvinit" && key != "systemd" {
				continue // windows
			}
			entries, ok := svcs[key].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: config %s: services.%s is not a mapping", where, c, key)
			}
			for _, name := range slices.Sorted(maps.Keys(entries)) {
				opts, _ := entries[name].(map[string]any)
				s := Service{Name: name, Key: key, Source: source, Resource: resource, Config: c}
				if s.Enabled, err = boolOpt(opts, "enabled"); err == nil {
					s.EnsureRunning, err = boolOpt(opts, "ensureRunning")
				}
				if err != nil {
					return nil, fmt.Errorf("%s: config %s: services.%s.%s: %w", where, c, key, name, err)
				}
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// selectConfigs resolves the config sets to the configs cfn-init runs, in
// order. It follows aws-cfn-bootstrap's Contractor (cfnbootstrap/
// construction.py): without a configSets key the metadata has one virtual
// set, "default", holding only the config named "config", so every other
// top-level config never runs; cfn-init's own default set name is
// "default", and a set it does not know is an error.
func selectConfigs(where string, init map[string]any, configSets []string) ([]string, error) {
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
			if s, isStr := sets[set].(string); isStr {
				items = []any{s}
			} else {
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
		return nil, fmt.Errorf("%s: want true or false, not %v (an intrinsic function cannot be read at build time)", key, v)
	}
	return &b, nil
}
