// Package cfn reads the services that cfn-init will manage out of
// CloudFormation templates (JSON or YAML, short-form intrinsic tags
// included) and resource metadata. What the template alone decides
// (conditions over parameters, Fn::If, Fn::Join, Fn::Select, Fn::Split,
// Fn::Sub, Fn::FindInMap, Ref of a parameter) is resolved as CloudFormation
// would resolve it; the rest is named where it stands.
package cfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxTemplateBytes is the largest template CloudFormation takes: "Template
// body size in an Amazon S3 object: 1 MB" (AWS CloudFormation quotas,
// awsdocs/aws-cloudformation-user-guide doc_source/cloudformation-limits.md
// @c23f1ebe27d802a20e0db001f0f4abe524ec9cbe; a request body is at most
// 51,200 bytes). A template past it is no template a stack can be made of.
const MaxTemplateBytes = 1 << 20

// Template is a parsed template: its body as JSON decodes it (short-form
// tags become their long form, {"Fn::Sub": ...}, unevaluated) and the line
// of every mapping key, for messages.
type Template struct {
	Name  string
	Body  map[string]any
	lines map[keyPos]int
}

// keyPos names one key of one mapping of the body: the mapping by its
// identity (maps are never moved), the key by its text.
type keyPos struct {
	m uintptr
	k string
}

// line is the line of key k in mapping m, 0 when unknown (a mapping the
// resolver made, metadata read from a stack).
func (t *Template) line(m map[string]any, k string) int {
	if t == nil || t.lines == nil || m == nil {
		return 0
	}
	return t.lines[keyPos{reflect.ValueOf(m).Pointer(), k}]
}

func (t *Template) setLine(m map[string]any, k string, line int) {
	t.lines[keyPos{reflect.ValueOf(m).Pointer(), k}] = line
}

// ParseTemplate reads a template in JSON or YAML, at most MaxTemplateBytes.
func ParseTemplate(name string, data []byte) (*Template, error) {
	if len(data) > MaxTemplateBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d bytes CloudFormation takes in a template", name, len(data), MaxTemplateBytes)
	}
	t := &Template{Name: name, lines: map[keyPos]int{}}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		body, err := t.fromJSON(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", name, jsonError(data, err))
		}
		t.Body = body
		return t, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty template", name)
	}
	budget := maxNodes
	v, err := t.fromNode(doc.Content[0], 0, &budget)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a template is a mapping at the top", name)
	}
	t.Body = m
	return t, nil
}

// maxDepth bounds nesting, so that an alias that contains itself cannot
// recurse forever; maxNodes bounds the nodes aliases can expand to (the
// "billion laughs" document).
const (
	maxDepth = 200
	maxNodes = 1 << 20
)

// fromNode converts a YAML node, turning tags into intrinsic functions.
func (t *Template) fromNode(n *yaml.Node, depth int, budget *int) (any, error) {
	*budget--
	switch {
	case depth > maxDepth:
		return nil, fmt.Errorf("line %d: nested deeper than %d levels (an alias that refers to itself?)", n.Line, maxDepth)
	case *budget < 0:
		return nil, fmt.Errorf("line %d: aliases expand to more than %d nodes", n.Line, maxNodes)
	}
	if n.Kind == yaml.AliasNode {
		return t.fromNode(n.Alias, depth+1, budget)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key must be a scalar", k.Line)
			}
			x, err := t.fromNode(val, depth+1, budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = x
			t.setLine(m, k.Value, k.Line)
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			x, err := t.fromNode(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			l = append(l, x)
		}
		v = l
	case yaml.ScalarNode:
		v = scalar(n)
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
	tag := n.Tag
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") {
		return v, nil
	}
	fn := strings.TrimPrefix(tag, "!")
	switch fn {
	case "Ref", "Condition":
		return map[string]any{fn: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
	}
	return map[string]any{"Fn::" + fn: v}, nil
}

// scalar keeps YAML's plain scalars typed (bool, int, float) as cfn-init
// sees them in the JSON CloudFormation makes of them.
func scalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			return b
		}
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return i
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
	case "!!null":
		return nil
	}
	return n.Value
}

// jsonError adds line and column to a JSON error.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var pe *jsonPosError
	var off int64
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.As(err, &pe):
		off = pe.off
	default:
		return err.Error()
	}
	before := data[:min(int(off), len(data))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}
