package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The generated matrix: one booted case for each unit setting the mapping
// table (docs/unit-to-lsb.md) supports. Every case is a unit of its own in
// one image, converted by a packer build with the plugin, started at boot by SysV
// init, and judged by what its daemon saw or what the real tools answer.

// matrixDaemon logs what it was started with: user, group, working
// directory, umask, niceness, limits (dash's ulimit -p is RLIMIT_NPROC),
// ambient capabilities, arguments and environment; and each signal.
const matrixDaemon = `#!/bin/sh
n=$1
shift
log=/var/log/matrix/$n.log
{
	echo "start $$ uid=$(id -un) gid=$(id -gn) cwd=$(pwd) umask=$(umask) nice=$(nice) nofile=$(ulimit -n) nproc=$(ulimit -p) core=$(ulimit -c) $(grep CapAmb /proc/self/status | tr -d '\t') args=$*"
	env | sort | sed 's/^/env /'
} >>"$log"
trap 'echo "hup $$" >>"$log"' HUP
trap 'echo "int $$" >>"$log"; exit 0' INT
trap 'echo "term $$" >>"$log"; exit 0' TERM
while :; do sleep 1 & wait $!; done
`

// matrixNotify sends READY=1 on $NOTIFY_SOCKET (sd_notify(3)) a while
// after it starts, and marks the moment first: a start that waited for it
// finds the mark.
const matrixNotify = `#!/usr/bin/perl
use strict;
use Socket;
my $n = $ARGV[0];
select(undef, undef, undef, 0.3);
open(my $f, '>', "/var/log/matrix/$n.ready") or die; close $f;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
send($s, "READY=1", 0, pack_sockaddr_un($ENV{NOTIFY_SOCKET})) or die "send: $!";
$SIG{TERM} = sub { exit 0 };
sleep 1 while 1;
`

type matrixCase struct {
	setting string // the setting the case proves
	name    string
	service string // the [Service] lines
	extra   string // [Unit]/[Install] extras
	check   string // a shell command that exits 0 when the setting holds
}

