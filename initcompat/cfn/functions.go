package cfn

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Unresolved is an intrinsic function the template alone does not decide,
// left where it stands, with the function that waits and what for.
type Unresolved struct {
	Value any    // the function as written
	Fn    string // the innermost function that is left: "Ref", "Fn::GetAtt", ...
	Arg   string // its argument, briefly: "AWS::Region", "Web.PublicIp"
	Why   string // what it waits for
	In    string // the function it stands in, when it is not Value itself
	Param string // the parameter whose value would decide it, if one would
	// Refused: CloudFormation itself refuses the template there (an index
	// out of its list, a key not in the Mappings, a malformed call).
	Refused bool
	// depends is what a condition over it depends on, said so.
	depends string
}

// MarshalJSON shows the function as written.
func (u Unresolved) MarshalJSON() ([]byte, error) { return json.Marshal(u.Value) }

// reason says which function is left and why, in a sentence's middle.
func (u Unresolved) reason() string {
	s := u.Fn
	if u.Arg != "" {
		s += " " + u.Arg
	}
	if u.In != "" && u.In != u.Fn {
		s += " (inside " + u.In + ")"
	}
	return s + ", which the template alone does not decide: " + u.Why
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// wrap is u standing inside the function fn written as v.
func (u Unresolved) wrap(fn string, v any) Unresolved {
	if u.In == "" {
		u.In = fn
	}
	u.Value = v
	return u
}

// stackOnly says what the functions only a stack evaluates wait for.
var stackOnly = map[string]string{
	"Fn::GetAtt":      "a resource's attribute is known once the stack made it",
	"Fn::ImportValue": "another stack's export is known only to CloudFormation",
	"Fn::GetAZs":      "the account's Availability Zones are known only to CloudFormation",
}

// function evaluates one intrinsic function written as x ({fn: arg}).
func (r *resolver) function(fn string, x map[string]any, line, depth int) any {
	arg := x[fn]
	switch fn {
	case "Condition":
		return x // a condition reference, meaningful only where conditions are
	case "Ref":
		name, _ := arg.(string)
		return r.ref(name, x)
	case "Fn::If":
		return bad(fn, x, "Fn::If takes a condition name and two values")
	}
	if why, ok := stackOnly[fn]; ok {
		return Unresolved{Value: x, Fn: fn, Arg: briefArg(arg), Why: why}
	}
	args, _ := arg.([]any)
	before := len(r.notes)
	var res any
	switch fn {
	case "Fn::Join":
		res = r.join(x, args, line, depth)
	case "Fn::Select":
		res = r.selectFn(x, args, line, depth)
	case "Fn::Split":
		res = r.split(x, args, line, depth)
	case "Fn::Sub":
		res = r.sub(x, arg, line, depth)
	case "Fn::FindInMap":
		res = r.findInMap(x, args, line, depth)
	default:
		return Unresolved{Value: x, Fn: fn, Why: "initcompat does not evaluate " + fn}
	}
	if len(r.notes) > before {
		// An undecided Fn::If among the arguments: either branch may be
		// the value, and one function of both is neither.
		n := r.notes[before]
		r.notes = r.notes[:before]
		return Unresolved{Value: x, Fn: "Fn::If", Arg: n.cond, In: fn, Why: n.why}
	}
	return res
}

// briefArg shows a function's argument in a message.
func briefArg(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if l, ok := v.([]any); ok {
		var parts []string
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				return brief(v)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ".")
	}
	return brief(v)
}

