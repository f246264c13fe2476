package cfn

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// In a stack, CloudFormation resolves the intrinsic functions of a
// resource's Metadata before cfn-init reads it (DescribeStackResource
// returns the resolved metadata; cfn-init's construction.py evaluates
// none). A template file read at build time still holds them, so the
// resolver decides what the template itself decides: Fn::If on a condition
// made of Fn::Equals, Fn::And, Fn::Or, Fn::Not and Condition references over
// parameters whose value is known (given in the cfn_init block's
// `parameters`, or the parameter's Default), Ref of such a parameter, and
// Ref AWS::NoValue, which removes the item or key it stands for (the
// "Conditions" and "Condition functions" chapters of the CloudFormation
// user guide). Where a condition cannot be decided (a pseudo parameter such
// as AWS::Region, a parameter without a Default, a function that needs the
// stack), both branches are taken and the place is noted.

// tri is a condition's value at build time.
type tri int

const (
	unknown tri = iota
	yes
	no
)

// resolver holds one template's parameters and conditions.
type resolver struct {
	params map[string]string
	conds  map[string]any
	memo   map[string]tri
	why    map[string]string // condition -> what it depends on, when unknown
	notes  []undecided
}

// undecided is a Fn::If the resolver could not decide, at a path under
// the Init metadata ("configSets.default", "web.services.sysvinit.nginx").
type undecided struct {
	path, cond, why string
}

// newResolver reads Parameters (Default values, overridden by params) and
// Conditions. A nil template gives a resolver that knows only params.
func newResolver(tmpl map[string]any, params map[string]string) *resolver {
	r := &resolver{params: map[string]string{}, memo: map[string]tri{}, why: map[string]string{}}
	decl, _ := tmpl["Parameters"].(map[string]any)
	for name, p := range decl {
		pm, _ := p.(map[string]any)
		if d, ok := scalarString(pm["Default"]); ok {
			r.params[name] = d
		}
	}
	for k, v := range params {
		r.params[k] = v
	}
	r.conds, _ = tmpl["Conditions"].(map[string]any)
	return r
}

// scalarString is a literal as CloudFormation compares it: a string, or
// a number or boolean written without quotes.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// condition decides a named condition, guarding against conditions that
// refer to each other in a loop (CloudFormation refuses those templates).
func (r *resolver) condition(name string, depth int) (tri, string) {
	if v, ok := r.memo[name]; ok {
		return v, r.why[name]
	}
	def, ok := r.conds[name]
	if !ok {
		return unknown, fmt.Sprintf("no condition %q in the template's Conditions", name)
	}
	if depth > maxDepth {
		return unknown, "conditions refer to each other in a loop"
	}
	v, why := r.eval(def, depth+1)
	r.memo[name], r.why[name] = v, why
	return v, why
}

// eval decides a condition function.
func (r *resolver) eval(v any, depth int) (tri, string) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return unknown, fmt.Sprintf("%s is not a condition function", brief(v))
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			name, _ := arg.(string)
			return r.condition(name, depth)
		case "Fn::Equals":
			if len(args) != 2 {
				return unknown, "Fn::Equals takes two values"
			}
			a, whyA := r.value(args[0])
			b, whyB := r.value(args[1])
			switch {
			case whyA != "":
				return unknown, whyA
			case whyB != "":
				return unknown, whyB
			case a == b:
				return yes, ""
			}
			return no, ""
		case "Fn::Not":
			if len(args) != 1 {
				return unknown, "Fn::Not takes one condition"
			}
			c, why := r.eval(args[0], depth+1)
			return map[tri]tri{yes: no, no: yes, unknown: unknown}[c], why
		case "Fn::And", "Fn::Or":
			return r.junction(fn == "Fn::And", args, depth)
		}
		return unknown, fn + " is not a condition function"
	}
	return unknown, ""
}

// junction is Fn::And / Fn::Or in three-valued logic: one false decides
// an And, one true an Or, whatever the others are.
func (r *resolver) junction(and bool, args []any, depth int) (tri, string) {
	decisive, other := yes, no
	if and {
		decisive, other = no, yes
	}
	result, why := other, ""
	for _, a := range args {
		c, w := r.eval(a, depth+1)
		switch c {
		case decisive:
			return decisive, ""
		case unknown:
			result, why = unknown, w
		}
	}
	return result, why
}

// value is a string operand of Fn::Equals, or why it is not known.
func (r *resolver) value(v any) (string, string) {
	if s, ok := scalarString(v); ok {
		return s, ""
	}
	if ref, ok := refName(v); ok {
		if s, known := r.params[ref]; known {
			return s, ""
		}
		if strings.HasPrefix(ref, "AWS::") {
			return "", fmt.Sprintf("it depends on the pseudo parameter %s", ref)
		}
		return "", fmt.Sprintf("it depends on the parameter %s, which has no Default", ref)
	}
	return "", fmt.Sprintf("it depends on %s, which only the stack can evaluate", brief(v))
}

