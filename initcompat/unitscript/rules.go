package unitscript

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
)

// Rule maps a group of unit settings. Systemd says what systemd does with
// them, SysV what the script does instead; both are the docs' table.
// Sources: systemd.service(5), systemd.exec(5), systemd.kill(5),
// systemd.unit(5) of systemd/systemd (man/*.xml); start-stop-daemon(8) and
// utils/start-stop-daemon.c of dpkg @c5efef926d16a72fd9270c8efceeba8872419292.
type Rule struct {
	Settings string
	Systemd  string
	SysV     string
	Sources  string // where systemd and start-stop-daemon say so
	apply    func(*conv)
}

// Rules are applied in this order; the docs table lists them so.
var Rules = []Rule{
	{"Description=", "a one-line description",
		"`Short-Description:` and `Description:` of the LSB header, control characters folded",
		"systemd.unit(5) Description=; LSB Core 5.0 \"Comment Conventions for Init Scripts\"", ruleDescription},
	{"Alias= ([Install])", "other names of the unit, made by `systemctl enable`",
		"each is also in `Provides:`, so `Required-Start:` of other scripts can name it",
		"systemd.unit(5) Alias=; insserv(8) Provides", ruleAlias},
	{"After=, Before=, Requires=, BindsTo=, Wants=, RequiresMountsFor=", "ordering, and what a unit pulls in",
		"`Required-Start:`/`Required-Stop:`: the LSB facilities of the targets (`$network` for network(-online).target, `$remote_fs`, `$local_fs`, `$named`, `$time`, `$syslog`, `$portmap`; `RequiresMountsFor=` is `$remote_fs`) and the scripts of units it is `After=` and `Requires=`/`BindsTo=`; `Should-Start:`/`Should-Stop:` the scripts of units it is only `After=`; `X-Start-Before:` the scripts of `Before=` units. An ordering on a unit without a script, and `Wants=`/`Requires=` without `After=` (systemd starts both at once, SysV cannot pull a script in), are findings",
		"systemd.unit(5) After=, Requires=, Wants=, RequiresMountsFor=; systemd v259 src/sysv-generator/sysv-generator.c (the facility map); insserv(8) X-Start-Before", ruleOrdering},
	{"WantedBy=, RequiredBy= ([Install])", "the targets whose start pulls the unit in once enabled",
		"`Default-Start:` `2 3 4 5` for multi-user.target, graphical.target and default.target (Debian's runlevels 2-5 are alike), `S` for sysinit.target, basic.target and local-fs.target; `Default-Stop:` `0 1 6`. Any other target is a finding and `2 3 4 5`. The rc links follow the unit's enablement (its `.wants` links): `S01` in Default-Start and `K01` in Default-Stop, or `K01` everywhere as `update-rc.d NAME disable` leaves them",
		"systemd.unit(5) [Install]; systemd-sysv-generator(8) runlevel map; update-rc.d(8)", ruleInstall},
	{"Type=", "how systemd knows the service started: simple (at fork), exec (at execve), forking (the first process exits), oneshot (each ExecStart= ran), notify (READY=1 on $NOTIFY_SOCKET), notify-reload, dbus (the bus name), idle (simple, delayed)",
		"simple, exec, idle and dbus: `start-stop-daemon --start --background --make-pidfile`; notify and notify-reload: the same with `--notify-await --notify-timeout TimeoutStartSec=`, and `--chuid` for User= because start-stop-daemon makes the notify socket's directory 0700 and chowns it to the `--chuid` user only (utils/start-stop-daemon.c, `setup_socket_name`, `create_notify_socket`); forking: ExecStart= in the foreground, then `PIDFile=` awaited; oneshot: each ExecStart= in turn, with `RemainAfterExit=yes` a state file under /run/initcompat that `status` reads. dbus and exec start as simple (a finding); forking without `PIDFile=` is not converted (nothing to stop it by)",
		"systemd.service(5) Type=, PIDFile=, RemainAfterExit=; dpkg utils/start-stop-daemon.c setup_socket_name, create_notify_socket, daemonize", ruleType},
	{"ExecStart=, ExecStartPre=, ExecStartPost=, ExecReload=, ExecStop=, ExecStopPost=", "command lines: systemd's quoting and C escapes, `;` between lines, specifiers, `${VAR}` as one word and `$VAR` alone split into words, prefixes `-` (failure ignored), `@` (argv[0]), `:` (no variables), `+` and `!` (not as User=), `!!`, `|`; `$MAINPID` in the later ones",
		"read with systemd's grammar at build time, each word written as data; variables are substituted when the command runs, from the same environment the daemon gets (an `EnvironmentFile=` read then), `$VAR` alone split as systemd splits it; `-` ignores the failure, `+` and `!` run as root, `!!` as User= (ambient capabilities exist); `$MAINPID` is the pid file's pid. `@` cannot set argv[0] through start-stop-daemon and env (a finding); `|` is not converted. ExecReload= is `reload`; without it `reload` exits 3 and `force-reload` restarts",
		"systemd.service(5) \"Command lines\"; src/core/load-fragment.c config_parse_exec; src/basic/extract-word.c; src/basic/env-util.c replace_env_argv", ruleExec},
	{"Environment=, EnvironmentFile=, PassEnvironment=, UnsetEnvironment=", "the daemon's environment: PATH, USER/LOGNAME/HOME/SHELL with User=, the locale, then Environment= (quoted words), then each EnvironmentFile= (read at each start, `-` for optional), later winning",
		"the same order, given to the daemon by `env -i` so nothing of the script's environment leaks; Environment= read at build time with systemd's quoting; each EnvironmentFile= read at each start by an awk port of systemd's env-file parser (never sourced as shell); the locale from /etc/default/locale. PassEnvironment= and UnsetEnvironment= are findings (SysV init's environment is not systemd's)",
		"systemd.exec(5) Environment=, EnvironmentFile=; src/basic/env-file.c parse_env_file_internal; src/core/execute.c build_environment", ruleEnvironment},
	{"User=, Group=, DynamicUser=, SupplementaryGroups=", "the credentials of the processes",
		"`start-stop-daemon --chuid USER:GROUP` for the daemon (initgroups(3) gives the user's groups), `setpriv --reuid --regid --init-groups` for the other commands. DynamicUser= is not converted (there is no user to run as); SupplementaryGroups= is a finding",
		"systemd.exec(5) User=, Group=, DynamicUser=; start-stop-daemon(8) --chuid; setpriv(1)", ruleUser},
	{"WorkingDirectory=", "the working directory; `-` ignores a missing one, `~` is the user's home",
		"the same, in the subshell that starts each command (`/` otherwise, as start-stop-daemon's default)",
		"systemd.exec(5) WorkingDirectory=; start-stop-daemon(8) --chdir", ruleWorkDir},
	{"RuntimeDirectory=, StateDirectory=, CacheDirectory=, LogsDirectory=, ConfigurationDirectory=, *DirectoryMode=, RuntimeDirectoryPreserve=", "directories under /run, /var/lib, /var/cache, /var/log, /etc made before the start, the innermost owned by User=/Group= (ConfigurationDirectory= by root), mode *DirectoryMode= (0755); the runtime one removed at stop",
		"the same, made by the script at each start; the runtime directory removed at stop unless `RuntimeDirectoryPreserve=yes`",
		"systemd.exec(5) RuntimeDirectory= and its kin", ruleDirs},
	{"UMask=, Nice=", "the file mode mask (0022) and the scheduling priority",
		"`umask` in the subshell and `--umask`; `--nicelevel` (an increment: the script's own niceness is taken off) or `nice -n` for the other commands",
		"systemd.exec(5) UMask=, Nice=; start-stop-daemon(8) --umask, --nicelevel", ruleUmaskNice},
	{"LimitCPU=, LimitFSIZE=, LimitDATA=, LimitSTACK=, LimitCORE=, LimitRSS=, LimitNOFILE=, LimitAS=, LimitMEMLOCK=, LimitNPROC=, LimitLOCKS=, LimitSIGPENDING=, LimitMSGQUEUE=, LimitNICE=, LimitRTPRIO=, LimitRTTIME=", "setrlimit(2) soft:hard before the command runs; sizes in bytes (K, M, G... are 1024s), `infinity`",
		"dash's `ulimit -H`/`-S` for what it has, in its units (-t seconds; -f, -c 512-byte blocks; -d, -s, -m, -l, -v KiB; -n): a size that is not a whole number of its units, and what dash has no letter for (NPROC: dash's -p is bash's pipe size; LOCKS, SIGPENDING, MSGQUEUE, NICE, RTPRIO, RTTIME), go through util-linux `prlimit --pid $$`",
		"systemd.exec(5) LimitCPU= and its kin; src/basic/rlimit-util.c setrlimit_closest; dash src/miscbltin.c ulimit; prlimit(1)", ruleLimits},
	{"AmbientCapabilities=, CapabilityBoundingSet=, NoNewPrivileges=, SecureBits=", "capabilities the process keeps or gets",
		"AmbientCapabilities= of a User= service: util-linux `setpriv --inh-caps --ambient-caps` with `--securebits=+no_setuid_fixup` around start-stop-daemon, so the capability survives `--chuid` (capabilities(7): without SECBIT_NO_SETUID_FIXUP a change to a non-zero uid clears the ambient set); the other commands get it from `setpriv --reuid`. For root it is a no-op. CapabilityBoundingSet=, NoNewPrivileges= and SecureBits= are findings",
		"systemd.exec(5) AmbientCapabilities=; capabilities(7); setpriv(1)", ruleCaps},
	{"Restart=, RestartSec=, RestartPreventExitStatus=, RestartForceExitStatus=, SuccessExitStatus=, StartLimitIntervalSec=, StartLimitBurst=", "restart the main process when it ends, by the exit's cause; give up after StartLimitBurst= starts in StartLimitIntervalSec= (5 in 10 s)",
		"a supervisor loop in the script itself (`/etc/init.d/NAME __supervise`, started by `start-stop-daemon --background`): the daemon is its child, each restart is a whole start (ExecStartPre=, ExecStart=, ExecStartPost=, ExecStopPost= after), the same exit causes (a shell sees a death by signal N as 128+N: an exit status above 128 reads as a signal) and the same limit; `stop` and shutdown's TERM end the loop first. Type=notify under Restart= starts without `--notify-await` (a finding)",
		"systemd.service(5) Restart= (\"Exit causes\"), RestartSec=; systemd.unit(5) StartLimitIntervalSec=", ruleRestart},
	{"TimeoutStartSec=, TimeoutStopSec=, TimeoutSec=, KillSignal=, SendSIGKILL=, KillMode=, RemainAfterExit=, PIDFile=", "how long a start and a stop may take, the stop signal, what is killed (control-group, mixed, process, none)",
		"`--notify-timeout` and the wait for the supervisor and `PIDFile=`; stop by the pid file only, never `--exec` (a script daemon's exe is its interpreter): `start-stop-daemon --stop --pidfile --retry SIG/TimeoutStopSec/KILL/5`; for control-group and mixed every process left in the daemon's session is then signalled (the session start-stop-daemon's setsid made stands in for the cgroup); `status` by `start-stop-daemon --status --pidfile` (LSB exit codes 0, 1, 3, 4)",
		"systemd.service(5) TimeoutStopSec=; systemd.kill(5) KillMode=, KillSignal=; start-stop-daemon(8) --retry, --status", ruleStop},
	{"Condition*=, Assert*=, OnFailure=, sandboxing (Protect*=, Private*=, ReadWritePaths=, ...), and any other setting", "",
		"a finding at its file and line each: the script runs without it", "", nil},
}

