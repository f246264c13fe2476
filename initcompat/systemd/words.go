package systemd

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The word grammar of unit values, as systemd reads them.
//
// systemd splits ExecStart= and friends, and Environment=, with
// extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)
// (systemd/systemd src/basic/extract-word.c @007f09d487da7f8e136cd1346feee2dcba28be61):
// words end at unquoted whitespace; '…' and "…" may open anywhere in a
// word and are removed; a backslash escape is read by cunescape_one
// (src/basic/escape.c) outside and inside either kind of quotes. An escape
// it does not know is kept verbatim, with a warning
// (extract_first_word_and_warn retries with EXTRACT_CUNESCAPE_RELAX);
// unbalanced quotes make the whole assignment ignored.

// whitespace is systemd's WHITESPACE (src/basic/string-util.h).
const whitespace = " \t\n\r"

// ErrUnbalanced is an assignment systemd ignores: "Unbalanced quoting".
var ErrUnbalanced = errors.New("unbalanced quoting (systemd ignores the assignment)")

// wordReader reads words off a value.
type wordReader struct {
	s       string
	i       int
	cunesc  bool // EXTRACT_CUNESCAPE
	relax   bool // EXTRACT_RELAX: unbalanced quotes end the word
	Unknown []string
}

// skipSpace moves past whitespace; it reports whether anything is left.
func (r *wordReader) skipSpace() bool {
	for r.i < len(r.s) && strings.IndexByte(whitespace, r.s[r.i]) >= 0 {
		r.i++
	}
	return r.i < len(r.s)
}

// next returns the next word; ok is false at the end.
func (r *wordReader) next() (string, bool, error) {
	if !r.skipSpace() {
		return "", false, nil
	}
	var b strings.Builder
	var quote byte
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == '\\':
			r.i++
			if r.i >= len(r.s) {
				// A trailing backslash: dropped under EXTRACT_RELAX, kept
				// (with a warning) by the retry with EXTRACT_CUNESCAPE_RELAX
				// outside quotes, unbalanced inside them.
				switch {
				case r.relax:
				case quote != 0:
					return "", false, ErrUnbalanced
				default:
					r.Unknown = append(r.Unknown, `\`)
					b.WriteByte('\\')
				}
				return b.String(), true, nil
			}
			if !r.cunesc {
				b.WriteByte(r.s[r.i])
				r.i++
				continue
			}
			n, s, ok := cunescapeOne(r.s[r.i:])
			if !ok {
				r.Unknown = append(r.Unknown, `\`+string(r.s[r.i]))
				b.WriteByte('\\')
				b.WriteByte(r.s[r.i])
				r.i++
				continue
			}
			b.WriteString(s)
			r.i += n
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				b.WriteByte(c)
			}
			r.i++
		case c == '\'' || c == '"':
			quote = c
			r.i++
		case strings.IndexByte(whitespace, c) >= 0:
			return b.String(), true, nil
		default:
			b.WriteByte(c)
			r.i++
		}
	}
	if quote != 0 && !r.relax {
		return "", false, ErrUnbalanced
	}
	return b.String(), true, nil
}

// cunescapeOne reads the escape after a backslash (src/basic/escape.c,
// cunescape_one): the C escapes, \s for a space, \xHH, \uHHHH,
// \UHHHHHHHH and \NNN octal; NUL is refused. It returns the bytes used.
func cunescapeOne(p string) (int, string, bool) {
	simple := map[byte]string{'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v",
		'\\': `\`, '"': `"`, '\'': "'", 's': " "}
	if s, ok := simple[p[0]]; ok {
		return 1, s, true
	}
	hex := func(n int) (uint64, bool) {
		if len(p) < 1+n {
			return 0, false
		}
		v, err := strconv.ParseUint(p[1:1+n], 16, 32)
		return v, err == nil
	}
	switch p[0] {
	case 'x':
		v, ok := hex(2)
		if !ok || v == 0 {
			return 0, "", false
		}
		return 3, string([]byte{byte(v)}), true
	case 'u', 'U':
		n := 4
		if p[0] == 'U' {
			n = 8
		}
		v, ok := hex(n)
		if !ok || v == 0 || v > utf8.MaxRune {
			return 0, "", false
		}
		return 1 + n, string(rune(v)), true
	}
	if p[0] >= '0' && p[0] <= '7' {
		if len(p) < 3 {
			return 0, "", false
		}
		v, err := strconv.ParseUint(p[:3], 8, 16)
		if err != nil || v == 0 || v > 255 {
			return 0, "", false
		}
		return 3, string([]byte{byte(v)}), true
	}
	return 0, "", false
}

// SplitWords splits an Environment=-style value into its words
// (EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE). unknown lists the escapes kept
// verbatim, which systemd warns about.
func SplitWords(value string) (words, unknown []string, err error) {
	r := &wordReader{s: value, cunesc: true}
	for {
		w, ok, err := r.next()
		if err != nil {
			return nil, r.Unknown, err
		}
		if !ok {
			return words, r.Unknown, nil
		}
		words = append(words, w)
	}
}

// SplitVariable splits the value of a variable named alone as a word of
// a command line ("$FOO"), as systemd's replace_env_argv does
// (src/basic/env-util.c: strv_split_full with EXTRACT_RELAX|EXTRACT_UNQUOTE):
// quotes group, a backslash keeps the next character, no C escapes.
func SplitVariable(value string) []string {
	r := &wordReader{s: value, relax: true}
	var out []string
	for {
		w, ok, _ := r.next()
		if !ok {
			return out
		}
		out = append(out, w)
	}
}
