package upstart

import (
	"os"
	"strings"
	"testing"
)

// ValueCases reads testdata/values.txt: stanza lines and whether Upstart
// 1.13.2 takes them.
func valueCases(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("testdata/values.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		verdict, line, ok := strings.Cut(l, " ")
		if ok && (verdict == "ok" || verdict == "refused") {
			out[line] = verdict == "ok"
		}
	}
	return out
}

// What Upstart's init/parse_job.c takes and refuses; a refused value makes
// the whole job unloadable, so Parse fails on it.
func TestValuesUpstartRefuses(t *testing.T) {
	cases := valueCases(t)
	if len(cases) < 20 {
		t.Fatalf("only %d cases", len(cases))
	}
	for line, ok := range cases {
		_, err := Parse("x.conf", []byte("exec /bin/true\n"+line+"\n"))
		if (err == nil) != ok {
			t.Errorf("%q: err = %v, want accepted %v", line, err, ok)
		}
	}
}
