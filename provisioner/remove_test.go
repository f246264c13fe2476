//go:build linux

package provisioner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
)

// A manifest planted in the image (issue 23): mode = "remove" deletes
// nothing it names that an OS package owns (dpkg's lists), that lies
// where initcompat never writes, or that lacks initcompat's marker, plants
// no "removed" link outside /etc/systemd/system (/etc/ld.so.preload), and
// takes away no directory the snapshot did not read; on both transports.
func TestPlantedManifestRemovesNothingOfTheImage(t *testing.T) {
	marked := "#!/bin/sh\n" + plan.Marker("0.0.0-test") + "\n"
	const passwd = "root:x:0:0:root:/root:/bin/sh\n"
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	keep := map[string]string{
		"/etc/init.d/pkgscript":   marked, // owned by a package
		"/etc/passwd":             passwd, // never a place initcompat writes
		"/etc/init.d/unmarked":    "#!/bin/sh\necho the image's own\n",
		"/var/lib/stranger/notes": "never read by the snapshot\n",
	}
	for name := range transports("") {
		dir := helloImage(t)
		for p, c := range keep {
			write(t, dir, p, c)
		}
		write(t, dir, "/var/lib/dpkg/info/pkg.list", "/etc\n/etc/init.d\n/etc/init.d/pkgscript\n")
		entries := []string{
			fmt.Sprintf(`{"path": "/etc/init.d/pkgscript", "kind": "file", "sha256": %q, "shim": "lsb-redirect"}`, sum(marked)),
			fmt.Sprintf(`{"path": "/etc/init.d/unmarked", "kind": "file", "sha256": %q, "shim": "lsb-redirect"}`, sum(keep["/etc/init.d/unmarked"])),
			fmt.Sprintf(`{"path": "/etc/passwd", "kind": "file", "sha256": %q, "shim": "lsb-redirect"}`, sum(passwd)),
			`{"path": "/etc/ld.so.preload", "kind": "removed", "target": "/tmp/evil.so", "shim": "disable"}`,
			`{"path": "/var/lib/stranger", "kind": "dir", "shim": "manifest"}`,
		}
		write(t, dir, plan.DefaultManifestPath, `{"generator": "initcompat", "version": "0", "entries": [`+"\n"+strings.Join(entries, ",\n")+"\n]}\n")
		tr := transports(dir)[name]
		snap, _, err := tr.Snapshot(context.Background(), watches, true)
		if err != nil {
			t.Fatal(err)
		}
		pl := initcompat.BuildRemovePlan(snap, pol)
		if err := tr.Apply(context.Background(), pl, protocol.Options{}); err != nil {
			t.Fatalf("%s: remove: %v", name, err)
		}
		for p, c := range keep {
			if got, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(got) != c {
				t.Errorf("%s: remove took %s away or changed it (%v)", name, p, err)
			}
		}
		if _, err := os.Lstat(filepath.Join(dir, "etc/ld.so.preload")); err == nil {
			t.Errorf("%s: remove planted /etc/ld.so.preload", name)
		}
		text := pl.Text()
		for _, why := range []string{"an OS package owns it", "lacks initcompat's marker line", "only ever removes links under /etc/systemd/system"} {
			if !strings.Contains(text, why) {
				t.Errorf("%s: the plan does not say %q:\n%s", name, why, text)
			}
		}
	}
}

// Apply (with a disable), then remove: the image is byte for byte as
// before, on both transports; the links the disable removed come back.
func TestApplyThenRemoveGivesTheImageBack(t *testing.T) {
	for name := range transports("") {
		dir := helloImage(t)
		before := fingerprint(t, dir)
		tr := transports(dir)[name]
		snap, _, err := tr.Snapshot(context.Background(), watches, true)
		if err != nil {
			t.Fatal(err)
		}
		withDisable := pol
		withDisable.Disable = []string{"hello"}
		if err := tr.Apply(context.Background(), initcompat.BuildPlan(snap, withDisable), protocol.Options{}); err != nil {
			t.Fatalf("%s: apply: %v", name, err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "etc/systemd/system/multi-user.target.wants/hello.service")); err == nil {
			t.Fatalf("%s: the disable did not remove the wants link", name)
		}
		snap, _, err = tr.Snapshot(context.Background(), watches, true)
		if err != nil {
			t.Fatal(err)
		}
		rm := initcompat.BuildRemovePlan(snap, pol)
		if len(rm.Errors()) > 0 || rm.Empty() {
			t.Fatalf("%s: remove plan:\n%s", name, rm.Text())
		}
		if err := tr.Apply(context.Background(), rm, protocol.Options{}); err != nil {
			t.Fatalf("%s: remove: %v\n%s", name, err, rm.Text())
		}
		if after := fingerprint(t, dir); after != before {
			t.Fatalf("%s: apply then remove did not give the image back:\n%s\n--- before\n%s\n--- plan\n%s", name, after, before, rm.Text())
		}
		// And a second remove has nothing to do.
		snap, _, _ = tr.Snapshot(context.Background(), watches, true)
		if again := initcompat.BuildRemovePlan(snap, pol); !again.Empty() {
			t.Fatalf("%s: a second remove plans:\n%s", name, again.Text())
		}
	}
}

