package systemd

import (
	"strings"
	"unicode/utf8"
)

// What systemd reads a unit file's line as, and so what an image-derived
// string must not hold when initcompat writes it into one (issue 34: a
// daemon's first line "#!/bin/sh\r[Service]\rExecStartPre=..." became a
// directive; a value ending in a backslash swallowed the next one).
//
// systemd's config_parse() (src/shared/conf-parser.c) reads a file with
// read_line(), which ends a line at LF, CR or NUL (src/basic/fileio.c,
// EOL_ZERO and the CR handling of read_line_full), joins a line ending in
// a backslash with the next (continuation), and refuses a line past
// LONG_LINE_MAX (1 MiB, src/basic/fileio.h). A setting's value then has
// its specifiers (%n, %i, ...) expanded (systemd.unit(5) "Specifiers"),
// so a literal % is written %%.

// MaxLine is the longest value or comment initcompat writes from image
// text: far below LONG_LINE_MAX, and well within go-systemd's own reader
// (2,048 bytes a line), so that every unit initcompat writes it can read
// back.
const MaxLine = 1500

// Line keeps an image-derived string to what one line of a unit file can
// carry as it is: control characters (CR and NUL end a line; the others
// have no place there) and DEL become spaces, invalid UTF-8 the
// replacement character, spaces are collapsed, and the line is cut at
// MaxLine bytes (on a character boundary) and ends in neither a space nor
// a backslash, which would join the next line to it. For comments.
func Line(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > MaxLine {
		cut := MaxLine
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.TrimRight(s, ` \`)
}

// Value is Line for the value of a setting: a literal % is doubled, so
// that no specifier is expanded in it.
func Value(s string) string { return strings.ReplaceAll(Line(s), "%", "%%") }
