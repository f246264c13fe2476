package cfn

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// What cfn-init 1.4 does with a config's services key, read in
// aws-cfn-bootstrap 1.4 (mesosphere-backup/aws-cfn-bootstrap @8f0c1b67ca8800a7554aef80fc19995e43166512,
// PKG-INFO "Version: 1.4"):
//
//   - CloudFormationCarpenter.build (cfnbootstrap/construction.py) hands
//     each key of services to its tool, sysvinit and windows, and logs
//     "Unsupported service manager: KEY" for any other key and carries on
//     (cfn-init 2.x adds systemd, which initcompat reads as well);
//   - SysVInitTool.apply (cfnbootstrap/service_tools.py) takes every key
//     under sysvinit for a service name and its value for the service's
//     options. It asks `"enabled" in options`, `"ensureRunning" in options`
//     and (ServiceTool._detect_required_restart) `"files" in options` and
//     the like: on a string that is a substring test, on a list a
//     membership test, so an option written where a service name goes
//     ({enabled: "true"}) is a service named "enabled" with no options,
//     logged "Not modifying enabled state of service enabled" and left
//     alone; where the test succeeds, options[KEY] on a string raises
//     TypeError, and on a boolean, number or null the first test does.
//   - util.interpret_boolean reads enabled and ensureRunning: true, 1 and
//     the strings true, yes, y, 1 (lowercased, trimmed) are true; any other
//     value is false.

// restartKeys are the options _detect_required_restart tests, each against
// the config's section of that name (changes holds a key for a section the
// config has); "packages" is always in changes.
var restartKeys = []string{"files", "sources", "groups", "users", "commands"}

// packageTools are the package managers whose changes cfn-init 1.4 records
// (CloudFormationCarpenter._packageTools).
var packageTools = []string{"yum", "rubygems", "python", "rpm", "apt", "msi"}

// configServices reads one config's services key.
func (rd *reader) configServices(c string, cfg map[string]any) ([]Service, []Note, error) {
	svcs, ok := cfg["services"].(map[string]any)
	if !ok && cfg["services"] != nil {
		return nil, nil, fmt.Errorf("%s: config %s: %s", rd.where, c, describeNot("services", cfg["services"], "a mapping"))
	}
	var out []Service
	var notes []Note
	note := func(line int, path, service, msg string) {
		notes = append(notes, Note{Source: rd.source, Line: line, Resource: rd.resource, Config: c, Path: path, Service: service, Message: msg})
	}
	for _, key := range slices.Sorted(maps.Keys(svcs)) {
		switch key {
		case "windows":
			continue // cfn-init's Windows services: nothing on these images
		case "sysvinit", "systemd":
		default:
			msg := fmt.Sprintf("services.%s: cfn-init logs \"Unsupported service manager: %s\" and skips it: it manages services under sysvinit (and, from 2.x, systemd)", key, key)
			if opts, ok := svcs[key].(map[string]any); ok && (hasOption(opts, "enabled") || hasOption(opts, "ensureRunning")) {
				msg += fmt.Sprintf("; to manage the service %s, write it under sysvinit", key)
			}
			note(rd.lineOf(c, "services", key), "services."+key, key, msg)
			continue
		}
		entries, ok := svcs[key].(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("%s: config %s: %s", rd.where, c, describeNot("services."+key, svcs[key], "a mapping"))
		}
		for _, name := range slices.Sorted(maps.Keys(entries)) {
			path := "services." + key + "." + name
			line := rd.lineOf(c, "services", key, name)
			v := entries[name]
			if _, isFn := intrinsicName(v); isFn {
				return nil, nil, fmt.Errorf("%s: config %s: %s", rd.where, c, unresolved(path, v))
			}
			opts, isMap := v.(map[string]any)
			if !isMap && v != (Undecided{}) {
				note(line, path, name, path+" "+notOptions(key, name, v, cfg))
				continue
			}
			s := Service{Name: name, Key: key, Source: rd.source, Line: line, Resource: rd.resource, Config: c,
				When: rd.notes.forService(c, key, name)}
			for _, opt := range []string{"enabled", "ensureRunning"} {
				b, msg, err := boolOpt(opts, opt)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: config %s: %s.%s: %w", rd.where, c, path, opt, err)
				}
				if msg != "" {
					note(rd.lineOf(c, "services", key, name, opt), path+"."+opt, name, path+"."+opt+" "+msg)
				}
				if opt == "enabled" {
					s.Enabled = b
				} else {
					s.EnsureRunning = b
				}
			}
			for _, k := range slices.Sorted(maps.Keys(opts)) {
				for _, want := range []string{"enabled", "ensureRunning"} {
					if k != want && strings.EqualFold(k, want) {
						note(rd.lineOf(c, "services", key, name, k), path+"."+k, name,
							fmt.Sprintf("%s.%s: cfn-init reads %s, not %s (the case matters), so it leaves %s's %s alone", path, k, want, k, name, map[string]string{"enabled": "enablement", "ensureRunning": "running state"}[want]))
					}
				}
			}
			out = append(out, s)
		}
	}
	return out, notes, nil
}

