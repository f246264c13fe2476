package lsb

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Command is one simple command as the text writes it: its words, with
// Known false for a word that is not literal text (an expansion or a
// substitution), and the line it starts on.
type Command struct {
	Line  int
	Words []Word
}

// ParamUse is one parameter expansion ($NAME, ${NAME...}) or assignment
// (NAME=...) in the text.
type ParamUse struct {
	Name string
	Line int
}

// Facts are what a shell text holds, read with the parser: every simple
// command (in functions, branches and substitutions alike; here-document
// bodies and comments are not commands), every parameter a word expands,
// and every assignment. For checks that ask whether a script calls a
// command or reads a variable anywhere (the Upstart translation's
// start/stop/initctl calls and event variables), rather than what one
// action runs (ReadStart).
type Facts struct {
	Commands []Command
	Uses     []ParamUse
	Assigns  []ParamUse
	// Last is the text's last top-level statement: what an Upstart
	// process ends running, and whether it puts it in the background (a
	// trailing &). Nil for a text of comments alone.
	Last *Statement
}

// Statement is a top-level statement: its line, the words of its command
// (none for a compound one) and whether it runs in the background.
type Statement struct {
	Line       int
	Words      []Word
	Background bool
}

// ReadFacts parses text (at most MaxScript bytes, brackets nested at
// most 256 deep) and lists its facts; line numbers start at firstLine.
func ReadFacts(text []byte, firstLine int) (Facts, error) {
	f, err := parse(text, "script")
	if err != nil {
		return Facts{}, err
	}
	var out Facts
	at := func(n syntax.Node) int { return int(n.Pos().Line()) + firstLine - 1 }
	if len(f.Stmts) > 0 {
		st := f.Stmts[len(f.Stmts)-1]
		out.Last = &Statement{Line: at(st), Background: st.Background}
		if call, ok := st.Cmd.(*syntax.CallExpr); ok {
			for _, w := range call.Args {
				out.Last.Words = append(out.Last.Words, literal(w))
			}
		}
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CallExpr:
			if len(n.Args) > 0 {
				c := Command{Line: at(n.Args[0])}
				for _, w := range n.Args {
					c.Words = append(c.Words, literal(w))
				}
				out.Commands = append(out.Commands, c)
			}
			for _, a := range n.Assigns {
				if a.Name != nil {
					out.Assigns = append(out.Assigns, ParamUse{Name: a.Name.Value, Line: at(a)})
				}
			}
		case *syntax.DeclClause:
			for _, a := range n.Args {
				if a.Name != nil && !a.Naked {
					out.Assigns = append(out.Assigns, ParamUse{Name: a.Name.Value, Line: at(a)})
				}
			}
		case *syntax.ParamExp:
			if n.Param != nil {
				out.Uses = append(out.Uses, ParamUse{Name: n.Param.Value, Line: at(n)})
			}
		}
		return true
	})
	return out, nil
}

// literal is a word's text when it is literal (quoted or not), unknown
// otherwise.
func literal(w *syntax.Word) Word {
	var b strings.Builder
	var lit func(parts []syntax.WordPart, quoted bool) bool
	lit = func(parts []syntax.WordPart, quoted bool) bool {
		for _, p := range parts {
			switch p := p.(type) {
			case *syntax.Lit:
				if quoted {
					b.WriteString(unescapeDouble(p.Value))
				} else {
					b.WriteString(unescape(p.Value))
				}
			case *syntax.SglQuoted:
				if p.Dollar {
					return false
				}
				b.WriteString(p.Value)
			case *syntax.DblQuoted:
				if p.Dollar || !lit(p.Parts, true) {
					return false
				}
			default:
				return false
			}
		}
		return true
	}
	if !lit(w.Parts, false) {
		return Word{}
	}
	return Word{Text: b.String(), Known: true}
}
