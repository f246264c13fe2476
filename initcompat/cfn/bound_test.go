package cfn

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// allocated is the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// undecidedSets is a template whose default configSet holds n items, each
// an Fn::If on a condition nothing decides at build time, each naming a
// config with one service (issue 34, item 7: 1,500 items, 77 KB, took
// 1.9 GiB when every service carried every item's note).
func undecidedSets(n int) string {
	var b strings.Builder
	b.WriteString("Conditions:\n  InUS: !Equals [!Ref \"AWS::Region\", us-east-1]\nResources:\n  Host:\n    Type: AWS::EC2::Instance\n    Metadata:\n      AWS::CloudFormation::Init:\n        configSets:\n          default:\n")
	for i := range n {
		fmt.Fprintf(&b, "            - !If [InUS, c%d, !Ref \"AWS::NoValue\"]\n", i)
	}
	for i := range n {
		fmt.Fprintf(&b, "        c%d: {services: {sysvinit: {s%d: {enabled: \"true\"}}}}\n", i, i)
	}
	return b.String()
}

// Reading the services of a template costs memory in proportion to the
// template, however many undecided Fn::If its configSets hold: twice the
// items, at most 2.5 times the bytes (quadratic would be 4).
func TestUndecidedConfigSetsLinear(t *testing.T) {
	cost := func(n int) uint64 {
		src := undecidedSets(n)
		return allocated(func() {
			tmpl, err := ParseTemplate("t.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			svcs, _, err := FromTemplate(tmpl, "", nil, nil)
			if err != nil || len(svcs) != n {
				t.Fatalf("%d services, %v", len(svcs), err)
			}
		})
	}
	small, large := cost(750), cost(1500)
	t.Logf("750 items: %d KiB, 1500 items: %d KiB (%.2fx)", small>>10, large>>10, float64(large)/float64(small))
	if large > small*5/2 {
		t.Errorf("twice the items cost %.2f times the bytes (%d KiB, %d KiB)", float64(large)/float64(small), small>>10, large>>10)
	}
	if large > 64<<20 {
		t.Errorf("1,500 items allocate %d MiB", large>>20)
	}
}