var matrixCases = []matrixCase{
	{"Type=simple", "m-simple", "Type=simple\nExecStart=/usr/local/bin/md m-simple", "", "service m-simple status && grep -q '^start' /var/log/matrix/m-simple.log"},
	{"Type=exec", "m-exec", "Type=exec\nExecStart=/usr/local/bin/md m-exec", "", "service m-exec status"},
	{"Type=idle", "m-idle", "Type=idle\nExecStart=/usr/local/bin/md m-idle", "", "service m-idle status"},
	{"Type=notify (--notify-await with --chuid)", "m-notify", "Type=notify\nUser=nobody\nExecStart=/usr/local/bin/md-notify m-notify", "",
		"service m-notify stop && rm -f /var/log/matrix/m-notify.ready && service m-notify start && test -e /var/log/matrix/m-notify.ready && service m-notify status"},
	{"Type=forking, PIDFile=", "m-forking", "Type=forking\nPIDFile=/var/run/m-forking.pid\nExecStart=/usr/local/bin/md-fork m-forking", "",
		"service m-forking status && grep -q \"^start $(cat /run/m-forking.pid) \" /var/log/matrix/m-forking.log"},
	{"Type=oneshot, RemainAfterExit=, ExecStop=", "m-oneshot", "Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo ran >>/var/log/matrix/m-oneshot.log'\nExecStop=/bin/sh -c 'echo stopped >>/var/log/matrix/m-oneshot.log'", "",
		"service m-oneshot status && grep -qx ran /var/log/matrix/m-oneshot.log && service m-oneshot stop && grep -qx stopped /var/log/matrix/m-oneshot.log && { service m-oneshot status; test $? = 3; }"},
	{"ExecStartPre= with - and +, ExecStartPost= with $MAINPID", "m-prepost", "User=nobody\nExecStartPre=-/bin/false\nExecStartPre=+/bin/sh -c 'id -un >/var/log/matrix/m-prepost.pre'\nExecStart=/usr/local/bin/md m-prepost\nExecStartPost=/bin/sh -c 'echo $MAINPID >/var/log/matrix/m-prepost.post; id -un >>/var/log/matrix/m-prepost.post'", "",
		"grep -qx root /var/log/matrix/m-prepost.pre && test \"$(head -1 /var/log/matrix/m-prepost.post)\" = \"$(cat /run/initcompat/m-prepost.pid)\" && grep -qx nobody /var/log/matrix/m-prepost.post"},
	{"ExecStop= with $MAINPID", "m-stop", "ExecStart=/usr/local/bin/md m-stop\nExecStop=/bin/kill -INT $MAINPID", "",
		"service m-stop stop && grep -q '^int ' /var/log/matrix/m-stop.log && ! grep -q '^term ' /var/log/matrix/m-stop.log"},
	{"ExecReload=", "m-reload", "ExecStart=/usr/local/bin/md m-reload\nExecReload=/bin/kill -HUP $MAINPID", "",
		"service m-reload reload && sleep 0.3 && grep -q '^hup ' /var/log/matrix/m-reload.log"},
	{"User=, Group=", "m-user", "User=nobody\nGroup=nogroup\nExecStart=/usr/local/bin/md m-user", "", "grep -q 'uid=nobody gid=nogroup' /var/log/matrix/m-user.log"},
	{"WorkingDirectory= with -", "m-wd-missing", "WorkingDirectory=-/nonexistent\nExecStart=/usr/local/bin/md m-wd-missing", "", "grep -q 'cwd=/ ' /var/log/matrix/m-wd-missing.log"},
	{"WorkingDirectory=~", "m-wd-home", "WorkingDirectory=~\nExecStart=/usr/local/bin/md m-wd-home", "", "grep -q 'cwd=/root ' /var/log/matrix/m-wd-home.log"},
	{"RuntimeDirectory=, StateDirectory=, CacheDirectory=, LogsDirectory=, ConfigurationDirectory=", "m-dirs",
		"User=nobody\nRuntimeDirectory=m-dirs\nStateDirectory=m-dirs/sub\nStateDirectoryMode=0700\nCacheDirectory=m-dirs\nLogsDirectory=m-dirs\nConfigurationDirectory=m-dirs\nExecStart=/usr/local/bin/md m-dirs", "",
		"test \"$(stat -c %U /run/m-dirs /var/lib/m-dirs/sub /var/cache/m-dirs /var/log/m-dirs /etc/m-dirs | tr '\\n' ' ')\" = 'nobody nobody nobody nobody root ' && test \"$(stat -c %a /var/lib/m-dirs/sub)\" = 700"},
	{"UMask=", "m-umask", "UMask=0027\nExecStart=/usr/local/bin/md m-umask", "", "grep -q 'umask=0027' /var/log/matrix/m-umask.log"},
	{"Nice=", "m-nice", "Nice=7\nExecStart=/usr/local/bin/md m-nice", "", "grep -q 'nice=7 ' /var/log/matrix/m-nice.log"},
	{"LimitNOFILE=, LimitNPROC= (prlimit), LimitCORE=", "m-limits", "LimitNOFILE=1234\nLimitNPROC=77\nLimitCORE=infinity\nExecStart=/usr/local/bin/md m-limits", "",
		"grep -q 'nofile=1234 nproc=77 core=unlimited' /var/log/matrix/m-limits.log"},
	{"Environment=, EnvironmentFile=", "m-env", "Environment=\"A=one two\" B=x\\\\y\nEnvironmentFile=/etc/default/m-env\nEnvironmentFile=-/etc/default/m-env-missing\nExecStart=/usr/local/bin/md m-env $OPTS ${A}", "",
		"grep -qx 'env A=one two' /var/log/matrix/m-env.log && grep -qx 'env B=x\\\\y' /var/log/matrix/m-env.log && grep -qx 'env C=from the file' /var/log/matrix/m-env.log && grep -q 'args=-a bc one two$' /var/log/matrix/m-env.log"},
	{"specifiers (%N, %n, %t)", "m-spec", "ExecStart=/usr/local/bin/md %N --unit=%n --run=%t", "", "grep -q 'args=--unit=m-spec.service --run=/run$' /var/log/matrix/m-spec.log"},
	{"Restart=on-failure, RestartSec=", "m-restart", "Restart=on-failure\nRestartSec=200ms\nExecStart=/usr/local/bin/md-once m-restart", "",
		"test \"$(grep -c '^start' /var/log/matrix/m-restart.log)\" = 1 && grep -qx failed-once /var/log/matrix/m-restart.log && service m-restart status"},
	{"KillSignal=", "m-killsignal", "KillSignal=SIGINT\nExecStart=/usr/local/bin/md m-killsignal", "", "service m-killsignal stop && grep -q '^int ' /var/log/matrix/m-killsignal.log"},
	{"TimeoutStopSec=, SendSIGKILL", "m-timeout", "TimeoutStopSec=1\nExecStart=/usr/local/bin/md-stubborn m-timeout", "",
		"t0=$(date +%s); service m-timeout stop; t1=$(date +%s); test $((t1-t0)) -le 4 && ! pgrep -f \"md-[s]tubborn\""},
	{"AmbientCapabilities= (User=)", "m-caps", "User=nobody\nAmbientCapabilities=CAP_NET_BIND_SERVICE\nExecStart=/usr/local/bin/md m-caps", "",
		"grep -q 'CapAmb:0000000000000400' /var/log/matrix/m-caps.log"},
	{"Alias= (Provides:)", "m-alias", "ExecStart=/usr/local/bin/md m-alias", "Alias=m-other.service", "grep -q '^# Provides: *m-alias m-other$' /etc/init.d/m-alias && service m-alias status"},
}