// ref is Ref NAME.
func (r *resolver) ref(name string, x map[string]any) any {
	if name == "AWS::NoValue" {
		return noValue{}
	}
	if p, declared := r.params[name]; declared {
		switch {
		case !p.ok:
			return Unresolved{Value: x, Fn: "Ref", Arg: name, Why: p.why, Param: name, depends: p.depends}
		case p.list != nil:
			l := make([]any, len(p.list))
			for i, s := range p.list {
				l[i] = s
			}
			return l
		}
		return p.s
	}
	if strings.HasPrefix(name, "AWS::") {
		return Unresolved{Value: x, Fn: "Ref", Arg: name, Why: "the pseudo parameter " + name + " is known only to the stack", Param: name,
			depends: "it depends on the pseudo parameter " + name}
	}
	if _, ok := r.resources[name]; ok {
		return Unresolved{Value: x, Fn: "Ref", Arg: name, Why: "a resource's physical ID is known once the stack made it"}
	}
	return Unresolved{Value: x, Fn: "Ref", Arg: name, Why: name + " is neither a parameter nor a resource of the template"}
}

// strArg resolves an argument that must be a string.
func (r *resolver) strArg(v any, line, depth int) (string, *Unresolved) {
	switch y := r.resolve(v, line, depth+1).(type) {
	case string:
		return y, nil
	case Unresolved:
		return "", &y
	case int64, float64, bool:
		s, _ := scalarString(y)
		return s, nil
	default:
		return "", &Unresolved{Why: fmt.Sprintf("%s is not a string", brief(v))}
	}
}

// listArg resolves an argument that must be a list.
func (r *resolver) listArg(v any, line, depth int) ([]any, *Unresolved) {
	switch y := r.resolve(v, line, depth+1).(type) {
	case []any:
		for _, e := range y {
			if u, ok := e.(Unresolved); ok {
				return nil, &u
			}
		}
		return y, nil
	case Unresolved:
		return nil, &y
	default:
		return nil, &Unresolved{Why: fmt.Sprintf("%s is not a list", brief(v))}
	}
}

// bad is a function CloudFormation itself would refuse: named, not guessed.
func bad(fn string, x any, why string) Unresolved {
	return Unresolved{Value: x, Fn: fn, Why: why, Refused: true}
}

// left is a function with an argument that is left.
func left(fn string, x any, u *Unresolved) Unresolved {
	if u.Fn == "" {
		return bad(fn, x, u.Why)
	}
	return u.wrap(fn, x)
}

// spend takes n bytes from the budget of the string functions.
func (r *resolver) spend(fn string, x any, n int) *Unresolved {
	if r.budget -= n; r.budget < 0 {
		return &Unresolved{Value: x, Fn: fn, Why: fmt.Sprintf("the metadata's functions make more than %d bytes", maxResolved)}
	}
	return nil
}

// join is Fn::Join [DELIMITER, [VALUES]] (intrinsic-function-reference-join.md
// @c3b451ad69cbb51529d2d626db29fe40a32c0c93).
func (r *resolver) join(x any, args []any, line, depth int) any {
	if len(args) != 2 {
		return bad("Fn::Join", x, "Fn::Join takes a delimiter and a list")
	}
	delim, ok := args[0].(string)
	if !ok {
		return bad("Fn::Join", x, "the delimiter of Fn::Join is a literal string")
	}
	items, u := r.listArg(args[1], line, depth)
	if u != nil {
		return left("Fn::Join", x, u)
	}
	parts := make([]string, len(items))
	n := 0
	for i, e := range items {
		s, ok := scalarString(e)
		if !ok {
			return bad("Fn::Join", x, fmt.Sprintf("its item %d is %s, not a string", i+1, brief(e)))
		}
		parts[i] = s
		n += len(s) + len(delim)
	}
	if u := r.spend("Fn::Join", x, n); u != nil {
		return *u
	}
	return strings.Join(parts, delim)
}

