//go:build linux

package shellword

import (
	"os/exec"
	"strings"
	"testing"
)

// The real sh reads each quoted word back as the string it was made from.
func TestQuoteRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh here to read the words back")
	}
	words := []string{"", "plain", "it's", "'", "''", `a\b`, "$HOME", "`id`", "two words", "new\nline", "*", "-n"}
	var script strings.Builder
	for _, w := range words {
		script.WriteString("printf '%s\\0' " + Quote(w) + "\n")
	}
	out, err := exec.Command(sh, "-c", script.String()).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(words) {
		t.Fatalf("sh read %d words back, not %d: %q", len(got), len(words), got)
	}
	for i, w := range words {
		if got[i] != w {
			t.Errorf("%q came back as %q", w, got[i])
		}
	}
}
