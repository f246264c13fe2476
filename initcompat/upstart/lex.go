package upstart

import (
	"bytes"
	"strings"
)

// The tokeniser of libnih 1.0.4 (nih/config.c: nih_config_token,
// nih_config_next_token, nih_config_skip_whitespace,
// nih_config_skip_comment, nih_config_parse_args,
// nih_config_parse_command, nih_config_parse_block), which Upstart's
// init/parse_job.c reads job files with, ported function by function so
// that every quirk is Upstart's: "\r" is whitespace, a backslash-newline
// is a space (the whitespace around it lost), quotes group across lines,
// a "#" outside quotes ends the line wherever it stands, and a backslash
// before an ordinary character is kept. Each function is one pass over the
// bytes it reads: a job of any length costs time and memory in proportion.

const (
	cWS    = " \t\r"    // NIH_CONFIG_WS
	cCNL   = "#\n"      // NIH_CONFIG_CNL
	cCNLWS = " \t\r#\n" // NIH_CONFIG_CNLWS
	cParen = "()" + cCNLWS
)

// The messages of libnih's errors (nih/errors.h).
const (
	errExpectedToken     = "Expected token"
	errUnexpectedToken   = "Unexpected token"
	errTrailingSlash     = "Trailing slash in file"
	errUnterminatedQuote = "Unterminated quoted string"
	errUnterminatedBlock = "Unterminated block"
	errUnknownStanza     = "Unknown stanza"
	errIllegalInterval   = "Illegal interval, expected number of seconds"
	errIllegalExit       = "Illegal exit status, expected integer"
	errIllegalSignal     = "Illegal signal status, expected integer"
	errIllegalUmask      = "Illegal file creation mask, expected octal integer"
	errIllegalNice       = "Illegal nice value, expected -20 to 19"
	errIllegalOom        = "Illegal oom adjustment, expected -16 to 15 or 'never'"
	errIllegalOomScore   = "Illegal oom score adjustment, expected -999 to 1000 or 'never'"
	errIllegalLimit      = "Illegal limit, expected 'unlimited' or integer"
	errExpectedEvent     = "Expected event"
	errExpectedOperator  = "Expected operator"
	errExpectedVariable  = "Expected variable name before value"
	errMismatchedParens  = "Mismatched parentheses"
)

// cursor is the position (*pos) and line (*lineno) libnih's functions
// advance through a file.
type cursor struct {
	pos, line int
}

// lexError is a raised libnih or Upstart error: its message; the line is
// wherever the cursor the caller reports stands.
type lexError string

func (e lexError) Error() string { return string(e) }

// isIn is strchr(set, c) != NULL: C's strchr finds the terminating NUL
// too, so a NUL byte is in every set (whitespace, a delimiter, a comment).
func isIn(set string, c byte) bool { return c == 0 || strings.IndexByte(set, c) >= 0 }

// scanToken is nih_config_token from start: the token's text (dequoted or
// not), where the scan stopped, the newlines it passed, the token's
// length as libnih counts it (0: no token) and the error it raises, "" if
// none.
func scanToken(file []byte, start int, delim string, dequote bool) (tok string, end, lines, toklen int, err lexError) {
	var dest strings.Builder
	ws, nlws, qc := 0, 0, 0
	slash, nl := false, false
	var quote byte
	p := start
	for ; p < len(file); p++ {
		extra, isq := 0, false
		c := file[p]
		switch {
		case slash:
			slash = false
			switch {
			case c == '\n': // escaped newline
				nlws++
				nl = true
				lines++
				continue
			case c == '\\' || isIn(cWS, c):
				extra++
				if dequote {
					qc++
				}
			default:
				dest.WriteByte('\\')
			}
		case c == '\\':
			slash = true
			continue
		case quote != 0:
			switch {
			case c == quote:
				quote = 0
				isq = true
			case c == '\n':
				nl = true
				lines++
				continue
			case isIn(cWS, c):
				ws++
				continue
			}
		case c == '"' || c == '\'':
			quote = c
			isq = true
		case isIn(delim, c):
			goto done
		case isIn(cWS, c):
			ws++
			continue
		}
		if nl {
			// Newline is recorded as a single space; any surrounding
			// whitespace is lost.
			nlws += ws
			dest.WriteByte(' ')
		} else if ws > 0 {
			// libnih copies the ws bytes that stand before p (less the
			// escaping slash): after a "\x" the bytes copied are not the
			// whitespace, and nih does the same.
			dest.Write(file[p-ws-extra : p-extra])
		}
		if extra > 0 && !dequote {
			dest.Write(file[p-extra : p])
		}
		if !isq || !dequote {
			dest.WriteByte(c)
		}
		if isq && dequote {
			qc++
		}
		ws = 0
		nl = false
	}
done:
	switch {
	case slash:
		err = errTrailingSlash
	case quote != 0:
		err = errUnterminatedQuote
	}
	return dest.String(), p, lines, p - start - ws - nlws - qc, err
}

