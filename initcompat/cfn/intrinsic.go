package cfn

import (
	"fmt"
	"strconv"
	"strings"
)

// In a stack, CloudFormation resolves the intrinsic functions of a
// resource's Metadata before cfn-init reads it (DescribeStackResource
// returns the resolved metadata; cfn-init's construction.py evaluates
// none). A template file read at build time still holds them, so the
// resolver decides what the template itself decides:
//   - conditions made of Fn::Equals, Fn::And, Fn::Or, Fn::Not and Condition
//     references, and Fn::If on them;
//   - Ref of a parameter whose value is known (given in the cfn_init
//     block's `parameters`, or the parameter's Default), and Ref
//     AWS::NoValue, which removes the item or key it stands for;
//   - Fn::Join, Fn::Select, Fn::Split, Fn::Sub and Fn::FindInMap over such
//     values (functions.go).
//
// The rules are the "Conditions", "Condition functions", "Parameters" and
// intrinsic function chapters of the CloudFormation user guide
// (awsdocs/aws-cloudformation-user-guide doc_source/
// intrinsic-function-reference-conditions.md @bbededb8e19a4e893729ef6b1b5984d74fbb91c4,
// parameters-section-structure.md @056fba8462260b407b2400503ebdb63a04cefbdf).
// Where a condition cannot be decided (a pseudo parameter such as
// AWS::Region, a parameter without a Default, a function that needs the
// stack), both branches are taken and the place is noted; a function whose
// value cannot be known is left as an Unresolved naming what it waits for.

// tri is a condition's value at build time.
type tri int

const (
	unknown tri = iota
	yes
	no
)

// param is a parameter's value: a string, or a list for the list types.
type param struct {
	s       string
	list    []string
	ok      bool   // the value is known
	why     string // why it is not
	depends string // the same, as a condition over it says it
}

// resolver holds one template's parameters, conditions and mappings, and
// what it could not decide in the metadata it resolves.
type resolver struct {
	t         *Template
	params    map[string]param
	resources map[string]any
	conds     map[string]any
	mappings  map[string]any
	memo      map[string]tri
	why       map[string]string // condition -> what it depends on, when unknown
	notes     []undecided
	path      []string // where resolve is, under the Init metadata
	budget    int      // bytes the string functions may still make
}

// undecided is a Fn::If the resolver could not decide, at a place under
// the Init metadata ("configSets", "default", "[3]").
type undecided struct {
	path      []string
	line      int
	cond, why string
	text      string
}

// maxResolved bounds the bytes Fn::Join and Fn::Sub make in all: a
// parameter (4,096 bytes at most in a stack) joined to itself a hundred
// thousand times would be 400 MB of metadata no stack can hold.
const maxResolved = 8 << 20

// newResolver reads Parameters (Default values, overridden by params),
// Conditions, Mappings and the resources' logical IDs. A nil template gives
// a resolver that knows only params.
func newResolver(t *Template, params map[string]string) *resolver {
	var body map[string]any
	if t != nil {
		body = t.Body
	}
	r := &resolver{t: t, params: map[string]param{}, memo: map[string]tri{}, why: map[string]string{}, budget: maxResolved}
	decl, _ := body["Parameters"].(map[string]any)
	for name, p := range decl {
		pm, _ := p.(map[string]any)
		typ, _ := pm["Type"].(string)
		d, hasDefault := scalarString(pm["Default"])
		_, given := params[name]
		switch {
		case given:
			r.params[name] = newParam(typ, params[name])
		case strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<"):
			// The Default names a Parameter Store key; the stack reads its value.
			r.params[name] = param{why: fmt.Sprintf("the parameter %s is read from Parameter Store when the stack is made", name),
				depends: fmt.Sprintf("it depends on the parameter %s, which the stack reads from Parameter Store", name)}
		case hasDefault:
			r.params[name] = newParam(typ, d)
		default:
			r.params[name] = param{why: fmt.Sprintf("the parameter %s has no Default", name),
				depends: fmt.Sprintf("it depends on the parameter %s, which has no Default", name)}
		}
	}
	for k, v := range params {
		if _, declared := r.params[k]; !declared {
			r.params[k] = newParam("String", v) // pseudo parameters: AWS::Region = "eu-west-1"
		}
	}
	r.conds, _ = body["Conditions"].(map[string]any)
	r.mappings, _ = body["Mappings"].(map[string]any)
	r.resources, _ = body["Resources"].(map[string]any)
	return r
}

