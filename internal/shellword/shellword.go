// Package shellword quotes strings as POSIX shell words, for the scripts
// initcompat renders (snapshot, apply, verify).
package shellword

import "strings"

// Quote quotes s as one POSIX shell word: single quotes, each ' inside
// written '\” (POSIX.1-2017 XCU 2.2.2, Single-Quotes).
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
