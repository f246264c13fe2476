//go:build linux

package planner_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/planner"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
)

// The ordering oracle: the real systemd judges the planner's verdict on
// generated cases. For every subset of up to three services of oraclePool,
// and for the oracleBlocks combined with none or one of them, the plan is
// made and its drop-ins written into a real tree; then
// `systemd-analyze verify --root=TREE default.target` must agree:
//   - accepted: systemd finds no ordering cycle the image did not have,
//     and deletes no job (every named unit is still pulled in at boot);
//   - refused: the drop-ins the planner tried (cycle breaks included)
//     make a cycle in systemd's graph too, through the same units.
//
// Plain `go test` runs a sample over the trees in testdata/ordering/oracle
// (units reproducing the real ones, each citing its source). e2e runs the
// whole matrix over debootstrapped trees with the real packages, by running
// this test with INITCOMPAT_ORACLE_ROOTS="NAME=DIR ..." (throwaway copies:
// the test writes into them) and INITCOMPAT_ORACLE_FULL=1.

// oraclePool is twelve services: ten of Debian's package units and two
// hand-installed ones (hand.txtar).
var oraclePool = []string{"postfix", "ssh", "nginx", "cron", "rsyslog", "chrony", "redis-server",
	"memcached", "haproxy", "unattended-upgrades", "app", "app-before"}

// oracleBlocks are ordering {} blocks, each combined with no service and
// with each single one of the pool.
var oracleBlocks = []plan.OrderingRule{
	{Unit: "app", After: []string{"nginx.service"}, Source: plan.SourceOrdering},
	{Unit: "nginx", Before: []string{"cloud-final.service"}, Source: plan.SourceOrdering},
	{Unit: "cron", After: []string{"cloud-final.service"}, Wants: []string{"cloud-final.service"}, Source: plan.SourceOrdering},
}

type oracleCase struct {
	services []string
	blocks   []plan.OrderingRule
}

func (c oracleCase) String() string {
	s := "start_after_user_data=" + strings.Join(c.services, ",")
	for _, b := range c.blocks {
		s += fmt.Sprintf(" ordering{%s after=%v before=%v wants=%v}", b.Unit, b.After, b.Before, b.Wants)
	}
	return s
}

func oracleCases() []oracleCase {
	var out []oracleCase
	n := len(oraclePool)
	for i := 0; i < n; i++ {
		out = append(out, oracleCase{services: []string{oraclePool[i]}})
		for j := i + 1; j < n; j++ {
			out = append(out, oracleCase{services: []string{oraclePool[i], oraclePool[j]}})
			for k := j + 1; k < n; k++ {
				out = append(out, oracleCase{services: []string{oraclePool[i], oraclePool[j], oraclePool[k]}})
			}
		}
	}
	for _, b := range oracleBlocks {
		out = append(out, oracleCase{blocks: []plan.OrderingRule{b}})
		for _, s := range oraclePool {
			out = append(out, oracleCase{services: []string{s}, blocks: []plan.OrderingRule{b}})
		}
	}
	return out
}

// oracleTally is what a layout's run found.
type oracleTally struct {
	cases, agree, refused, skipped int
	disagreements                  []string
}

func TestOrderingOracle(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("INITCOMPAT_ORACLE_ROOTS") != "" {
			t.Fatal("systemd-analyze is needed for the ordering oracle")
		}
		t.Skip("systemd-analyze is not installed: the real systemd cannot judge the planner here")
	}
	roots := oracleRoots(t)
	full := os.Getenv("INITCOMPAT_ORACLE_FULL") == "1"
	cases := oracleCases()
	names := make([]string, 0, len(roots))
	for n := range roots {
		names = append(names, n)
	}
	sort.Strings(names)
	tallies := make([]oracleTally, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			tallies[i] = runOracle(t, analyze, name, roots[name], cases, full)
		}()
	}
	wg.Wait()
	var total oracleTally
	for i, name := range names {
		tl := tallies[i]
		t.Logf("oracle %s: %d cases generated, %d agreements (%d of them refusals), %d disagreements, %d skipped (a service the tree lacks)",
			name, tl.cases, tl.agree, tl.refused, len(tl.disagreements), tl.skipped)
		total.cases += tl.cases
		total.agree += tl.agree
		total.refused += tl.refused
		total.disagreements = append(total.disagreements, tl.disagreements...)
	}
	t.Logf("oracle: %d cases generated, %d agreements, %d disagreements", total.cases, total.agree, len(total.disagreements))
	for _, d := range total.disagreements {
		t.Error(d)
	}
	if total.agree == 0 {
		t.Fatal("no case ran")
	}
}

