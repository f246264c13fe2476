package lsb

import "testing"

// ParseHeader never panics, and a rendered script always reads back.
func FuzzHeader(f *testing.F) {
	f.Add("### BEGIN INIT INFO\n# Provides: x\n# Description: a\n#  b\n### END INIT INFO\n", "x desc")
	f.Add("# chkconfig: 2345 20 80\n", "\x00\n\t")
	f.Fuzz(func(t *testing.T, script, desc string) {
		ParseHeader([]byte(script))
		h, ok := ParseHeader(Render(Redirect{Name: "svc", Unit: "svc.service", Marker: "# m", ShortDesc: desc}))
		if !ok || len(h.Provides) != 1 || h.Provides[0] != "svc" {
			t.Fatalf("rendered header does not read back: %+v", h)
		}
	})
}