// refName is the target of {"Ref": NAME}.
func refName(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	s, ok := m["Ref"].(string)
	return s, ok
}

// noValue is what Ref AWS::NoValue resolves to: the item disappears.
type noValue struct{}

// resolve evaluates the intrinsic functions of a metadata value that the
// template decides; the rest is left as written.
func (r *resolver) resolve(v any, path string, depth int) any {
	if depth > maxDepth {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := refName(x); ok {
			if ref == "AWS::NoValue" {
				return noValue{}
			}
			if s, known := r.params[ref]; known {
				return s
			}
			return x
		}
		if args, ok := x["Fn::If"].([]any); ok && len(x) == 1 && len(args) == 3 {
			return r.resolveIf(args, path, depth)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			switch y := r.resolve(e, join(path, k), depth+1).(type) {
			case noValue:
			case union:
				out[k] = y.flatten()
			default:
				out[k] = y
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for i, e := range x {
			e = r.resolve(e, fmt.Sprintf("%s[%d]", path, i), depth+1)
			switch y := e.(type) {
			case noValue:
			case union:
				out = append(out, y.items...)
			default:
				out = append(out, e)
			}
		}
		return out
	}
	return v
}

// union is an undecided Fn::If standing as a list item: both branches,
// spliced into the list.
type union struct{ items []any }

// flatten is a union standing as a map value: a configSet written as a
// list in one branch and a string in the other runs the configs of both.
func (u union) flatten() []any {
	var out []any
	for _, e := range u.items {
		if l, ok := e.([]any); ok {
			out = append(out, l...)
		} else {
			out = append(out, e)
		}
	}
	return out
}

func (r *resolver) resolveIf(args []any, path string, depth int) any {
	name, _ := args[0].(string)
	c, why := r.condition(name, 0)
	switch c {
	case yes:
		return r.resolve(args[1], path, depth+1)
	case no:
		return r.resolve(args[2], path, depth+1)
	}
	r.notes = append(r.notes, undecided{path, name, why})
	a, b := r.resolve(args[1], path, depth+1), r.resolve(args[2], path, depth+1)
	if m := merge(a, b); m != nil {
		return m
	}
	var items []any
	for _, e := range []any{a, b} {
		if e != (noValue{}) {
			items = append(items, e)
		}
	}
	return union{items}
}

// merge is both branches of an undecided Fn::If where they can be one
// value: maps key by key, lists item by item, a branch that is absent
// (AWS::NoValue) gives the other. It is nil where the branches differ in
// kind or value.
func merge(a, b any) any {
	if a == (noValue{}) {
		return b
	}
	if b == (noValue{}) {
		return a
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return nil
		}
		out := map[string]any{}
		for k, v := range x {
			out[k] = v
		}
		for k, v := range y {
			if old, both := out[k]; both {
				if v = merge(old, v); v == nil {
					v = Undecided{}
				}
			}
			out[k] = v
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok {
			return nil
		}
		return append(append([]any{}, x...), y...)
	}
	if sa, ok := scalarString(a); ok {
		if sb, ok := scalarString(b); ok && sa == sb {
			return a
		}
	}
	return Undecided{}
}

// Undecided stands for a value the two branches of an undecided Fn::If
// give differently (enabled "true" in one, "false" in the other).
type Undecided struct{}

// notesFor are the undecided places that bear on a path: those above it,
// below it, and every one in configSets (they decide which configs run).
func (r *resolver) notesFor(path string) []string {
	var out []string
	for _, n := range r.notes {
		if n.path == "configSets" || strings.HasPrefix(n.path, "configSets.") || strings.HasPrefix(n.path, "configSets[") ||
			n.path == path || strings.HasPrefix(path, n.path+".") || strings.HasPrefix(n.path, path+".") {
			out = append(out, fmt.Sprintf("Fn::If %s at %s is undecided at build time (%s), so both branches are taken",
				n.cond, n.path, n.why))
		}
	}
	sort.Strings(out)
	return dedupe(out)
}

func dedupe(l []string) []string {
	var out []string
	for i, s := range l {
		if i == 0 || l[i-1] != s {
			out = append(out, s)
		}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// brief shows a value in a message, cut short.
func brief(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

// intrinsicName names the intrinsic function a value is, if it is one.
func intrinsicName(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	for k := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, true
		}
	}
	return "", false
}

// unresolved is the way out when an intrinsic stands where cfn-init needs
// a value.
func unresolved(what string, v any) string {
	fn, _ := intrinsicName(v)
	msg := fmt.Sprintf("%s is %s, an intrinsic function (%s) that initcompat cannot resolve from the template", what, brief(v), fn)
	if ref, ok := refName(v); ok && !strings.HasPrefix(ref, "AWS::") {
		msg += fmt.Sprintf(": set parameters = { %s = \"...\" } in the cfn_init block,", ref)
	} else {
		msg += ":"
	}
	return msg + " or read the metadata CloudFormation resolved with stack_name"
}
