package cfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonPosError is a JSON error at a byte offset.
type jsonPosError struct {
	off int64
	msg string
}

func (e *jsonPosError) Error() string { return e.msg }

// fromJSON decodes a JSON template as encoding/json would into a
// map[string]any (numbers as float64, the last of duplicate keys kept),
// recording the line of every key. The decoder's offsets only grow, so
// lines are counted in one pass.
func (t *Template) fromJSON(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	lc := lineCounter{data: data, line: 1}
	budget := maxNodes
	v, err := t.jsonValue(dec, &lc, 0, &budget)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			return nil, &jsonPosError{dec.InputOffset(), "invalid character after top-level value"}
		}
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &jsonPosError{0, "a template is an object at the top"}
	}
	return m, nil
}

// lineCounter turns growing byte offsets into line numbers.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) at(off int64) int {
	end := min(int(off), len(c.data))
	if end > c.off {
		c.line += bytes.Count(c.data[c.off:end], []byte("\n"))
		c.off = end
	}
	return c.line
}

func (t *Template) jsonValue(dec *json.Decoder, lc *lineCounter, depth int, budget *int) (any, error) {
	*budget--
	if depth > maxDepth || *budget < 0 {
		return nil, &jsonPosError{dec.InputOffset(), fmt.Sprintf("nested deeper than %d levels or more than %d values", maxDepth, maxNodes)}
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &jsonPosError{dec.InputOffset(), "unexpected end of JSON input"}
		}
		return nil, err
	}
	d, isDelim := tok.(json.Delim)
	if !isDelim {
		return tok, nil // string, float64, bool or nil
	}
	switch d {
	case '{':
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, ok := kt.(string)
			if !ok {
				return nil, &jsonPosError{dec.InputOffset(), "an object key must be a string"}
			}
			line := lc.at(dec.InputOffset())
			v, err := t.jsonValue(dec, lc, depth+1, budget)
			if err != nil {
				return nil, err
			}
			m[k] = v
			t.setLine(m, k, line)
		}
		if _, err := dec.Token(); err != nil { // '}'
			return nil, err
		}
		return m, nil
	case '[':
		l := []any{}
		for dec.More() {
			v, err := t.jsonValue(dec, lc, depth+1, budget)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		if _, err := dec.Token(); err != nil { // ']'
			return nil, err
		}
		return l, nil
	}
	return nil, &jsonPosError{dec.InputOffset(), fmt.Sprintf("unexpected %q", d)}
}