// hasOption is `key in options` for a mapping, whatever the case.
func hasOption(opts map[string]any, key string) bool {
	for k := range opts {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// notOptions says what cfn-init 1.4 does with NAME: VALUE under sysvinit
// when VALUE is not a mapping of options.
func notOptions(key, name string, v any, cfg map[string]any) string {
	shown := brief(v)
	fix := fmt.Sprintf("; options go under a service's name: %s: {NAME: {enabled: \"true\", ensureRunning: \"true\"}}", key)
	if key != "sysvinit" {
		return fmt.Sprintf("is %s, not a mapping of options: no service is managed there", shown) + fix
	}
	if why := typeError(v, cfg); why != "" {
		return fmt.Sprintf("is %s, not a mapping of options: cfn-init 1.4 takes %s for a service name and fails on its options (TypeError: %s), so this config's services after it may not be managed", shown, name, why) + fix
	}
	return fmt.Sprintf("is %s, not a mapping of options: cfn-init 1.4 takes %s for a service name, finds none of its options in %s and leaves it alone (\"Not modifying enabled state of service %s\")", shown, name, shown, name) + fix
}

// typeError is the TypeError SysVInitTool.apply raises on options that are
// not a mapping, "" when it raises none.
func typeError(v any, cfg map[string]any) string {
	var in func(k string) bool
	var what string
	switch x := v.(type) {
	case string:
		in, what = func(k string) bool { return strings.Contains(x, k) }, "string indices must be integers, not str"
	case []any:
		in = func(k string) bool {
			return slices.ContainsFunc(x, func(e any) bool { s, ok := e.(string); return ok && s == k })
		}
		what = "list indices must be integers, not str"
	case bool:
		return "argument of type 'bool' is not iterable"
	case nil:
		return "argument of type 'NoneType' is not iterable"
	case int64:
		return "argument of type 'int' is not iterable"
	case float64:
		return "argument of type 'float' is not iterable"
	default:
		return ""
	}
	for _, k := range restartKeys {
		if in(k) && truthy(cfg[k]) {
			return what
		}
	}
	if in("packages") {
		pkgs, _ := cfg["packages"].(map[string]any)
		for _, m := range packageTools {
			if _, ok := pkgs[m]; ok {
				return what
			}
		}
	}
	if in("enabled") || in("ensureRunning") {
		return what
	}
	return ""
}

// truthy is Python's truth of a JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case int64:
		return x != 0
	case float64:
		return x != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// boolOpt reads enabled or ensureRunning as util.interpret_boolean does,
// and says so when that reading is not the one the value suggests.
func boolOpt(opts map[string]any, key string) (*bool, string, error) {
	v, ok := opts[key]
	if !ok {
		return nil, "", nil
	}
	if _, isFn := intrinsicName(v); isFn {
		return nil, "", fmt.Errorf("%s", unresolved(key, v))
	}
	var b bool
	msg := ""
	switch x := v.(type) {
	case Undecided:
		return nil, "", nil // both values are possible: the service's When says why
	case nil:
		b = false
	case bool:
		b = x
	case string:
		s := strings.ToLower(strings.TrimSpace(x))
		switch s {
		case "true", "yes", "y", "1":
			b = true
		case "false", "no", "n", "0", "":
			b = false
		default:
			msg = fmt.Sprintf("is %q: cfn-init reads it as false (true, yes, y and 1 are true, any other value false)", x)
		}
	case int64:
		b = x == 1
	case float64:
		b = x == 1
	case []any, map[string]any:
		if truthy(x) {
			return nil, fmt.Sprintf("is %s: cfn-init 1.4 fails on it (TypeError: unhashable type)", brief(x)), nil
		}
		b = false
	default:
		return nil, "", fmt.Errorf("want true or false, not %s", brief(v))
	}
	if n, isNum := v.(int64); isNum && n != 0 && n != 1 {
		msg = "is " + strconv.FormatInt(n, 10) + ": cfn-init reads it as false (only 1 is true)"
	}
	return &b, msg, nil
}
