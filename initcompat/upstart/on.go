package upstart

import "strings"

// On is a start on / stop on expression as Upstart's parse_on
// (init/parse_job.c) builds it, kept in the order Upstart serialises it
// (init/state.c): postfix, each operator after its two operands. "and"
// and "or" have one precedence and group to the left ("a or b and c" is
// "(a or b) and c"); parentheses group, and an expression continues over
// lines while one is open.
type On struct {
	Nodes []Node
}

// Node is one node of an On: an event match, or an operator.
type Node struct {
	Op   string   // "and", "or"; "" for an event
	Name string   // the event
	Env  []string // its arguments as written, dequoted: positional values, then KEY=VALUE or KEY!=VALUE
}

// Event is one event an expression waits for.
type Event struct {
	Name string
	Env  []string
}

// Events are the events of the expression, left to right, as initctl
// show-config -e lists them.
func (o *On) Events() []Event {
	if o == nil {
		return nil
	}
	var out []Event
	for _, n := range o.Nodes {
		if n.Op == "" {
			out = append(out, Event{n.Name, n.Env})
		}
	}
	return out
}

// Match is one argument of an event in an expression.
type Match struct {
	Key    string // "" for a positional value, matched by its place
	Value  string // an fnmatch pattern, expanded against the job's environment when matched
	Negate bool   // KEY!=VALUE
}

// Matches reads the event's arguments as event_operator_match does
// (init/event_operator.c): the first "!=" names the variable and negates,
// else the first "="; an argument with neither is positional.
func (e Event) Matches() []Match {
	out := make([]Match, 0, len(e.Env))
	for _, a := range e.Env {
		if i := strings.Index(a, "!="); i >= 0 {
			out = append(out, Match{Key: a[:i], Value: a[i+2:], Negate: true})
		} else if k, v, ok := strings.Cut(a, "="); ok {
			out = append(out, Match{Key: k, Value: v})
		} else {
			out = append(out, Match{Value: a})
		}
	}
	return out
}

// HasOr reports whether "or" joins any events.
func (o *On) HasOr() bool {
	for _, n := range o.Nodes {
		if n.Op == "or" {
			return true
		}
	}
	return false
}

// onParser holds parse_on's operator stack: indices into nodes, -1 for
// an open parenthesis. No recursion: 100,000 nested parentheses cost a
// stack of 100,000 ints.
type onParser struct {
	file  []byte
	nodes []*onNode // pointers: a slice of 72-byte nodes grown by a quarter at a time costs five times their size
	stack []int32
	root  int32
	paren int
}

type onNode struct {
	Node
	left, right int32
	named       bool // a KEY=VALUE argument came
}

// parseOn is parse_on from the cursor ptr (the stanza's a_pos/a_lineno):
// where it fails, ptr is where Upstart reports the error.
func parseOn(file []byte, ptr *cursor) (*On, string, error) {
	p := &onParser{file: file, root: -1}
	on := *ptr
	start := on.pos
	for {
		skipWhitespace(file, &on)
		for {
			*ptr = on // update error position
			var err error
			switch {
			case on.pos < len(file) && file[on.pos] == 0:
				// parse_on_paren asserts it sees a parenthesis: Upstart
				// aborts (nih_assert_not_reached) on a NUL here.
				err = lexError("NUL byte in an event expression (Upstart aborts on it)")
			case on.pos < len(file) && isIn("()", file[on.pos]):
				err = p.parenthesis(&on)
			default:
				err = p.operator(&on)
			}
			if err != nil {
				*ptr = on
				return nil, "", err
			}
			if !hasToken(file, &on) {
				break
			}
		}
		_ = skipComment(file, &on) // has_token said there is none
		if on.pos >= len(file) || p.paren == 0 {
			break
		}
	}
	if err := p.collect(); err != nil {
		return nil, "", err
	}
	if len(p.stack) > 0 {
		*ptr = on
		return nil, "", lexError(errMismatchedParens)
	}
	*ptr = on
	return &On{Nodes: p.postfix()}, rawText(file[start:on.pos]), nil
}

// collect is parse_on_collect: the stack down to an open parenthesis
// becomes the root.
func (p *onParser) collect() error {
	for len(p.stack) > 0 {
		top := p.stack[len(p.stack)-1]
		if top < 0 {
			break
		}
		p.stack = p.stack[:len(p.stack)-1]
		n := p.nodes[top]
		switch {
		case n.Op != "" && p.root >= 0:
			n.right = p.root
		case n.Op != "":
			return lexError(errExpectedEvent)
		case p.root >= 0:
			return lexError(errExpectedOperator)
		}
		p.root = top
	}
	if p.root < 0 {
		return lexError(errExpectedEvent)
	}
	return nil
}