const matrixForking = "#!/bin/sh\nsetsid /usr/local/bin/md \"$1\" </dev/null >/dev/null 2>&1 &\necho $! >/run/$1.pid\n"

const matrixOnce = "#!/bin/sh\nif [ ! -e /var/log/matrix/$1.once ]; then : >/var/log/matrix/$1.once; echo failed-once >>/var/log/matrix/$1.log; exit 3; fi\nexec /usr/local/bin/md \"$@\"\n"

const matrixStubborn = "#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 1; done\n"

func TestSysvMatrix(t *testing.T) {
	requireBoot(t)
	img := sysvCopy(t, sysvImage(t))
	writeFiles(t, img, 0o755, map[string]string{
		"usr/local/bin/md": matrixDaemon, "usr/local/bin/md-notify": matrixNotify, "usr/local/bin/md-fork": matrixForking,
		"usr/local/bin/md-once": matrixOnce, "usr/local/bin/md-stubborn": matrixStubborn,
	})
	writeFiles(t, img, 0o644, map[string]string{"etc/default/m-env": "# quoted as systemd.exec(5) says\nC=\"from the file\"\nOPTS='-a b' c\n"})
	if err := mkdirMode(img, "var/log/matrix", 0o1777); err != nil {
		t.Fatal(err)
	}
	for _, c := range matrixCases {
		unit := "[Unit]\nDescription=matrix: " + c.setting + "\n\n[Service]\n" + c.service + "\n\n[Install]\nWantedBy=multi-user.target\n"
		if strings.HasPrefix(c.extra, "Alias=") {
			unit += c.extra + "\n"
		}
		writeFiles(t, img, 0o644, map[string]string{"etc/systemd/system/" + c.name + ".service": unit})
		writeLink(t, img, "etc/systemd/system/multi-user.target.wants/"+c.name+".service", "/etc/systemd/system/"+c.name+".service")
	}
	provisionSysv(t, img, nil) // hand-installed units: all in scope
	m := bootSysv(t, img)
	for _, c := range matrixCases {
		t.Run(c.name, func(t *testing.T) {
			mm := *m
			mm.t = t
			deadline := time.Now().Add(10 * time.Second)
			for {
				out, code := mm.runQuiet(c.check)
				if code == 0 {
					t.Logf("%s: holds", c.setting)
					return
				}
				if time.Now().After(deadline) {
					log, _ := mm.runQuiet("cat /var/log/matrix/" + c.name + ".log; cat /etc/init.d/" + c.name + " | sed -n '/^ic_/,/^$/p'")
					t.Fatalf("%s: %q failed: %s\n%s", c.setting, c.check, out, log)
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
}

// mkdirMode makes root/rel with mode (chmod after mkdir: the umask would
// take the sticky and write bits off).
func mkdirMode(root, rel string, mode os.FileMode) error {
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(p, 0o755); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}