// newParam is a value as Ref gives it: CommaDelimitedList and the List<>
// types are lists, each member space trimmed (parameters-section-structure.md).
func newParam(typ, v string) param {
	if typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
		parts := strings.Split(v, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return param{list: parts, ok: true}
	}
	return param{s: v, ok: true}
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
			a, whyA := r.value(args[0], depth)
			b, whyB := r.value(args[1], depth)
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
func (r *resolver) value(v any, depth int) (string, string) {
	if s, ok := scalarString(v); ok {
		return s, ""
	}
	if depth > maxDepth {
		return "", "nested deeper than " + strconv.Itoa(maxDepth) + " levels"
	}
	saved := r.path
	r.path = nil
	x := r.resolve(v, 0, depth+1)
	r.path = saved
	switch y := x.(type) {
	case Unresolved:
		if y.depends != "" {
			return "", y.depends // "it depends on the parameter Env, which has no Default"
		}
		return "", "it depends on " + y.reason()
	case string:
		return y, ""
	}
	return "", fmt.Sprintf("it depends on %s, which is not a string", brief(v))
}

// noValue is what Ref AWS::NoValue resolves to: the item disappears.
type noValue struct{}

// resolve evaluates the intrinsic functions of a metadata value that the
// template decides; the rest is left as Unresolved. line is the line of
// the nearest key above v.
func (r *resolver) resolve(v any, line, depth int) any {
	if depth > maxDepth {
		return Unresolved{Value: v, Fn: "", Why: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	switch x := v.(type) {
	case map[string]any:
		if fn, isFn := intrinsicName(x); isFn {
			if fn == "Fn::If" {
				if args, ok := x[fn].([]any); ok && len(args) == 3 {
					return r.resolveIf(args, line, depth)
				}
			}
			return r.function(fn, x, line, depth)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			kl := r.t.line(x, k)
			if kl == 0 {
				kl = line
			}
			r.path = append(r.path, k)
			y := r.resolve(e, kl, depth+1)
			r.path = r.path[:len(r.path)-1]
			switch y := y.(type) {
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
			r.path = append(r.path, "["+strconv.Itoa(i)+"]")
			y := r.resolve(e, line, depth+1)
			r.path = r.path[:len(r.path)-1]
			switch y := y.(type) {
			case noValue:
			case union:
				out = append(out, y.items...)
			default:
				out = append(out, y)
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

func (r *resolver) resolveIf(args []any, line, depth int) any {
	name, _ := args[0].(string)
	c, why := r.condition(name, 0)
	switch c {
	case yes:
		return r.resolve(args[1], line, depth+1)
	case no:
		return r.resolve(args[2], line, depth+1)
	}
	r.notes = append(r.notes, undecided{path: append([]string(nil), r.path...), line: line, cond: name, why: why})
	a, b := r.resolve(args[1], line, depth+1), r.resolve(args[2], line, depth+1)
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
		out := make(map[string]any, len(x)+len(y))
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

// showPath writes a place under the Init metadata as the messages say it:
// "configSets.default[3]".
func showPath(p []string) string {
	var b strings.Builder
	for i, c := range p {
		if i > 0 && !strings.HasPrefix(c, "[") {
			b.WriteByte('.')
		}
		b.WriteString(c)
	}
	return b.String()
}

// noteText is what an undecided Fn::If says, once.
func (r *resolver) noteText(n *undecided) string {
	if n.text == "" {
		n.text = fmt.Sprintf("Fn::If %s at %s is undecided at build time (%s), so both branches are taken", n.cond, showPath(n.path), n.why)
	}
	return n.text
}

// brief shows a value in a message, cut short.
func brief(v any) string {
	if u, ok := v.(Unresolved); ok {
		v = u.Value
	}
	b, err := jsonMarshal(v)
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
	if u, ok := v.(Unresolved); ok {
		return u.Fn, true
	}
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