var (
	userRE  = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.-]{0,31}\$?|[0-9]{1,10})$`)
	umaskRE = regexp.MustCompile(`^0?[0-7]{1,3}$`)
	dirRE   = regexp.MustCompile(`^[A-Za-z0-9_.@+-][A-Za-z0-9_.@+/-]*$`)
)

func ruleDescription(c *conv) {
	desc := ""
	if o, ok := c.last("Unit", "Description"); ok {
		if d, err := c.spec.Expand(o.Value); err == nil {
			desc = d
		} else {
			desc = o.Value
		}
	}
	c.all("Unit", "Documentation")
	desc = lsb.OneLine(desc)
	if len(desc) > 200 {
		desc = desc[:200]
	}
	if desc == "" {
		desc = c.in.Unit.Name
	}
	c.header.ShortDesc = desc
	c.header.Description = desc + " (from systemd's " + c.in.Unit.Name + ")"
}

func ruleAlias(c *conv) {
	c.header.Provides = []string{c.in.Name}
	for _, o := range c.list("Install", "Alias") {
		for _, a := range strings.Fields(o.Value) {
			n := systemd.Prefix(a)
			if systemd.Suffix(a) != "service" || !ValidScriptName(n) {
				c.find(o, Honoured, "%q cannot be an LSB name; not in Provides:", a)
				continue
			}
			if !slices.Contains(c.header.Provides, n) {
				c.header.Provides = append(c.header.Provides, n)
			}
		}
	}
	for _, a := range c.in.Aliases {
		if n := systemd.Prefix(a); ValidScriptName(n) && !slices.Contains(c.header.Provides, n) {
			c.header.Provides = append(c.header.Provides, n)
		}
	}
}

// facilities are systemd's units for the LSB facilities, as
// systemd-sysv-generator maps them the other way (lsb.Facilities), plus
// the journal as the syslog.
func facility(u string) (string, bool) {
	if f, ok := lsb.Facilities[u]; ok {
		return f, true
	}
	switch u {
	case "systemd-journald.service", "systemd-journald.socket", "rsyslog.service":
		return "$syslog", true
	}
	return "", false
}

// implicit are units SysV's runlevels order anyway: rcS before rc2.
var implicit = map[string]bool{"sysinit.target": true, "basic.target": true, "multi-user.target": false,
	"local-fs-pre.target": true, "network-pre.target": true, "paths.target": true, "sockets.target": true,
	"timers.target": true, "slices.target": true, "systemd-tmpfiles-setup.service": true, "dbus.socket": true}

func ruleOrdering(c *conv) {
	names := func(key string) map[string]opt {
		m := map[string]opt{}
		for _, o := range c.list("Unit", key) {
			for _, u := range strings.Fields(o.Value) {
				if x, err := c.spec.Expand(u); err == nil {
					u = x
				}
				if _, ok := m[u]; !ok {
					m[u] = o
				}
			}
		}
		return m
	}
	after, before := names("After"), names("Before")
	requires, bindsTo, wants := names("Requires"), names("BindsTo"), names("Wants")
	c.all("Unit", "PartOf")
	c.all("Unit", "DefaultDependencies")
	var reqStart, shouldStart, startBefore []string
	add := func(l *[]string, s string) {
		if !slices.Contains(*l, s) {
			*l = append(*l, s)
		}
	}
	for _, o := range c.list("Unit", "RequiresMountsFor") {
		_ = o
		add(&reqStart, "$remote_fs")
	}
	script := func(u string) (string, bool) {
		n := systemd.Prefix(u)
		if systemd.Suffix(u) != "service" || !ValidScriptName(n) || n == c.in.Name {
			return "", false
		}
		return n, c.in.HasScript != nil && c.in.HasScript(n)
	}
	for _, u := range sortedKeys(after) {
		o := after[u]
		if f, ok := facility(u); ok {
			add(&reqStart, f)
			continue
		}
		if implicit[u] || u == "multi-user.target" || u == "network.target" {
			continue
		}
		n, ok := script(u)
		if !ok {
			c.find(o, Honoured, "after %s: it has no init script here, so the order cannot be kept", u)
			continue
		}
		if _, r := requires[u]; r {
			add(&reqStart, n)
		} else if _, b := bindsTo[u]; b {
			add(&reqStart, n)
		} else {
			add(&shouldStart, n)
		}
	}
	for _, m := range []map[string]opt{requires, bindsTo, wants} {
		for _, u := range sortedKeys(m) {
			if _, ok := after[u]; ok || implicit[u] {
				continue
			}
			if _, ok := facility(u); ok {
				continue
			}
			c.find(m[u], Honoured, "%s is pulled in without ordering; SysV cannot pull a script in, so it starts only if enabled itself", u)
		}
	}
	for _, u := range sortedKeys(before) {
		if u == "shutdown.target" || u == "multi-user.target" || u == "graphical.target" {
			continue
		}
		n, ok := script(u)
		if !ok {
			c.find(before[u], Honoured, "before %s: it has no init script here, so the order cannot be kept", u)
			continue
		}
		add(&startBefore, n)
	}
	for _, o := range c.all("Unit", "Conflicts") {
		for _, u := range strings.Fields(o.Value) {
			if u != "shutdown.target" {
				c.find(o, Unhonoured, "Conflicts=%s: SysV does not stop one script when another starts", u)
			}
		}
	}
	c.header.RequiredStart, c.header.RequiredStop = reqStart, reqStart
	c.header.ShouldStart, c.header.ShouldStop = shouldStart, shouldStart
	c.header.StartBefore = startBefore
}

func sortedKeys(m map[string]opt) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func ruleInstall(c *conv) {
	start := map[string]bool{}
	for _, key := range []string{"WantedBy", "RequiredBy", "UpheldBy"} {
		for _, o := range c.list("Install", key) {
			for _, t := range strings.Fields(o.Value) {
				switch t {
				case "multi-user.target", "graphical.target", "default.target":
					for _, rl := range []string{"2", "3", "4", "5"} {
						start[rl] = true
					}
				case "sysinit.target", "basic.target", "local-fs.target":
					start["S"] = true
				default:
					c.find(o, Honoured, "%s has no runlevel; the script starts in 2 3 4 5", t)
					for _, rl := range []string{"2", "3", "4", "5"} {
						start[rl] = true
					}
				}
			}
		}
	}
	c.all("Install", "Also")
	c.all("Install", "DefaultInstance")
	if len(start) == 0 {
		for _, rl := range []string{"2", "3", "4", "5"} {
			start[rl] = true
		}
	}
	for _, rl := range []string{"S", "2", "3", "4", "5"} {
		if start[rl] {
			c.header.DefaultStart = append(c.header.DefaultStart, rl)
		}
	}
	if start["S"] && len(c.header.DefaultStart) == 1 {
		c.header.DefaultStop = []string{"0", "6"}
	} else {
		c.header.DefaultStop = []string{"0", "1", "6"}
	}
}

func ruleType(c *conv) {
	typ := "simple"
	_, hasStart := c.last("Service", "ExecStart")
	if !hasStart {
		typ = "oneshot"
	}
	c.all("Service", "BusName")
	c.all("Service", "NotifyAccess")
	c.all("Service", "GuessMainPID")
	if o, ok := c.last("Service", "Type"); ok {
		switch o.Value {
		case "simple", "idle", "oneshot", "forking", "notify":
			typ = o.Value
		case "exec":
			typ = "simple"
			c.find(o, Honoured, "started as simple: start-stop-daemon --background returns before the program's execve, so a missing program is seen by status, not by start")
		case "dbus":
			typ = "simple"
			c.find(o, Honoured, "started as simple: nothing waits for the bus name")
		case "notify-reload":
			typ = "notify"
		default:
			c.find(o, NotConverted, "unknown Type=%s", o.Value)
		}
		if typ == "idle" {
			typ = "simple"
		}
	}
	c.typ = typ
	c.set("ic_type", typ)
	if o, ok := c.last("Service", "RemainAfterExit"); ok {
		if b, _ := parseBool(o.Value); b {
			if typ == "oneshot" {
				c.set("ic_remain", "yes")
			} else {
				c.find(o, Unhonoured, "RemainAfterExit= for Type=%s: status follows the daemon's process", typ)
			}
		}
	}
	if o, ok := c.last("Service", "PIDFile"); ok {
		p, err := c.spec.Expand(o.Value)
		switch {
		case err != nil:
			c.find(o, NotConverted, "%v", err)
		case !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\x00\n"):
			c.find(o, NotConverted, "PIDFile=%s is not an absolute path", p)
		default:
			// systemd rewrites /var/run to /run (src/core/load-fragment.c, config_parse_pid_file).
			if strings.HasPrefix(p, "/var/run/") {
				p = "/run/" + strings.TrimPrefix(p, "/var/run/")
			}
			if typ == "forking" {
				c.set("ic_pidfile", p)
			} else {
				c.find(o, Honoured, "PIDFile= of a Type=%s service: the script keeps its own pid file", typ)
			}
		}
	}
	if typ == "forking" && c.vars["ic_pidfile"] == "" {
		c.skipUnit("Type=forking without PIDFile=: systemd guesses the main process from its cgroup, which SysV has not; add PIDFile=")
	}
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off":
		return false, true
	}
	return false, false
}

// execKeys are the command settings and the data function of each.
var execKeys = []struct{ key, fn string }{
	{"ExecStartPre", "ic_exec_start_pre"}, {"ExecStart", "ic_exec_start"}, {"ExecStartPost", "ic_exec_start_post"},
	{"ExecReload", "ic_exec_reload"}, {"ExecStop", "ic_exec_stop"}, {"ExecStopPost", "ic_exec_stop_post"},
}

func ruleExec(c *conv) {
	c.all("Service", "ExecCondition")
	for _, k := range execKeys {
		n := 0
		for _, o := range c.list("Service", k.key) {
			if len(o.Value) > maxValue {
				c.find(o, NotConverted, "over %d bytes", maxValue)
				continue
			}
			cmds, warns, err := systemd.ParseExec(o.Value, c.spec)
			for _, w := range warns {
				c.find(o, Honoured, "%s (as systemd does, with a warning)", w)
			}
			if err != nil {
				if k.key == "ExecStart" {
					c.find(o, NotConverted, "%v", err)
				} else {
					c.find(o, Unhonoured, "systemd ignores this line: %v", err)
				}
				continue
			}
			for _, cmd := range cmds {
				n++
				c.command(o, k.fn, cmd)
			}
		}
		if k.key == "ExecStart" {
			switch {
			case n == 0 && c.typ != "oneshot":
				c.skipUnit("no ExecStart= (systemd refuses such a Type=%s service)", c.typ)
			case n > 1 && c.typ != "oneshot":
				c.skipUnit("more than one ExecStart= for Type=%s (systemd refuses it)", c.typ)
			}
		}
		if k.key == "ExecReload" && n > 0 {
			c.set("ic_reload", "yes")
		}
		if k.key == "ExecStartPost" && n > 0 {
			c.set("ic_post", "yes")
		}
	}
	if o, ok := c.last("Service", "Type"); ok && o.Value == "notify-reload" && c.vars["ic_reload"] != "yes" {
		sig := "HUP"
		if r, ok := c.last("Service", "ReloadSignal"); ok {
			sig = strings.TrimPrefix(strings.ToUpper(r.Value), "SIG")
		}
		if signalNumber(sig) == 0 {
			c.find(o, Unhonoured, "ReloadSignal=%s is not a signal initcompat knows; reload is not available", sig)
		} else {
			c.call("ic_exec_reload", "ic_cmd", "")
			c.call("ic_exec_reload", "ic_w", "/bin/kill")
			c.call("ic_exec_reload", "ic_w", "-"+sig)
			c.call("ic_exec_reload", "ic_w", "")
			c.call("ic_exec_reload", "ic_pv", "MAINPID")
			c.call("ic_exec_reload", "ic_run")
			c.set("ic_reload", "yes")
		}
	} else {
		c.all("Service", "ReloadSignal")
	}
}

// command writes one command line as runtime verbs.
func (c *conv) command(o opt, fn string, cmd systemd.Command) {
	flags := ""
	if cmd.Ignore {
		flags += "-"
	}
	if cmd.Privileged {
		flags += "+"
	}
	if cmd.NoSetUID && !cmd.AmbientOK {
		flags += "!"
	}
	args := cmd.Args
	if cmd.Argv0 {
		c.find(o, Unhonoured, "\"@\": argv[0] %q cannot be set through start-stop-daemon and env; the program gets its path as argv[0]", args[0])
		args = args[1:]
	}
	if cmd.AmbientOK {
		c.find(o, Honoured, "\"!!\": ambient capabilities exist here, so the command runs as User= with them")
	}
	if cmd.Shell {
		c.find(o, NotConverted, "\"|\" (run through the user's shell) is not converted")
		return
	}
	if strings.ContainsRune(cmd.Path, 0) {
		c.find(o, NotConverted, "a specifier only the running machine knows in the executable's path")
		return
	}
	if fn == "ic_exec_start" && strings.Contains(cmd.Path, "=") {
		c.find(o, NotConverted, "an executable path with \"=\" would be read by env(1) as an assignment")
		return
	}
	if cmd.Ignore && fn == "ic_exec_start" && c.typ != "oneshot" {
		c.find(o, Honoured, "\"-\" on the main process: its failure exit counts as clean for Restart=")
	}
	c.call(fn, "ic_cmd", flags)
	c.call(fn, "ic_w", cmd.Path)
	for _, a := range args {
		w := systemd.ExpandWord(a, cmd.NoEnv)
		if w.Split != "" {
			if !systemd.ValidEnvName(w.Split) {
				c.find(o, Honoured, "$%s is no variable name; systemd drops the word, and so does the script", w.Split)
				continue
			}
			c.call(fn, "ic_ws", w.Split)
			continue
		}
		parts := w.Parts
		if len(parts) > 0 && parts[0].Kind == systemd.Literal {
			c.call(fn, "ic_w", parts[0].Text)
			parts = parts[1:]
		} else {
			c.call(fn, "ic_w", "")
		}
		for _, p := range parts {
			switch p.Kind {
			case systemd.Literal:
				c.call(fn, "ic_pl", p.Text)
			case systemd.Variable:
				if systemd.ValidEnvName(p.Text) {
					c.call(fn, "ic_pv", p.Text)
				}
			case systemd.Runtime:
				c.call(fn, "ic_ps", p.Text)
			}
		}
	}
	c.call(fn, "ic_run")
}

func ruleEnvironment(c *conv) {
	for _, o := range c.list("Service", "Environment") {
		words, unknown, err := systemd.SplitWords(o.Value)
		if err != nil {
			c.find(o, Unhonoured, "systemd ignores this line: %v", err)
			continue
		}
		for _, u := range unknown {
			c.find(o, Honoured, "unknown escape %s kept verbatim (as systemd does, with a warning)", u)
		}
		for i, w := range words {
			x, err := c.spec.Expand(w)
			if err != nil || strings.ContainsRune(x, 0) {
				c.find(o, Unhonoured, "%q: a specifier initcompat cannot resolve in Environment=; left out", w)
				words[i] = ""
				continue
			}
			words[i] = x
		}
		good, bad := systemd.ParseEnvironment(slices.DeleteFunc(words, func(s string) bool { return s == "" }))
		for _, b := range bad {
			c.find(o, Honoured, "%q is no valid assignment; systemd ignores it, and so does the script", b)
		}
		for _, a := range good {
			if len(a.Value) > maxValue {
				c.find(o, Unhonoured, "%s is over %d bytes; left out", a.Name, maxValue)
				continue
			}
			c.call("ic_environment", "ic_env", a.Name+"="+a.Value)
		}
	}
	for _, o := range c.list("Service", "EnvironmentFile") {
		p := o.Value
		optional := strings.HasPrefix(p, "-")
		p = strings.TrimPrefix(p, "-")
		x, err := c.spec.Expand(p)
		if err != nil || !strings.HasPrefix(x, "/") || strings.ContainsAny(x, "\x00\n") {
			c.find(o, Unhonoured, "EnvironmentFile=%s: not an absolute path systemd would read; left out", p)
			continue
		}
		if strings.ContainsAny(x, "*?[") {
			c.find(o, Unhonoured, "EnvironmentFile=%s: a glob; the script reads the one file of that name", x)
		}
		opt := "no"
		if optional {
			opt = "yes"
		}
		c.call("ic_environment", "ic_envfile", x, opt)
	}
	for _, k := range []string{"PassEnvironment", "UnsetEnvironment"} {
		for _, o := range c.list("Service", k) {
			c.find(o, Unhonoured, "%s=%s: SysV init's environment is not systemd's; the script passes only what the unit sets", k, o.Value)
		}
	}
}

func ruleUser(c *conv) {
	for _, k := range []string{"User", "Group"} {
		o, ok := c.last("Service", k)
		if !ok || o.Value == "" {
			continue
		}
		v, err := c.spec.Expand(o.Value)
		if err != nil || !userRE.MatchString(v) {
			c.find(o, NotConverted, "%q is not a user or group name initcompat can pass on", o.Value)
			continue
		}
		if k == "User" {
			c.user = v
			c.set("ic_user", v)
		} else {
			c.group = v
			c.set("ic_group", v)
		}
	}
	if o, ok := c.last("Service", "DynamicUser"); ok {
		if b, _ := parseBool(o.Value); b {
			c.find(o, NotConverted, "DynamicUser=yes: systemd makes a user at each start; SysV has none to run as (create one and set User=)")
		}
	}
	for _, o := range c.list("Service", "SupplementaryGroups") {
		c.find(o, Unhonoured, "SupplementaryGroups=%s: the processes get the groups /etc/group gives the user, not these", o.Value)
	}
}

func ruleWorkDir(c *conv) {
	o, ok := c.last("Service", "WorkingDirectory")
	if !ok || o.Value == "" {
		return
	}
	v := o.Value
	if strings.HasPrefix(v, "-") {
		c.set("ic_workdir_optional", "yes")
		v = v[1:]
	}
	x, err := c.spec.Expand(v)
	if err != nil || x != "~" && !strings.HasPrefix(x, "/") || strings.ContainsAny(x, "\x00\n") {
		c.find(o, NotConverted, "WorkingDirectory=%s is neither absolute nor ~", v)
		return
	}
	c.set("ic_workdir", x)
}

func ruleDirs(c *conv) {
	for _, d := range []struct{ key, base string }{
		{"RuntimeDirectory", "/run"}, {"StateDirectory", "/var/lib"}, {"CacheDirectory", "/var/cache"},
		{"LogsDirectory", "/var/log"}, {"ConfigurationDirectory", "/etc"},
	} {
		mode := "0755"
		if o, ok := c.last("Service", d.key+"Mode"); ok {
			if umaskRE.MatchString(o.Value) {
				mode = o.Value
			} else {
				c.find(o, Unhonoured, "%q is not a mode; 0755", o.Value)
			}
		}
		owned := "yes"
		if d.key == "ConfigurationDirectory" {
			owned = "no"
		}
		for _, o := range c.list("Service", d.key) {
			for _, n := range strings.Fields(o.Value) {
				name, link, _ := strings.Cut(n, ":")
				x, err := c.spec.Expand(name)
				if err != nil || !dirRE.MatchString(x) || strings.Contains("/"+x+"/", "/../") || strings.Contains("/"+x+"/", "/./") {
					c.find(o, Unhonoured, "%q is not a relative directory name; not made", name)
					continue
				}
				if link != "" {
					c.find(o, Unhonoured, "%s: the symlink %s is not made", n, link)
				}
				c.call("ic_dirs", "ic_dir", d.base, x, mode, owned)
				if d.key == "RuntimeDirectory" {
					c.call("ic_runtime_dirs", "rm", "-rf", "--", d.base+"/"+x)
				}
			}
		}
	}
	if o, ok := c.last("Service", "RuntimeDirectoryPreserve"); ok {
		if b, _ := parseBool(o.Value); b || o.Value == "restart" {
			c.set("ic_runtime_preserve", "yes")
		}
	}
}

func ruleUmaskNice(c *conv) {
	if o, ok := c.last("Service", "UMask"); ok {
		if umaskRE.MatchString(o.Value) {
			c.set("ic_umask", o.Value)
		} else {
			c.find(o, Unhonoured, "%q is not a umask; 0022", o.Value)
		}
	}
	if o, ok := c.last("Service", "Nice"); ok {
		n, err := strconv.Atoi(o.Value)
		if err != nil || n < -20 || n > 19 {
			c.find(o, Unhonoured, "%q is not a nice level (-20..19); left out", o.Value)
		} else {
			c.set("ic_nice", strconv.Itoa(n))
		}
	}
}

// limitInfo is one Limit*= setting: dash's ulimit letter and the size of
// its unit in the setting's unit, or prlimit's resource name.
var limitInfo = []struct {
	key     string
	letter  string // dash ulimit, "" when dash has none for it
	unit    uint64 // bytes (or seconds, or items) per ulimit unit
	prlimit string
	kind    string // "bytes", "sec", "count", "usec", "nice"
}{
	{"LimitCPU", "t", 1, "cpu", "sec"},
	{"LimitFSIZE", "f", 512, "fsize", "bytes"},
	{"LimitDATA", "d", 1024, "data", "bytes"},
	{"LimitSTACK", "s", 1024, "stack", "bytes"},
	{"LimitCORE", "c", 512, "core", "bytes"},
	{"LimitRSS", "m", 1024, "rss", "bytes"},
	{"LimitNOFILE", "n", 1, "nofile", "count"},
	{"LimitAS", "v", 1024, "as", "bytes"},
	{"LimitMEMLOCK", "l", 1024, "memlock", "bytes"},
	{"LimitNPROC", "", 1, "nproc", "count"},
	{"LimitLOCKS", "", 1, "locks", "count"},
	{"LimitSIGPENDING", "", 1, "sigpending", "count"},
	{"LimitMSGQUEUE", "", 1, "msgqueue", "bytes"},
	{"LimitNICE", "", 1, "nice", "nice"},
	{"LimitRTPRIO", "", 1, "rtprio", "count"},
	{"LimitRTTIME", "", 1, "rttime", "usec"},
}

const unlimited = math.MaxUint64

// parseLimit reads one side of a Limit*= value (src/shared/rlimit-util.c,
// rlimit_parse_one): "infinity", a number with the kind's units.
func parseLimit(s, kind string) (uint64, bool) {
	if s == "infinity" {
		return unlimited, true
	}
	switch kind {
	case "bytes":
		mult := uint64(1)
		if n := len(s); n > 0 {
			i := strings.IndexByte("KMGTPE", s[n-1])
			if i >= 0 {
				mult = 1 << (10 * (i + 1))
				s = s[:n-1]
			} else if s[n-1] == 'B' {
				s = s[:n-1]
			}
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil || mult > 1 && v > math.MaxUint64/mult {
			return 0, false
		}
		return v * mult, true
	case "sec", "usec":
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			return v, true
		}
		d, err := systemd.ParseTimespan(s)
		if err != nil || d == systemd.Infinity {
			return 0, false
		}
		if kind == "sec" {
			return uint64(math.Ceil(d.Seconds())), true
		}
		return uint64(d / time.Microsecond), true
	case "nice":
		// LimitNICE= takes a nice level with a sign ("+5", "-10"), or the
		// raw 0..40 (rlimit_parse_nice).
		if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
			n, err := strconv.Atoi(s)
			if err != nil || n < -20 || n > 19 {
				return 0, false
			}
			return uint64(20 - n), true
		}
		v, err := strconv.ParseUint(s, 10, 64)
		return v, err == nil && v <= 40
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

func ruleLimits(c *conv) {
	for _, l := range limitInfo {
		o, ok := c.last("Service", l.key)
		if !ok || o.Value == "" {
			continue
		}
		soft, hard, two := strings.Cut(o.Value, ":")
		if !two {
			hard = soft
		}
		s, ok1 := parseLimit(soft, l.kind)
		h, ok2 := parseLimit(hard, l.kind)
		if !ok1 || !ok2 || s > h {
			c.find(o, Unhonoured, "%q is not a limit systemd takes; left out", o.Value)
			continue
		}
		word := func(v uint64, unit uint64) string {
			if v == unlimited {
				return "unlimited"
			}
			return strconv.FormatUint(v/unit, 10)
		}
		if l.letter != "" && (s == unlimited || s%l.unit == 0) && (h == unlimited || h%l.unit == 0) {
			c.call("ic_limits", "ic_limit", l.letter, word(s, l.unit), word(h, l.unit))
			continue
		}
		c.call("ic_limits", "ic_prlimit", l.prlimit, word(s, 1)+":"+word(h, 1))
		if l.letter != "" {
			c.find(o, Honoured, "%s is not a whole number of dash's ulimit -%s units; set by prlimit", o.Value, l.letter)
		}
	}
}

// capRE is a capability name as setpriv takes it (cap_net_bind_service).
var capRE = regexp.MustCompile(`^(?i)cap_[a-z_]+$`)

func ruleCaps(c *conv) {
	var caps []string
	for _, o := range c.list("Service", "AmbientCapabilities") {
		v := o.Value
		invert := strings.HasPrefix(v, "~")
		if invert {
			c.find(o, Unhonoured, "an inverted capability list is not converted")
			continue
		}
		for _, n := range strings.Fields(v) {
			if !capRE.MatchString(n) {
				c.find(o, Unhonoured, "%q is no capability name; left out", n)
				continue
			}
			n = strings.ToLower(strings.TrimPrefix(strings.ToLower(n), "cap_"))
			if !slices.Contains(caps, "+"+n) {
				caps = append(caps, "+"+n)
			}
		}
	}
	if len(caps) > 0 {
		if c.user == "" || c.user == "root" || c.user == "0" {
			// Root has every capability already.
		} else {
			c.set("ic_caps", strings.Join(caps, ","))
		}
	}
	for _, k := range []string{"CapabilityBoundingSet", "NoNewPrivileges", "SecureBits"} {
		for _, o := range c.list("Service", k) {
			c.find(o, Unhonoured, "%s=%s is not applied: the daemon runs with the capabilities and privileges its user has", k, o.Value)
		}
	}
}

// signals are the signal names a unit may give, by number (signal(7), x86 and arm).
var signals = map[string]int{"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
	"USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18,
	"STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27,
	"WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31}

func signalNumber(s string) int {
	s = strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return n
	}
	return signals[s]
}

// statusList reads SuccessExitStatus= and its kin: exit codes and signal
// names, as the statuses a shell's wait reports (128+N for a signal).
func (c *conv) statusList(key string) string {
	var out []string
	for _, o := range c.list("Service", key) {
		for _, w := range strings.Fields(o.Value) {
			if n, err := strconv.Atoi(w); err == nil && n >= 0 && n <= 255 {
				out = append(out, strconv.Itoa(n))
				continue
			}
			if n := signalNumber(w); n > 0 && strings.TrimLeft(w, "0123456789") != "" {
				out = append(out, strconv.Itoa(128+n))
				continue
			}
			c.find(o, Unhonoured, "%q is no exit status or signal initcompat knows; left out", w)
		}
	}
	return strings.Join(out, " ")
}

func ruleRestart(c *conv) {
	if o, ok := c.last("Service", "Restart"); ok {
		switch o.Value {
		case "no", "":
		case "always", "on-success", "on-failure", "on-abnormal", "on-abort":
			c.set("ic_restart", o.Value)
		case "on-watchdog":
			c.find(o, Unhonoured, "on-watchdog: there is no watchdog on SysV, so the script never restarts")
		default:
			c.find(o, Unhonoured, "unknown Restart=%s; no restart", o.Value)
		}
		if c.vars["ic_restart"] != "" && c.typ == "oneshot" {
			c.find(o, Unhonoured, "Restart= of a oneshot service is not converted")
			delete(c.vars, "ic_restart")
		}
		if c.vars["ic_restart"] != "" && c.typ == "forking" {
			c.find(o, Unhonoured, "Restart= of a forking service is not converted: its daemon is nobody's child")
			delete(c.vars, "ic_restart")
		}
		if c.vars["ic_restart"] != "" && c.typ == "notify" {
			c.find(o, Honoured, "under Restart= the daemon starts without --notify-await: start returns when it runs, not when it is ready")
		}
	}
	if o, ok := c.last("Service", "RestartSec"); ok {
		if d, err := systemd.ParseTimespan(o.Value); err == nil && d != systemd.Infinity {
			c.set("ic_restart_sec", strconv.FormatFloat(d.Seconds(), 'f', -1, 64))
		} else {
			c.find(o, Unhonoured, "%q is not a time span; 100ms", o.Value)
		}
	}
	for _, k := range []struct{ sec, key, v string }{{"Unit", "StartLimitIntervalSec", "ic_limit_interval"}, {"Service", "StartLimitInterval", "ic_limit_interval"}} {
		if o, ok := c.last(k.sec, k.key); ok {
			d, err := systemd.ParseTimespan(o.Value)
			switch {
			case err != nil:
				c.find(o, Unhonoured, "%q is not a time span", o.Value)
			case d == systemd.Infinity || d == 0:
				c.set(k.v, "0")
			default:
				c.set(k.v, strconv.Itoa(int(math.Ceil(d.Seconds()))))
			}
		}
	}
	for _, k := range []struct{ sec, key string }{{"Unit", "StartLimitBurst"}, {"Service", "StartLimitBurst"}} {
		if o, ok := c.last(k.sec, k.key); ok {
			if n, err := strconv.Atoi(o.Value); err == nil && n >= 0 {
				c.set("ic_limit_burst", strconv.Itoa(n))
			} else {
				c.find(o, Unhonoured, "%q is not a number", o.Value)
			}
		}
	}
	c.all("Unit", "StartLimitAction")
	c.set("ic_success_status", c.statusList("SuccessExitStatus"))
	c.set("ic_prevent_status", c.statusList("RestartPreventExitStatus"))
	c.set("ic_force_status", c.statusList("RestartForceExitStatus"))
}

// seconds writes a time span as whole seconds, rounded up; infinity as a
// day short of start-stop-daemon's int.
func seconds(d time.Duration) string {
	if d == systemd.Infinity || d.Seconds() > 1<<30 {
		return "1073741824"
	}
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}

func ruleStop(c *conv) {
	span := func(key string) (time.Duration, bool) {
		o, ok := c.last("Service", key)
		if !ok {
			return 0, false
		}
		d, err := systemd.ParseTimespan(o.Value)
		if err != nil {
			c.find(o, Unhonoured, "%q is not a time span", o.Value)
			return 0, false
		}
		if d == 0 {
			d = systemd.Infinity // 0 turns the timeout off (systemd.service(5))
		}
		return d, true
	}
	if d, ok := span("TimeoutSec"); ok {
		c.set("ic_timeout_start", seconds(d))
		c.set("ic_timeout_stop", seconds(d))
	}
	if d, ok := span("TimeoutStartSec"); ok {
		c.set("ic_timeout_start", seconds(d))
	}
	if d, ok := span("TimeoutStopSec"); ok {
		c.set("ic_timeout_stop", seconds(d))
	}
	c.all("Service", "TimeoutAbortSec")
	if o, ok := c.last("Service", "KillSignal"); ok {
		if n := signalNumber(o.Value); n > 0 {
			for name, v := range signals {
				if v == n {
					c.set("ic_kill_signal", name)
				}
			}
		} else {
			c.find(o, Unhonoured, "%q is no signal initcompat knows; TERM", o.Value)
		}
	}
	if o, ok := c.last("Service", "SendSIGKILL"); ok {
		if b, ok := parseBool(o.Value); ok && !b {
			c.set("ic_send_sigkill", "no")
		}
	}
	c.all("Service", "SendSIGHUP")
	c.all("Service", "FinalKillSignal")
	if o, ok := c.last("Service", "KillMode"); ok {
		switch o.Value {
		case "control-group", "mixed", "process":
			c.set("ic_kill_mode", o.Value)
		case "none":
			c.set("ic_kill_mode", "none")
			c.find(o, Honoured, "KillMode=none: stop runs ExecStop= and still signals the main process, as start-stop-daemon --stop does")
		default:
			c.find(o, Unhonoured, "unknown KillMode=%s", o.Value)
		}
	}
}
