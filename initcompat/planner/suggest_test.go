package planner

import (
	"fmt"
	"strings"
	"testing"
)

// A service the image lacks is said in one line of the build log, however
// many units the image has: a few names and a count, the near ones first.
func TestSuggestFitsALine(t *testing.T) {
	var have []string
	for i := range 300 {
		have = append(have, fmt.Sprintf("svc%03d", i))
	}
	got := suggest("svc", have, "the image has these services")
	if len(got) > 200 {
		t.Errorf("%d characters: %s", len(got), got)
	}
	if !strings.Contains(got, "did you mean svc000,") || !strings.Contains(got, "and 292 more") {
		t.Errorf("neither the near names nor the count: %s", got)
	}
}