// A file initcompat wrote and a person edited is kept by remove, and so is
// its directory; the rest goes.
func TestRemoveKeepsEdits(t *testing.T) {
	dir := helloImage(t)
	l := &local{dir: dir}
	if err := l.Apply(context.Background(), planFor(t, l), protocol.Options{}); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "etc/init.d/hello")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n# mine now\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	snap, _, _ := l.Snapshot(context.Background(), watches, true)
	rm := initcompat.BuildRemovePlan(snap, pol)
	if !strings.Contains(rm.Text(), "/etc/init.d/hello: edited since initcompat wrote it") {
		t.Fatalf("no conflict for the edited script:\n%s", rm.Text())
	}
	if err := l.Apply(context.Background(), rm, protocol.Options{}); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(script); err != nil || string(data) != "#!/bin/sh\n# mine now\n" {
		t.Fatalf("the edited script was not kept: %q %v", data, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "etc/rc2.d/S01hello")); err == nil {
		t.Fatal("the rc links were not removed")
	}
}

// A remove killed at any step is recovered like an apply: the image is the
// provisioned one or the pristine one, and a plain second remove gives the
// pristine one.
func TestRemoveKilledRecovers(t *testing.T) {
	provisioned := func(t *testing.T) string {
		dir := helloImage(t)
		l := &local{dir: dir}
		if err := l.Apply(context.Background(), planFor(t, l), protocol.Options{}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	pristine := fingerprint(t, helloImage(t))
	removePlan := func(dir string) *plan.Plan {
		snap, _, err := (&local{dir: dir}).Snapshot(context.Background(), watches, true)
		if err != nil {
			t.Fatal(err)
		}
		return initcompat.BuildRemovePlan(snap, pol)
	}
	dir := provisioned(t)
	full := fingerprint(t, dir)
	n := 0
	if err := (&local{dir: dir, step: func(string, string) error { n++; return nil }}).Apply(context.Background(), removePlan(dir), protocol.Options{}); err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= n; k++ {
		dir := provisioned(t)
		i := 0
		l := &local{dir: dir, step: func(string, string) error {
			if i++; i == k {
				return errKilled
			}
			return nil
		}}
		if err := l.Apply(context.Background(), removePlan(dir), protocol.Options{}); !errors.Is(err, errKilled) && (k != n || err != nil) {
			t.Fatalf("step %d: %v", k, err)
		}
		if _, err := (&local{dir: dir}).Recover(context.Background()); err != nil {
			t.Fatalf("step %d: recovery: %v", k, err)
		}
		if got := fingerprint(t, dir); got != full && got != pristine {
			t.Fatalf("remove killed at step %d: neither provisioned nor pristine:\n%s", k, got)
		}
		if err := (&local{dir: dir}).Apply(context.Background(), removePlan(dir), protocol.Options{}); err != nil {
			t.Fatalf("step %d: the second remove: %v", k, err)
		}
		if got := fingerprint(t, dir); got != pristine {
			t.Fatalf("step %d: not pristine after the second remove:\n%s", k, got)
		}
	}
}

// Issue 23: a file put, between the snapshot and the remove, into a
// directory initcompat made is neither deleted nor taken along with the
// directory, on either transport: the directory stays with it, and the
// build is told which.
func TestRemoveLeavesWhatItNeverSaw(t *testing.T) {
	said := map[string][]string{}
	for name := range transports("") {
		dir := helloImage(t)
		tr := transports(dir)[name]
		if err := tr.Apply(context.Background(), planFor(t, tr), protocol.Options{}); err != nil {
			t.Fatalf("%s: apply: %v", name, err)
		}
		snap, _, err := tr.Snapshot(context.Background(), watches, true)
		if err != nil {
			t.Fatal(err)
		}
		rm := initcompat.BuildRemovePlan(snap, pol)
		made := ""
		for _, c := range rm.Changes {
			if c.Op == plan.OpRemove && c.Prior.Kind == plan.KindDir {
				made = c.Path
			}
		}
		if made == "" {
			t.Fatalf("%s: the remove plan takes away no directory:\n%s", name, rm.Text())
		}
		mine := filepath.Join(dir, made, "mine.conf")
		if err := os.WriteFile(mine, []byte("a person's\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var warnings []string
		if err := tr.Apply(context.Background(), rm, protocol.Options{Warn: func(w string) { warnings = append(warnings, w) }}); err != nil {
			t.Fatalf("%s: remove: %v", name, err)
		}
		if data, err := os.ReadFile(mine); err != nil || string(data) != "a person's\n" {
			t.Fatalf("%s: the file put in %s after the snapshot is gone: %v", name, made, err)
		}
		want := "left " + made + " in place: it holds what initcompat did not make: mine.conf"
		if !slices.Contains(warnings, want) {
			t.Fatalf("%s: warnings %q, want %q", name, warnings, want)
		}
		said[name] = warnings
	}
	if !reflect.DeepEqual(said["local"], said["remote"]) {
		t.Fatalf("the transports warn differently: %q", said)
	}
}
