package systemd

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLineKeepsOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":              "plain text",
		"a\rb\nc\x00d":            "a b c d",
		"ends in a backslash \\":  "ends in a backslash",
		"two \\\\":                "two",
		"tab\there  and   spaces": "tab here and spaces",
		"C1 \u0085 next line":     "C1 next line",
		"bad utf-8 \xff":          "bad utf-8 \uFFFD",
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
	long := Line(strings.Repeat("é", MaxLine))
	if len(long) > MaxLine || !utf8.ValidString(long) {
		t.Errorf("a long value is %d bytes (max %d), valid UTF-8 %v", len(long), MaxLine, utf8.ValidString(long))
	}
	if got := Value("100% %n"); got != "100%% %%n" {
		t.Errorf("Value keeps specifiers: %q", got)
	}
}
