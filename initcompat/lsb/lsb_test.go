//go:build linux

package lsb

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	h, ok := ParseHeader([]byte(`#!/bin/sh
# chkconfig: 2345 55 25
### BEGIN INIT INFO
# Provides:          cron
# Required-Start:    $remote_fs $syslog $time
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:
# Short-Description: Regular background program processing daemon
# Description:       cron is a standard UNIX program that runs user-specified
#                    programs at periodic scheduled times
### END INIT INFO
`))
	if !ok {
		t.Fatal("header not found")
	}
	if !reflect.DeepEqual(h.Provides, []string{"cron"}) || len(h.RequiredStart) != 3 || len(h.DefaultStop) != 0 {
		t.Errorf("fields: %+v", h)
	}
	if h.Chkconfig != "2345 55 25" || !strings.HasSuffix(h.Description, "periodic scheduled times") {
		t.Errorf("chkconfig %q, description %q", h.Chkconfig, h.Description)
	}
	if _, ok := ParseHeader([]byte("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: x\n")); ok {
		t.Error("an unterminated header counted as a header")
	}
}

func TestRenderedScriptReadsBack(t *testing.T) {
	r := Redirect{Name: "app", Unit: "app.service", Marker: "# marker", RequiredStart: []string{"$network"},
		ShortDesc: "app\nserver\x1b[31m", Chkconfig: true}
	script := Render(r)
	h, ok := ParseHeader(script)
	if !ok {
		t.Fatalf("rendered script has no header:\n%s", script)
	}
	if !reflect.DeepEqual(h.DefaultStart, DefaultStart) || !reflect.DeepEqual(h.DefaultStop, DefaultStop) ||
		!reflect.DeepEqual(h.Provides, []string{"app"}) || !reflect.DeepEqual(h.RequiredStart, []string{"$network"}) {
		t.Errorf("header read back: %+v", h)
	}
	if h.Chkconfig != "2345 20 80" {
		t.Errorf("chkconfig: %q", h.Chkconfig)
	}
	if strings.Contains(h.ShortDesc, "\n") || strings.Contains(string(script), "\x1b") {
		t.Errorf("control characters reached the script: %q", h.ShortDesc)
	}
}

func TestLinks(t *testing.T) {
	on := Links("hello", true, 1, 1)
	var names []string
	for _, l := range on {
		names = append(names, l.Runlevel+":"+l.Name)
	}
	want := "0:K01hello 1:K01hello 2:S01hello 3:S01hello 4:S01hello 5:S01hello 6:K01hello"
	if strings.Join(names, " ") != want {
		t.Errorf("enabled links %v", names)
	}
	for _, l := range Links("hello", false, 1, 1) {
		if !strings.HasPrefix(l.Name, "K01") || l.Target != "../init.d/hello" {
			t.Errorf("disabled link %+v", l)
		}
	}
}

func TestFacilities(t *testing.T) {
	got := FacilitiesFor([]string{"network.target", "network-online.target", "postgresql.service", "remote-fs.target"})
	if !reflect.DeepEqual(got, []string{"$network", "$remote_fs"}) {
		t.Errorf("got %v", got)
	}
}

// Upstart cannot boot on these machines, so the initctl wrapper runs here
// against a stand-in initctl that keeps the job's state in a file and
// answers as Upstart 1.12's initctl does ("hello start/running, process N",
// "hello stop/waiting"), exit 0 for a known job either way.
func TestInitctlWrapperAgainstStandIn(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	fake := `#!/bin/sh
state="` + state + `"
[ -f "$state" ] || echo stop > "$state"
case "$1" in
status) if [ "$(cat "$state")" = start ]; then echo "$2 start/running, process 42"; else echo "$2 stop/waiting"; fi ;;
start) [ "$(cat "$state")" = start ] && { echo "initctl: Job is already running: $2" >&2; exit 1; }; echo start > "$state"; echo "$2 start/running, process 42" ;;
stop) [ "$(cat "$state")" = stop ] && { echo "initctl: Unknown instance:" >&2; exit 1; }; echo stop > "$state"; echo "$2 stop/waiting" ;;
restart) echo start > "$state"; echo "$2 start/running, process 43" ;;
*) exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "initctl"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "hello-upstart")
	if err := os.WriteFile(script, RenderInitctl("hello-upstart", "# marker", "hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, ok := ParseHeader(RenderInitctl("hello-upstart", "# marker", "hello")); !ok {
		t.Fatal("the wrapper has no LSB header")
	}
	run := func(action string) int {
		// The wrapper sets PATH itself: put the stand-in's directory first.
		cmd := exec.Command("sh", "-c", `sed "s#^PATH=#PATH=`+dir+`:#" "$0" | sh -s "$1"`, script, action)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s -> %d: %s", action, code, strings.TrimSpace(string(out)))
		return code
	}
	for _, step := range []struct {
		action string
		want   int
	}{
		{"status", 3}, {"stop", 0}, {"start", 0}, {"status", 0}, {"start", 0},
		{"try-restart", 0}, {"stop", 0}, {"status", 3}, {"try-restart", 0}, {"status", 3}, {"bogus", 2},
	} {
		if got := run(step.action); got != step.want {
			t.Fatalf("%s exited %d, want %d", step.action, got, step.want)
		}
	}
}
