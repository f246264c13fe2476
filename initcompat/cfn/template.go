// Package cfn reads the services that cfn-init will manage out of
// CloudFormation templates (JSON or YAML, short-form intrinsic tags
// included, never evaluated) and resource metadata.
package cfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ParseTemplate reads a template in JSON or YAML. Short-form tags (!Ref,
// !Sub, !GetAtt, ...) become their long form ({"Ref": ...},
// {"Fn::Sub": ...}) without being evaluated.
func ParseTemplate(name string, data []byte) (map[string]any, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("%s: %s", name, jsonError(data, err))
		}
		return v, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty template", name)
	}
	budget := maxNodes
	v, err := fromNode(doc.Content[0], 0, &budget)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a template is a mapping at the top", name)
	}
	return m, nil
}

// jsonError adds line and column to a JSON syntax error.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var off int64
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	default:
		return err.Error()
	}
	before := data[:min(int(off), len(data))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// maxDepth bounds nesting, so that an alias that contains itself cannot
// recurse forever; maxNodes bounds the nodes aliases can expand to (the
// "billion laughs" document).
const (
	maxDepth = 200
	maxNodes = 1 << 20
)

// fromNode converts a YAML node, turning tags into intrinsic functions.
func fromNode(n *yaml.Node, depth int, budget *int) (any, error) {
	*budget--
	switch {
	case depth > maxDepth:
		return nil, fmt.Errorf("line %d: nested deeper than %d levels (an alias that refers to itself?)", n.Line, maxDepth)
	case *budget < 0:
		return nil, fmt.Errorf("line %d: aliases expand to more than %d nodes", n.Line, maxNodes)
	}
	if n.Kind == yaml.AliasNode {
		return fromNode(n.Alias, depth+1, budget)
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
			x, err := fromNode(val, depth+1, budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = x
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			x, err := fromNode(c, depth+1, budget)
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

// scalar keeps YAML's plain scalars typed (bool, int) as cfn-init sees them.
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
	case "!!null":
		return nil
	}
	return n.Value
}