// oracleRoots are the trees to judge on, by layout name: the testdata
// trees written to temporary directories, or the caller's.
func oracleRoots(t *testing.T) map[string]string {
	roots := map[string]string{}
	if env := os.Getenv("INITCOMPAT_ORACLE_ROOTS"); env != "" {
		for _, f := range strings.Fields(env) {
			name, dir, ok := strings.Cut(f, "=")
			if !ok {
				t.Fatalf("INITCOMPAT_ORACLE_ROOTS: %q is not NAME=DIR", f)
			}
			roots[name] = dir
			overlay(t, dir, "hand")
			if strings.HasPrefix(name, "rhel") {
				overlay(t, dir, "rhel")
			}
		}
		return roots
	}
	files, err := filepath.Glob(filepath.Join(testdataDir, "ordering", "oracle", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		layout := strings.TrimSuffix(filepath.Base(f), ".txtar")
		if layout == "systemd" || layout == "pool" || layout == "hand" {
			continue
		}
		dir := t.TempDir()
		for _, part := range []string{"systemd", "pool", "hand", layout} {
			overlay(t, dir, part)
		}
		roots[layout] = dir
	}
	return roots
}

// overlay writes testdata/ordering/oracle/NAME.txtar's members into dir.
func overlay(t *testing.T, dir, name string) {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join(testdataDir, "ordering", "oracle", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := treetest.Parse(ar.Files, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if err := os.RemoveAll(filepath.Join(dir, m.Path)); err != nil {
			t.Fatal(err)
		}
	}
	if err := treetest.WriteDir(dir, ms); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// runOracle runs the cases on one tree; without full, every 29th and the
// two services of issue 20.
func runOracle(t *testing.T, analyze, name, dir string, cases []oracleCase, full bool) oracleTally {
	// The planner reads the image at rest; systemd boots with what the
	// image's generators add.
	tr, err := tree.FromDir(dir, initcompat.Watches(plan.Policy{}), 0)
	if err != nil {
		t.Error(err)
		return oracleTally{}
	}
	if err := generated(dir); err != nil {
		t.Errorf("%s: %v", name, err)
		return oracleTally{}
	}
	base, _, err := systemdCycles(analyze, dir)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return oracleTally{}
	}
	var tl oracleTally
	for i, c := range cases {
		if !full && i%29 != 0 && c.String() != "start_after_user_data=postfix,ssh" {
			continue
		}
		tl.cases++
		verdict, err := judge(analyze, dir, tr, c, base)
		switch {
		case err != nil:
			tl.disagreements = append(tl.disagreements, fmt.Sprintf("%s: %s: %v", name, c, err))
		case verdict == "skip":
			tl.skipped++
		default:
			tl.agree++
			if verdict == "refused" {
				tl.refused++
			}
		}
	}
	return tl
}

// generated lays into dir the links the image's generators make at boot,
// as systemd-analyze --root runs none of them (with --generators=yes,
// systemd 252 runs the host's /usr/lib/systemd/system-generators, not the
// tree's: seen here, it ran the host's postgresql-generator): cloud-init-generator links
// cloud-init.target into multi-user.target.wants when cloud-init is
// enabled (its default); Debian's postfix-instance-generator links
// postfix@-.service into postfix.service.wants.
func generated(dir string) error {
	links := map[string]string{}
	find := func(unit string) string {
		for _, d := range []string{"/etc/systemd/system/", "/lib/systemd/system/"} {
			if _, err := os.Stat(filepath.Join(dir, d, unit)); err == nil {
				return d + unit
			}
		}
		return ""
	}
	if p := find("cloud-init.target"); p != "" {
		links["multi-user.target.wants/cloud-init.target"] = p
	}
	if p := find("postfix@.service"); p != "" {
		links["postfix.service.wants/postfix@-.service"] = p
	}
	for l, target := range links {
		p := filepath.Join(dir, "etc/systemd/system", l)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		_ = os.Remove(p)
		if err := os.Symlink(target, p); err != nil {
			return err
		}
	}
	return nil
}

// judge plans one case, writes what the planner wrote (accepted) or tried
// (refused) into dir, asks systemd, and takes the drop-ins out again. It
// returns "accepted", "refused" or "skip", or the disagreement.
func judge(analyze, dir string, tr *tree.Tree, c oracleCase, base map[string]bool) (string, error) {
	pol := plan.Policy{Version: "oracle", Ordering: append(plan.AfterUserData(c.services...), c.blocks...)}
	inv := initcompat.Inspect(tr, pol)
	for _, s := range c.services {
		if inv.Units.Load(s+".service") == nil {
			return "skip", nil
		}
	}
	for _, b := range c.blocks {
		if inv.Units.Load(b.Unit+".service") == nil {
			return "skip", nil
		}
	}
	pl := initcompat.BuildPlan(tr, pol)
	refusal := ""
	for _, f := range pl.Findings {
		if f.Shim != planner.ShimOrdering || f.Level != plan.Error {
			continue
		}
		if !strings.Contains(f.Message, "cannot break: ") {
			return "", fmt.Errorf("unexpected error: %s", f.Message)
		}
		refusal = f.Message
	}
	files := map[string][]byte{}
	if refusal == "" {
		for _, ch := range pl.Changes {
			if ch.Shim == planner.ShimOrdering && ch.Op == plan.OpWrite {
				files[ch.Path] = ch.Content
			}
		}
	} else {
		for unit, data := range planner.AttemptedOrderings(tr, pol) {
			files["/etc/systemd/system/"+unit+".d/"+planner.OrderingDropIn] = data
		}
	}
	undo, err := writeDropIns(dir, files)
	defer undo()
	if err != nil {
		return "", err
	}
	got, out, err := systemdCycles(analyze, dir)
	if err != nil {
		return "", err
	}
	// A unit systemd does not load is in no transaction and in no cycle:
	// the case would pass for nothing.
	for _, u := range caseUnits(c) {
		for _, bad := range []string{u + ": Cannot add dependency job", "Unit " + u + " has a bad unit file setting", "Unit " + u + " not found"} {
			if strings.Contains(out, bad) {
				return "", fmt.Errorf("systemd does not load %s here (%q): fix the tree", u, bad)
			}
		}
	}
	var fresh []string
	for k := range got {
		if !base[k] {
			fresh = append(fresh, k)
		}
	}
	sort.Strings(fresh)
	if refusal == "" {
		if len(fresh) > 0 {
			return "", fmt.Errorf("the planner accepted; systemd finds the ordering cycle(s) %v and deletes a job", fresh)
		}
		return "accepted", nil
	}
	want := cycleKey(strings.Split(strings.SplitN(strings.SplitN(refusal, "cannot break: ", 2)[1], ";", 2)[0], " after "))
	if len(fresh) == 0 {
		// INITCOMPAT_ORACLE_KEEP=DIR keeps a copy of the tree to look into.
		if os.Getenv("INITCOMPAT_ORACLE_KEEP") != "" {
			keep := filepath.Join(os.Getenv("INITCOMPAT_ORACLE_KEEP"), strings.ReplaceAll(c.String(), "/", "_"))
			_ = exec.Command("cp", "-a", dir, keep).Run()
		}
		return "", fmt.Errorf("the planner refused (%s); systemd finds no cycle with the drop-ins it tried", want)
	}
	// systemd names the first cycle its search meets, the planner the
	// shortest of the component: the same path means one lies on the other.
	for _, k := range fresh {
		if within(want, k) || within(k, want) {
			return "refused", nil
		}
	}
	return "", fmt.Errorf("the planner refused with the cycle %s; systemd's cycles are %v", want, fresh)
}