// parenthesis is parse_on_paren.
func (p *onParser) parenthesis(c *cursor) error {
	switch p.file[c.pos] {
	case '(':
		p.paren++
		if p.root >= 0 || (len(p.stack) > 0 && p.stack[len(p.stack)-1] >= 0 && p.nodes[p.stack[len(p.stack)-1]].Op == "") {
			return lexError(errExpectedOperator)
		}
		p.stack = append(p.stack, -1)
	case ')':
		p.paren--
		if err := p.collect(); err != nil {
			return err
		}
		if len(p.stack) == 0 {
			return lexError(errMismatchedParens)
		}
		p.stack = p.stack[:len(p.stack)-1]
	}
	c.pos++
	skipWhitespace(p.file, c)
	return nil
}

// operator is parse_on_operator: "and" or "or", else an operand read again
// from the same place.
func (p *onParser) operator(c *cursor) error {
	if !maybeOperator(p.file, c.pos) {
		return p.operand(c)
	}
	a := *c
	arg, err := nextToken(p.file, &a, cParen, false)
	if err != nil {
		*c = a
		return err
	}
	if arg != "and" && arg != "or" {
		return p.operand(c)
	}
	if err := p.collect(); err != nil {
		return err
	}
	p.nodes = append(p.nodes, &onNode{Node: Node{Op: arg}, left: p.root, right: -1})
	p.root = -1
	p.stack = append(p.stack, int32(len(p.nodes)-1))
	*c = a
	return nil
}

// maybeOperator is false where the token at pos cannot read "and" or
// "or" (it does not start so, or goes on with an ordinary character), so
// that an operand is scanned once, not twice.
func maybeOperator(file []byte, pos int) bool {
	for _, op := range []string{"and", "or"} {
		end := pos + len(op)
		if end <= len(file) && string(file[pos:end]) == op && (end == len(file) || file[end] == '\\' || isIn(cParen, file[end])) {
			return true
		}
	}
	return false
}

// operand is parse_on_operand: an event's name, or an argument of the
// event on top of the stack; a positional value after a KEY=VALUE is
// refused.
func (p *onParser) operand(c *cursor) error {
	arg, err := nextToken(p.file, c, cParen, true)
	if err != nil {
		return err
	}
	top := int32(-1)
	if len(p.stack) > 0 {
		top = p.stack[len(p.stack)-1]
	}
	if top < 0 || p.nodes[top].Op != "" {
		p.nodes = append(p.nodes, &onNode{Node: Node{Name: arg}, left: -1, right: -1})
		p.stack = append(p.stack, int32(len(p.nodes)-1))
		return nil
	}
	// Upstart checks every argument again at each one; the first
	// positional value after a KEY=VALUE fails either way.
	n := p.nodes[top]
	n.Env = append(n.Env, arg)
	if strings.Contains(arg, "=") {
		n.named = true
	} else if n.named {
		return lexError(errExpectedVariable)
	}
	return nil
}

// postfix lists the tree from the root, operands before their operator,
// without recursion.
func (p *onParser) postfix() []Node {
	out := make([]Node, 0, len(p.nodes))
	type frame struct {
		n    int32
		seen bool
	}
	work := make([]frame, 1, len(p.nodes)+1)
	work[0] = frame{p.root, false}
	for len(work) > 0 {
		f := work[len(work)-1]
		work = work[:len(work)-1]
		if f.n < 0 {
			continue
		}
		n := p.nodes[f.n]
		if f.seen || n.Op == "" {
			out = append(out, n.Node)
			continue
		}
		work = append(work, frame{f.n, true}, frame{n.right, false}, frame{n.left, false})
	}
	return out
}

// rawText is an expression as written, for messages: comments out,
// continuations and line ends read as blanks, blanks collapsed.
func rawText(b []byte) string {
	var out strings.Builder
	var quote byte
	comment := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\n':
			comment = false
			out.WriteByte(' ')
			continue
		case comment:
			continue
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == 0 && c == '#':
			comment = true
			continue
		case c == '\\' && i+1 < len(b) && b[i+1] == '\n':
			continue
		}
		out.WriteByte(c)
	}
	return strings.Join(strings.Fields(out.String()), " ")
}
