package provisioner

import "testing"

// escapeText alone: what each kind of control, a C1, a byte that is not
// UTF-8 and a CI runner's command become (escape_test.go drives the three
// sources of issue 34 item 4 through Provision, on Linux).
func TestEscapeText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain debian 12", "plain debian 12"},
		{"é 日本 ✓", "é 日本 ✓"},
		{"a\x1b[2Kb\x07", `a\x1b[2Kb\x07`},
		{"x\r::error::y", `x\x0d::error::y`},
		{"x\n::add-mask::y", `x\x0a::add-mask::y`},
		{"tab\there", `tab\x09here`},
		{"del\x7f", `del\x7f`},
		{"nul\x00", `nul\x00`},
		{"c1 \u009b31m \u0085", `c1 \u009b31m \u0085`},
		{"raw c1 \x9b31m", `raw c1 \x9b31m`},
		{"##vso[task.setvariable variable=x]y", `#\x23vso[task.setvariable variable=x]y`},
		{"a ##[error]b", `a #\x23[error]b`},
		{"# one ## two #", "# one ## two #"},
	} {
		if got := escapeText(c.in); got != c.want {
			t.Errorf("escapeText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := escapeLines("one\x1b\ntwo\rthree"); got != `one\x1b`+"\n"+`two\x0dthree` {
		t.Errorf("escapeLines kept or lost the wrong breaks: %q", got)
	}
}