// hasToken is nih_config_has_token.
func hasToken(file []byte, c *cursor) bool {
	return c.pos < len(file) && !isIn(cCNL, file[c.pos])
}

// nextToken is nih_config_next_token.
func nextToken(file []byte, c *cursor, delim string, dequote bool) (string, error) {
	tok, end, lines, toklen, err := scanToken(file, c.pos, delim, dequote)
	c.line += lines
	c.pos = end
	if err != "" {
		return "", err
	}
	if toklen == 0 {
		return "", lexError(errExpectedToken)
	}
	skipWhitespace(file, c)
	return tok, nil
}

// nextArg is nih_config_next_arg: a dequoted token.
func nextArg(file []byte, c *cursor) (string, error) {
	return nextToken(file, c, cCNLWS, true)
}

// nextLine is nih_config_next_line.
func nextLine(file []byte, c *cursor) {
	if i := bytes.IndexByte(file[c.pos:], '\n'); i >= 0 {
		c.pos += i + 1
		c.line++
	} else {
		c.pos = len(file)
	}
}

// skipWhitespace is nih_config_skip_whitespace: blanks and escaped
// newlines, not a plain newline.
func skipWhitespace(file []byte, c *cursor) {
	for c.pos < len(file) {
		if file[c.pos] == '\\' {
			if len(file)-c.pos > 1 && file[c.pos+1] == '\n' {
				c.pos++
			} else {
				return
			}
		} else if !isIn(cWS, file[c.pos]) {
			return
		}
		if file[c.pos] == '\n' {
			c.line++
		}
		c.pos++
	}
}

// skipComment is nih_config_skip_comment: the rest of the line must be a
// comment or nothing.
func skipComment(file []byte, c *cursor) error {
	if hasToken(file, c) {
		return lexError(errUnexpectedToken)
	}
	nextLine(file, c)
	return nil
}

// parseArgs is nih_config_parse_args: the dequoted tokens up to the end
// of the line.
func parseArgs(file []byte, c *cursor) ([]string, error) {
	var args []string
	for hasToken(file, c) {
		a, err := nextArg(file, c)
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	return args, skipComment(file, c)
}

// parseCommand is nih_config_parse_command: the rest of the line up to an
// unquoted "#", quotes and backslashes kept, continuations joined.
func parseCommand(file []byte, c *cursor) (string, error) {
	cmd, end, lines, _, err := scanToken(file, c.pos, cCNL, false)
	c.line += lines
	c.pos = end
	if err != "" {
		return "", err
	}
	_ = skipComment(file, c) // the token stopped at "#", a newline or the end
	return cmd, nil
}

// blockEnd is nih_config_block_end: whether the line at c is
// "end TYPE" (blanks around, a comment after), stepping over it.
func blockEnd(file []byte, c *cursor, typ string) bool {
	n := len(file)
	p := c.pos
	for p < n && isIn(cWS, file[p]) {
		p++
	}
	if n-p < 4 || string(file[p:p+3]) != "end" {
		return false
	}
	if file[p+3] != 0 && !isIn(cWS, file[p+3]) {
		return false
	}
	p += 3
	for p < n && isIn(cWS, file[p]) {
		p++
	}
	if n-p < len(typ) || string(file[p:p+len(typ)]) != typ {
		return false
	}
	p += len(typ)
	for p < n && isIn(cWS, file[p]) {
		p++
	}
	if p < n && file[p] == '#' {
		for p < n && file[p] != '\n' {
			p++
		}
	}
	if p < n && file[p] != '\n' {
		return false
	}
	if p < n {
		c.line++
		p++
	}
	c.pos = p
	return true
}

// block is a script block as read: Upstart's text (the whitespace the
// lines share with the first one removed, nih_config_parse_block) and the
// lines as written.
type block struct {
	text       string
	start, end int // the lines as written: file[start:end]
}

// parseBlock is nih_config_parse_block: the lines up to "end TYPE". A
// line shares whitespace with the first only where it holds the same
// characters, so one blank line leaves every line as written.
func parseBlock(file []byte, c *cursor, typ string) (block, error) {
	start := c.pos
	ws, lines := 0, 0
	for {
		lineStart := c.pos
		if blockEnd(file, c, typ) {
			b := block{start: start, end: lineStart}
			var text strings.Builder
			for pp := start; pp < lineStart; {
				pp += ws
				nl := bytes.IndexByte(file[pp:lineStart], '\n')
				if nl < 0 { // every line before the end line ends in a newline
					break
				}
				text.Write(file[pp : pp+nl+1])
				pp += nl + 1
			}
			b.text = text.String()
			return b, nil
		}
		lines++
		p := c.pos
		if lines == 1 {
			for p < len(file) && isIn(cWS, file[p]) {
				p++
			}
			ws = p - lineStart
		} else {
			for p < len(file) && p-lineStart < ws && file[start+p-lineStart] == file[p] {
				p++
			}
			ws = min(ws, p-lineStart)
		}
		c.pos = p
		nextLine(file, c)
		if c.pos >= len(file) {
			return block{}, lexError(errUnterminatedBlock)
		}
	}
}