// selectFn is Fn::Select [INDEX, LIST] (intrinsic-function-reference-select.md
// @0466f3a799094ae0028e7dece65a19e233f34729): an index out of the list is
// a stack error.
func (r *resolver) selectFn(x any, args []any, line, depth int) any {
	if len(args) != 2 {
		return bad("Fn::Select", x, "Fn::Select takes an index and a list")
	}
	is, u := r.strArg(args[0], line, depth)
	if u != nil {
		return left("Fn::Select", x, u)
	}
	items, u := r.listArg(args[1], line, depth)
	if u != nil {
		return left("Fn::Select", x, u)
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= len(items) {
		return bad("Fn::Select", x, fmt.Sprintf("index %q is not in the list of %d", is, len(items)))
	}
	return items[i]
}

// split is Fn::Split [DELIMITER, STRING] (intrinsic-function-reference-split.md
// @bbededb8e19a4e893729ef6b1b5984d74fbb91c4).
func (r *resolver) split(x any, args []any, line, depth int) any {
	if len(args) != 2 {
		return bad("Fn::Split", x, "Fn::Split takes a delimiter and a string")
	}
	delim, ok := args[0].(string)
	if !ok || delim == "" {
		return bad("Fn::Split", x, "the delimiter of Fn::Split is a literal, non-empty string")
	}
	s, u := r.strArg(args[1], line, depth)
	if u != nil {
		return left("Fn::Split", x, u)
	}
	parts := strings.Split(s, delim)
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

// sub is Fn::Sub STRING or [STRING, {VAR: VALUE}]
// (intrinsic-function-reference-sub.md @00e7f68b303cd5467f7c1f8847846d73fc83087c):
// ${NAME} is a variable of the map, else Ref NAME; ${RES.ATTR} is
// Fn::GetAtt; ${!TEXT} is ${TEXT} as written.
func (r *resolver) sub(x any, arg any, line, depth int) any {
	var tmpl string
	var vars map[string]any
	switch a := arg.(type) {
	case string:
		tmpl = a
	case []any:
		if len(a) != 2 {
			return bad("Fn::Sub", x, "Fn::Sub takes a string and a map of variables")
		}
		s, ok := a[0].(string)
		m, isMap := a[1].(map[string]any)
		if !ok || !isMap {
			return bad("Fn::Sub", x, "Fn::Sub takes a string and a map of variables")
		}
		tmpl, vars = s, m
	default:
		return bad("Fn::Sub", x, "Fn::Sub takes a string")
	}
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		end := strings.IndexByte(tmpl[i:], '}')
		if end < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		name := tmpl[i+2 : i+end]
		tmpl = tmpl[i+end+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			b.WriteString("${" + lit + "}")
			continue
		}
		var val any
		if v, ok := vars[name]; ok {
			val = v
		} else if res, attr, isAttr := strings.Cut(name, "."); isAttr {
			val = map[string]any{"Fn::GetAtt": []any{res, attr}}
		} else {
			val = map[string]any{"Ref": name}
		}
		s, u := r.strArg(val, line, depth)
		if u != nil {
			return left("Fn::Sub", x, u)
		}
		b.WriteString(s)
		if u := r.spend("Fn::Sub", x, len(s)); u != nil {
			return *u
		}
	}
	if u := r.spend("Fn::Sub", x, b.Len()); u != nil {
		return *u
	}
	return b.String()
}

// findInMap is Fn::FindInMap [MAP, TOP, SECOND] over the template's
// Mappings (intrinsic-function-reference-findinmap.md
// @bbededb8e19a4e893729ef6b1b5984d74fbb91c4).
func (r *resolver) findInMap(x any, args []any, line, depth int) any {
	if len(args) != 3 {
		return bad("Fn::FindInMap", x, "Fn::FindInMap takes a map name and two keys")
	}
	var keys [3]string
	for i, a := range args {
		s, u := r.strArg(a, line, depth)
		if u != nil {
			return left("Fn::FindInMap", x, u)
		}
		keys[i] = s
	}
	m, _ := r.mappings[keys[0]].(map[string]any)
	top, _ := m[keys[1]].(map[string]any)
	v, ok := top[keys[2]]
	if !ok {
		return bad("Fn::FindInMap", x, fmt.Sprintf("the Mappings have no %s.%s.%s", keys[0], keys[1], keys[2]))
	}
	return r.resolve(v, line, depth+1)
}
