# shellcheck shell=sh
# shellcheck disable=SC2154,SC2317 # the data (the unit) comes above, in each script, and TestScriptsPassTheShell checks every script whole; the verbs are called from that data.
# ---------------------------------------------------------------------------
# The fixed part of every init script initcompat writes from a systemd unit
# (initcompat/unitscript/runtime.sh). It is the same bytes in every script;
# the unit reaches it only as the data above, every value a quoted word.
# POSIX sh, and from the image: start-stop-daemon (dpkg), env, sleep, date,
# mkdir, chown, chmod, rm (coreutils), awk, getent; setpriv and prlimit
# (util-linux) only where the unit asks for what needs them.
# ---------------------------------------------------------------------------

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# systemd's PATH for services (src/basic/path-util.h, DEFAULT_PATH with
# split /usr), which the daemon gets as systemd would give it.
ic_daemon_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The tools, by their paths here: the daemon's environment may set a PATH
# of its own (bookworm's dpkg has /sbin/start-stop-daemon, later ones
# /usr/sbin).
ic_ssdbin=/sbin/start-stop-daemon
[ -x "$ic_ssdbin" ] || ic_ssdbin=/usr/sbin/start-stop-daemon
ic_setprivbin=/usr/bin/setpriv
[ -x "$ic_setprivbin" ] || ic_setprivbin=/bin/setpriv
ic_setsidbin=/usr/bin/setsid
[ -x "$ic_setsidbin" ] || ic_setsidbin=/bin/setsid
ic_run=/run/initcompat
ic_pidfile_main=${ic_pidfile:-$ic_run/$ic_name.pid}
ic_pidfile_sup=$ic_run/$ic_name.supervisor.pid
ic_ready=$ic_run/$ic_name.ready
ic_sidfile=$ic_run/$ic_name.sid
ic_activefile=$ic_run/$ic_name.active

ic_say() { printf '%s\n' "$ic_name ($ic_unit): $*" >&2; }

# ic_quote WORD sets ic_s to WORD as one single-quoted shell word
# (POSIX XCU 2.2.2), each ' written '\''.
ic_quote() {
	ic_r=$1
	ic_s=
	while :; do
		case $ic_r in
		*\'*)
			ic_s="$ic_s${ic_r%%\'*}'\\''"
			ic_r=${ic_r#*\'}
			;;
		*) break ;;
		esac
	done
	ic_s="'$ic_s$ic_r'"
}

# The awk program that reads what systemd reads at run time, and writes it
# back as quoted shell words, each followed by a space:
#   mode=envfile: an EnvironmentFile= as src/basic/env-file.c reads it
#     (parse_env_file_internal's states), each valid NAME=value;
#   mode=split: a variable named alone on a command line, split as
#     replace_env_argv does (extract_first_word, EXTRACT_RELAX|EXTRACT_UNQUOTE).
# Nothing it reads is run.
# shellcheck disable=SC2016
ic_awk='
function q(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
function validname(k) { return k ~ /^[A-Za-z_][A-Za-z0-9_]*$/ }
function validvalue(v) { return v !~ /[\001-\010\013-\037\177]/ }
function out(s) { printf "%s ", q(s) }
function push() {
	k = key; if (lkw >= 0) k = substr(key, 1, lkw)
	v = val; if (st == "VALUE" && lvw >= 0) v = substr(val, 1, lvw)
	if (validname(k) && validvalue(v)) { if (!(k in seen)) order[++n] = k; seen[k] = 1; vals[k] = v }
	key = ""; val = ""
}
function envchar(c) {
	if (st == "PRE_KEY") {
		if (c == "#" || c == ";") st = "COMMENT"
		else if (c !~ /[ \t\n\r]/) { st = "KEY"; lkw = -1; key = key c }
	} else if (st == "KEY") {
		if (c == "\n" || c == "\r") { st = "PRE_KEY"; key = "" }
		else if (c == "=") { st = "PRE_VALUE"; lvw = -1 }
		else {
			if (c !~ /[ \t\n\r]/) lkw = -1; else if (lkw < 0) lkw = length(key)
			key = key c
		}
	} else if (st == "PRE_VALUE") {
		if (c == "\n" || c == "\r") { push(); st = "PRE_KEY" }
		else if (c == "\047") st = "SQ"
		else if (c == "\"") st = "DQ"
		else if (c == "\\") st = "VALUE_ESCAPE"
		else if (c !~ /[ \t]/) { st = "VALUE"; val = val c }
	} else if (st == "VALUE") {
		if (c == "\n" || c == "\r") { push(); st = "PRE_KEY" }
		else if (c == "\\") { st = "VALUE_ESCAPE"; lvw = -1 }
		else {
			if (c !~ /[ \t]/) lvw = -1; else if (lvw < 0) lvw = length(val)
			val = val c
		}
	} else if (st == "VALUE_ESCAPE") {
		st = "VALUE"; if (c != "\n" && c != "\r") val = val c
	} else if (st == "SQ") {
		if (c == "\047") st = "PRE_VALUE"; else val = val c
	} else if (st == "DQ") {
		if (c == "\"") st = "PRE_VALUE"; else if (c == "\\") st = "DQ_ESCAPE"; else val = val c
	} else if (st == "DQ_ESCAPE") {
		st = "DQ"
		if (c == "\"" || c == "\\" || c == "`" || c == "$") val = val c
		else if (c != "\n") val = val "\\" c
	} else if (st == "COMMENT") {
		if (c == "\\") st = "COMMENT_ESCAPE"; else if (c == "\n" || c == "\r") st = "PRE_KEY"
	} else if (st == "COMMENT_ESCAPE") {
		if (c == "\n" || c == "\r") st = "PRE_KEY"; else st = "COMMENT"
	}
}
function splitword(s,   i, c, w, inw, qt, bs) {
	w = ""; inw = 0; qt = ""; bs = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (bs) { w = w c; bs = 0; continue }
		if (qt != "") { if (c == qt) qt = ""; else if (c == "\\") bs = 1; else w = w c; continue }
		if (c == "\\") { bs = 1; inw = 1; continue }
		if (c == "\047" || c == "\"") { qt = c; inw = 1; continue }
		if (c ~ /[ \t\n\r]/) { if (inw) out(w); w = ""; inw = 0; continue }
		w = w c; inw = 1
	}
	if (inw) out(w)
}
BEGIN { st = "PRE_KEY"; n = 0; key = ""; val = ""; lkw = -1; lvw = -1; RS = "\001"
	if (mode == "split") { splitword(ENVIRON["ic_value"]); exit 0 } }
{
	if (NR > 1) envchar("\001")
	for (i = 1; i <= length($0); i++) envchar(substr($0, i, 1))
}
END {
	if (mode == "split") exit 0
	if (st == "PRE_VALUE" || st == "VALUE" || st == "VALUE_ESCAPE" || st == "SQ" || st == "DQ" || st == "DQ_ESCAPE") push()
	for (i = 1; i <= n; i++) out(order[i] "=" vals[order[i]])
}'

# ic_envfile FILE OPTIONAL appends the file's assignments to ic_envq. A
# missing file fails the start unless OPTIONAL (the "-" prefix).
ic_envfile() {
	if [ ! -r "$1" ]; then
		[ "$2" = yes ] && return 0
		ic_say "environment file $1 is missing"
		return 1
	fi
	if ic_envfile_sh "$1"; then
		ic_envq="$ic_envq $ic_fq"
		return 0
	fi
	ic_w=$(awk -v mode=envfile "$ic_awk" "$1") || return 1
	ic_envq="$ic_envq $ic_w"
}

# ic_envfile_sh FILE reads an environment file with the shell alone, by the
# same states as the awk port (env-file.c), into ic_fq; it gives up
# (status 1) on a line with a control character (tab, CR...), which the awk
# port reads instead. No process: most files are a few plain lines.
ic_envfile_sh() {
	ic_fq='' ic_st=PK ic_key='' ic_val='' ic_kw=no ic_vw=no ic_kpre='' ic_vpre=''
	while :; do
		if IFS= read -r ic_l; then
			ic_eol=yes
		else
			ic_eol=no
			[ -n "$ic_l" ] || break
		fi
		case $ic_l in
		*[[:cntrl:]]*) return 1 ;;
		esac
		while [ -n "$ic_l" ]; do
			ic_r=${ic_l#?}
			ic_c=${ic_l%"$ic_r"}
			ic_l=$ic_r
			case $ic_st in
			PK)
				case $ic_c in
				'#' | ';') ic_st=C ;;
				' ') ;;
				*) ic_st=K ic_key=$ic_c ic_kw=no ;;
				esac
				;;
			K)
				case $ic_c in
				=) ic_st=PV ic_vw=no ;;
				' ')
					[ "$ic_kw" = yes ] || ic_kpre=$ic_key ic_kw=yes
					ic_key=$ic_key$ic_c
					;;
				*) ic_key=$ic_key$ic_c ic_kw=no ;;
				esac
				;;
			PV)
				case $ic_c in
				\') ic_st=SQ ;;
				\") ic_st=DQ ;;
				\\) ic_st=VE ;;
				' ') ;;
				*) ic_st=V ic_val=$ic_val$ic_c ;;
				esac
				;;
			V)
				case $ic_c in
				\\) ic_st=VE ic_vw=no ;;
				' ')
					[ "$ic_vw" = yes ] || ic_vpre=$ic_val ic_vw=yes
					ic_val=$ic_val$ic_c
					;;
				*) ic_val=$ic_val$ic_c ic_vw=no ;;
				esac
				;;
			VE) ic_st=V ic_val=$ic_val$ic_c ;;
			SQ)
				case $ic_c in
				\') ic_st=PV ;;
				*) ic_val=$ic_val$ic_c ;;
				esac
				;;
			DQ)
				case $ic_c in
				\") ic_st=PV ;;
				\\) ic_st=DQE ;;
				*) ic_val=$ic_val$ic_c ;;
				esac
				;;
			DQE)
				ic_st=DQ
				case $ic_c in
				\" | \\ | \` | \$) ic_val=$ic_val$ic_c ;;
				*) ic_val=$ic_val\\$ic_c ;;
				esac
				;;
			C) [ "$ic_c" != \\ ] || ic_st=CE ;;
			CE) ic_st=C ;;
			esac
		done
		[ "$ic_eol" = yes ] || break
		# The newline.
		case $ic_st in
		K) ic_st=PK ic_key='' ;;
		PV | V)
			ic_push
			ic_st=PK
			;;
		VE) ic_st=V ;;
		SQ | DQ) ic_val="$ic_val
" ;;
		DQE) ic_st=DQ ;;
		C | CE) ic_st=PK ;;
		esac
	done <"$1"
	case $ic_st in
	PV | V | VE | SQ | DQ | DQE) ic_push ;;
	esac
	return 0
}

# ic_push ends one assignment of ic_envfile_sh: the key less its trailing
# spaces, an unquoted value less its trailing spaces; a name systemd would
# not take is dropped (env_assignment_is_valid).
ic_push() {
	[ "$ic_kw" = yes ] && ic_key=$ic_kpre
	[ "$ic_st" = V ] && [ "$ic_vw" = yes ] && ic_val=$ic_vpre
	case $ic_key in
	'' | [0-9]* | *[!A-Za-z0-9_]*) ;;
	*)
		ic_quote "$ic_key=$ic_val"
		ic_fq="$ic_fq $ic_s"
		;;
	esac
	ic_key='' ic_val='' ic_kw=no ic_vw=no
}

# ic_env NAME=VALUE appends one assignment (Environment=, already quoted).
ic_env() {
	ic_quote "$1"
	ic_envq="$ic_envq $ic_s"
}

# ic_lookup NAME prints the value NAME has in the environment the daemon
# gets (the last assignment wins, as env(1) applies them in order).
ic_lookup() {
	ic_found=
	ic_has=no
	ic_n=$1
	eval "set -- $ic_envq"
	for ic_a; do
		case $ic_a in
		"$ic_n="*)
			ic_found=${ic_a#*=}
			ic_has=yes
			;;
		esac
	done
}

# ic_build_env makes ic_envq: what systemd gives every service, the user's
# variables, Environment=, then EnvironmentFile= (src/core/execute.c,
# build_environment and exec_context_load_environment, in that order).
ic_build_env() {
	ic_envq=
	# Without User=, "~" is root's home (systemd.exec(5), WorkingDirectory=).
	ic_home=/root
	ic_env "PATH=$ic_daemon_path"
	if [ -r /etc/default/locale ]; then
		ic_save=$ic_envq
		ic_envq=
		ic_envfile /etc/default/locale yes || true
		ic_loc=$ic_envq
		ic_envq=$ic_save
		eval "set -- $ic_loc"
		for ic_a; do
			case $ic_a in
			LANG=* | LANGUAGE=* | LC_*=*) ic_env "$ic_a" ;;
			esac
		done
	fi
	if [ -n "$ic_user" ]; then
		ic_passwd "$ic_user" || {
			ic_say "user $ic_user does not exist"
			return 1
		}
		ic_user_fields
		ic_env "HOME=$ic_home"
		ic_env "LOGNAME=$ic_uname"
		ic_env "USER=$ic_uname"
		ic_env "SHELL=${ic_shell:-/bin/sh}"
	fi
	ic_environment
}

# ic_passwd USER sets ic_pw to the user's passwd line: /etc/passwd read
# by the shell (no process), then getent for users NSS knows elsewhere.
ic_passwd() {
	ic_pw=
	case $1 in
	*[!0-9]*) ic_field=1 ;;
	*) ic_field=3 ;;
	esac
	if [ -r /etc/passwd ]; then
		while IFS= read -r ic_line; do
			case $ic_field in
			1) [ "${ic_line%%:*}" = "$1" ] || continue ;;
			3)
				ic_rest=${ic_line#*:*:}
				[ "${ic_rest%%:*}" = "$1" ] || continue
				;;
			esac
			ic_pw=$ic_line
			return 0
		done </etc/passwd
	fi
	ic_pw=$(getent passwd "$1")
}

# ic_user_fields reads ic_pw (a passwd line) into ic_uname, ic_ugid,
# ic_home and ic_shell.
ic_user_fields() {
	ic_ifs=$IFS
	IFS=:
	set -f
	# shellcheck disable=SC2086
	set -- $ic_pw
	set +f
	IFS=$ic_ifs
	ic_uname=$1 ic_ugid=$4 ic_home=$6 ic_shell=${7:-}
}

# The words of one command, collected as quoted shell words in ic_argv.
# ic_prog is the first word as it is, ic_rest the others quoted.
ic_cmd() {
	ic_flags=$1
	ic_argv=
	ic_prog=
	ic_rest=
	ic_nwords=0
	ic_word=
	ic_inword=no
}
ic_endword() {
	if [ "$ic_inword" = yes ]; then
		ic_quote "$ic_word"
		ic_argv="$ic_argv $ic_s"
		if [ "$ic_nwords" = 0 ]; then
			ic_prog=$ic_word
		else
			ic_rest="$ic_rest $ic_s"
		fi
		ic_nwords=$((ic_nwords + 1))
	fi
	ic_word=
	ic_inword=no
}
# ic_w TEXT starts a word; ic_pl TEXT, ic_pv NAME (${NAME}) and ic_ps
# LETTER (a specifier the machine answers) add to it; ic_ws NAME is $NAME
# alone, split into words.
ic_w() {
	ic_endword
	ic_word=$1
	ic_inword=yes
}
ic_pl() { ic_word=$ic_word$1; }
ic_pv() {
	ic_lookup "$1"
	ic_word=$ic_word$ic_found
}
ic_ps() {
	case $1 in
	H) ic_v=$(uname -n) ;;
	l) ic_v=$(uname -n) ic_v=${ic_v%%.*} ;;
	m) ic_v=$(cat /etc/machine-id 2>/dev/null) ;;
	b) ic_v=$(tr -d - </proc/sys/kernel/random/boot_id) ;;
	v) ic_v=$(uname -r) ;;
	*) ic_v='' ;;
	esac
	ic_word=$ic_word$ic_v
}
ic_ws() {
	ic_endword
	ic_lookup "$1"
	[ "$ic_has" = yes ] || return 0
	ic_value=$ic_found
	case $ic_value in
	*[[:cntrl:]]*)
		# Control characters (tab, newline...): systemd's grammar, by the
		# awk port.
		export ic_value
		ic_split=$(awk -v mode=split "$ic_awk" </dev/null)
		unset ic_value
		;;
	*)
		# No control characters: spaces end words; quotes and backslashes
		# as extract_first_word(EXTRACT_RELAX|EXTRACT_UNQUOTE) reads them,
		# by the shell alone.
		ic_split='' ic_wd='' ic_in=no ic_qt='' ic_bs=no ic_l=$ic_value
		while [ -n "$ic_l" ]; do
			ic_r=${ic_l#?}
			ic_c=${ic_l%"$ic_r"}
			ic_l=$ic_r
			if [ "$ic_bs" = yes ]; then
				ic_wd=$ic_wd$ic_c ic_bs=no
			elif [ -n "$ic_qt" ]; then
				if [ "$ic_c" = "$ic_qt" ]; then
					ic_qt=
				elif [ "$ic_c" = \\ ]; then
					ic_bs=yes
				else
					ic_wd=$ic_wd$ic_c
				fi
			else
				case $ic_c in
				\\) ic_bs=yes ic_in=yes ;;
				\' | \") ic_qt=$ic_c ic_in=yes ;;
				' ')
					if [ "$ic_in" = yes ]; then
						ic_quote "$ic_wd"
						ic_split="$ic_split $ic_s"
					fi
					ic_wd='' ic_in=no
					;;
				*) ic_wd=$ic_wd$ic_c ic_in=yes ;;
				esac
			fi
		done
		if [ "$ic_in" = yes ]; then
			ic_quote "$ic_wd"
			ic_split="$ic_split $ic_s"
		fi
		;;
	esac
	ic_argv="$ic_argv $ic_split"
	ic_rest="$ic_rest $ic_split"
}

# ic_asuser: the command runs as User=/Group= unless "+" or "!" says not.
ic_asuser() {
	case $ic_flags in
	*+* | *!*) return 1 ;;
	esac
	[ -n "$ic_user$ic_group" ]
}

# ic_setpriv_words: setpriv (util-linux) changes the user for a command
# that is not the main process, and gives it AmbientCapabilities=.
ic_setpriv_words() {
	ic_sp="setpriv"
	if [ -n "$ic_user" ]; then
		ic_quote "--reuid=$ic_user"
		ic_sp="$ic_sp $ic_s"
		if [ -z "$ic_group" ]; then
			ic_quote "--regid=$ic_ugid"
			ic_sp="$ic_sp $ic_s --init-groups"
		else
			ic_sp="$ic_sp --init-groups"
		fi
	fi
	if [ -n "$ic_group" ]; then
		ic_quote "--regid=$ic_group"
		ic_sp="$ic_sp $ic_s"
	fi
	if [ -n "$ic_caps" ]; then
		ic_quote "--inh-caps=$ic_caps"
		ic_sp="$ic_sp $ic_s"
		ic_quote "--ambient-caps=$ic_caps"
		ic_sp="$ic_sp $ic_s"
	fi
	ic_sp="$ic_sp --"
}

# ic_context: what systemd applies to every command of the unit, in the
# subshell that runs it: umask, working directory. (The limits are set
# once on the script's shell, ic_limits, so prlimit can name it by $$.)
ic_context() {
	[ -z "$ic_umask" ] || umask "$ic_umask"
	ic_workdir_resolve || return 1
	cd "$ic_wd" || return 1
}

# ic_workdir_resolve sets ic_wd: WorkingDirectory= ("~" the user's home;
# with "-", / when it is missing), or /.
ic_workdir_resolve() {
	ic_wd=$ic_workdir
	[ "$ic_wd" = "~" ] && ic_wd=${ic_home:-/}
	[ -n "$ic_wd" ] || ic_wd=/
	if [ ! -d "$ic_wd" ]; then
		if [ "$ic_workdir_optional" = yes ]; then
			ic_wd=/
		else
			ic_say "working directory $ic_wd: not a directory"
			return 1
		fi
	fi
}

# ic_limit FLAG SOFT HARD: a Limit*= dash's ulimit knows, in its units
# (dash src/miscbltin.c, limits[]: -t seconds, -f and -c 512-byte blocks,
# -d -s -m -l -v KiB, -n files); bash, as sh, reads these letters alike.
ic_limit() {
	# shellcheck disable=SC3045
	ulimit -S "-$1" "$2" 2>/dev/null
	# shellcheck disable=SC3045
	if ulimit -H "-$1" "$3" 2>/dev/null && ulimit -S "-$1" "$2" 2>/dev/null; then
		return 0
	fi
	# A hard limit this shell may not raise (no CAP_SYS_RESOURCE, as in a
	# container) stays as high as it is, and the soft one comes as close
	# as it allows: systemd's setrlimit_closest (src/basic/rlimit-util.c).
	# shellcheck disable=SC3045
	ic_h=$(ulimit -H "-$1")
	ic_sl=$2
	if [ "$ic_h" != unlimited ] && { [ "$ic_sl" = unlimited ] || [ "$ic_sl" -gt "$ic_h" ]; }; then
		ic_sl=$ic_h
	fi
	# shellcheck disable=SC3045
	if ! ulimit -S "-$1" "$ic_sl"; then
		ic_say "cannot set ulimit -$1 $2:$3"
		return 1
	fi
	ic_say "ulimit -$1: the hard limit stays $ic_h (it cannot be raised to $3 here); soft $ic_sl"
}

# ic_prlimit RESOURCE SOFT:HARD: a Limit*= dash's ulimit lacks, set on this
# shell by prlimit(1) so that what it starts inherits it.
ic_prlimit() {
	prlimit --pid $$ "--$1=$2" 2>/dev/null && return 0
	# As ic_limit: the soft limit alone when the hard one cannot be raised.
	if prlimit --pid $$ "--$1=${2%%:*}:" 2>/dev/null; then
		ic_say "the $1 hard limit cannot be raised here; soft ${2%%:*}"
		return 0
	fi
	ic_say "cannot set the $1 limit $2 (prlimit); it stays as it is"
}

# ic_run ends a command: the main process of a simple, exec, idle or notify
# service is left in ic_argv for start-stop-daemon; any other runs now.
ic_run() {
	ic_endword
	if [ "$ic_phase" = main ] && [ "$ic_type" != oneshot ] && [ "$ic_type" != forking ]; then
		return 0
	fi
	ic_run_aux
}

# ic_run_aux: a command that is not the main process (ExecStartPre=,
# ExecStartPost=, ExecReload=, ExecStop=, ExecStopPost=, and oneshot and
# forking ExecStart=), in the foreground, with the unit's context.
ic_run_aux() {
	ic_pre=
	if ic_asuser; then
		ic_setpriv_words
		ic_pre=$ic_sp
	fi
	if [ -n "$ic_nice" ]; then
		ic_pre="$ic_pre nice -n $((ic_nice - $(nice)))"
	fi
	(
		ic_context || exit 1
		eval "exec $ic_pre /usr/bin/env --default-signal -i $ic_envq $ic_argv"
	)
	ic_rc=$?
	case $ic_flags in
	*-*) return 0 ;;
	esac
	return "$ic_rc"
}

# ic_ssd_words: start-stop-daemon's options for the main process
# (start-stop-daemon(8)); the command follows --startas.
ic_ssd_words() {
	ic_ssd="--start --quiet"
	ic_quote "$ic_pidfile_main"
	ic_ssd="$ic_ssd --pidfile $ic_s"
	if [ -n "$ic_user" ] && ic_asuser; then
		ic_quote "$ic_user${ic_group:+:$ic_group}"
		ic_ssd="$ic_ssd --chuid $ic_s"
	elif [ -n "$ic_group" ] && ic_asuser; then
		ic_quote "$ic_group"
		ic_ssd="$ic_ssd --group $ic_s"
	fi
	[ -z "$ic_nice" ] || ic_ssd="$ic_ssd --nicelevel $((ic_nice - $(nice)))"
	[ -z "$ic_umask" ] || ic_ssd="$ic_ssd --umask $ic_umask"
	# start-stop-daemon changes to / unless told (start-stop-daemon(8), --chdir).
	ic_workdir_resolve || return 1
	ic_quote "$ic_wd"
	ic_ssd="$ic_ssd --chdir $ic_s"
}

# ic_launch_words sets ic_line: the main process's start-stop-daemon line.
# env(1) --default-signal gives every signal its default action, as
# systemd does before it executes a command (a script started by startpar
# at boot has SIGINT ignored, which a shell daemon could not undo).
# AmbientCapabilities= for a User= service: setpriv gives the capability
# to start-stop-daemon's ambient set and asks the kernel to keep it over
# the user change (SECBIT_NO_SETUID_FIXUP, capabilities(7)); --chuid still
# changes the user, so that --notify-await's socket is the user's
# (utils/start-stop-daemon.c: setup_socket_name and create_notify_socket
# chown it to the --chuid user; without --chuid it stays root's, mode 0700,
# and a daemon running as another user cannot send READY=1).
ic_launch_words() {
	ic_ssd_words || return 1
	ic_progabs=$ic_prog
	case $ic_prog in
	*/*) ;;
	*)
		# A name without a slash: systemd's fixed search path (systemd 239
		# and later), as the daemon's PATH has it.
		ic_ifs=$IFS
		IFS=:
		for ic_d in $ic_daemon_path; do
			if [ -x "$ic_d/$ic_prog" ]; then
				ic_progabs=$ic_d/$ic_prog
				break
			fi
		done
		IFS=$ic_ifs
		;;
	esac
	ic_quote "$ic_progabs"
	ic_line="$ic_ssdbin $ic_ssd $1 --startas $ic_s -- $ic_rest"
	if [ -n "$ic_caps" ] && ic_asuser; then
		ic_quote "$ic_caps"
		ic_line="$ic_setprivbin --securebits=+no_setuid_fixup --inh-caps=$ic_s --ambient-caps=$ic_s -- $ic_line"
	fi
	# env first: start-stop-daemon adds NOTIFY_SOCKET (setup_socket_name)
	# to the environment env(1) made.
	ic_line="/usr/bin/env --default-signal -i $ic_envq $2 $ic_line"
}

ic_readpid() {
	ic_pid=
	[ -r "$1" ] || return 1
	read -r ic_pid <"$1" || true
	case $ic_pid in
	'' | *[!0-9]*)
		ic_pid=
		return 1
		;;
	esac
}

ic_has_reload() { [ "$ic_reload" = yes ]; }

# ic_mainpid PID: $MAINPID for ExecStartPost=, ExecReload=, ExecStop=.
ic_mainpid() {
	ic_env "MAINPID=$1"
}

ic_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# ic_session PID prints the session of PID (/proc/PID/stat, proc(5)).
ic_session() {
	ic_sess=
	{ read -r ic_stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	ic_stat=${ic_stat##*) }
	# shellcheck disable=SC2086
	set -- $ic_stat
	ic_sess=$4
}

# ic_kill_session SID SIGNAL: what is left of the service (KillMode=
# control-group): every process in the daemon's session.
ic_kill_session() {
	[ -n "$1" ] && [ "$1" -gt 1 ] || return 1
	ic_left=
	for ic_f in /proc/[0-9]*/stat; do
		ic_p=${ic_f#/proc/}
		ic_p=${ic_p%/stat}
		[ "$ic_p" = $$ ] && continue
		ic_session "$ic_p" || continue
		[ "$ic_sess" = "$1" ] || continue
		kill "-$2" "$ic_p" 2>/dev/null && ic_left="$ic_left $ic_p"
	done
	[ -n "$ic_left" ]
}

ic_make_dirs() {
	[ -d "$ic_run" ] || mkdir -p "$ic_run" || return 1
	ic_dirs
}

# ic_dir BASE NAME MODE OWNED: RuntimeDirectory= and its kin
# (systemd.exec(5)): BASE/NAME made, the innermost directory owned by
# User=/Group= when OWNED.
ic_dir() {
	case $2 in
	*/*) mkdir -p "$1/${2%/*}" || return 1 ;;
	esac
	if [ "$4" = yes ] && [ -n "$ic_user$ic_group" ]; then
		install -d -m "$3" -o "${ic_user:-root}" -g "${ic_group:-${ic_ugid:-0}}" "$1/$2"
	else
		install -d -m "$3" "$1/$2"
	fi
}

# ic_exit_clean STATUS: a clean exit for Restart= (systemd.service(5),
# "Exit causes"): 0, SIGHUP, SIGINT, SIGTERM, SIGPIPE, or SuccessExitStatus=.
# A shell reports death by signal N as 128+N.
ic_exit_clean() {
	case " 0 129 130 143 141 $ic_success_status " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

ic_should_restart() {
	case " $ic_prevent_status " in
	*" $1 "*) return 1 ;;
	esac
	case " $ic_force_status " in
	*" $1 "*) return 0 ;;
	esac
	ic_signal=no
	[ "$1" -gt 128 ] && ic_signal=yes
	case $ic_restart in
	always) return 0 ;;
	on-success) ic_exit_clean "$1" ;;
	on-failure) ! ic_exit_clean "$1" ;;
	on-abnormal | on-abort) [ "$ic_signal" = yes ] && ! ic_exit_clean "$1" ;;
	*) return 1 ;;
	esac
}

# ic_supervise: Restart= by a loop of this script, run in the background
# by start: the daemon is its child, in a session of its own (setsid(1)),
# with every signal at its default (env --default-signal). TERM (stop, or
# sendsigs at shutdown) ends the loop without a restart; SIGHUP is ignored
# (startpar's pty at boot hangs up when the script ends). Each run is a
# full start, as systemd's auto-restart is: ExecStartPre=, the daemon,
# ExecStartPost=, and ExecStopPost= when it ends. The first run's
# environment and ExecStartPre= were start's own.
ic_supervise() {
	trap 'exit 0' TERM INT
	trap '' HUP
	ic_times=
	while :; do
		if [ "$ic_first" = yes ]; then
			ic_first=no
		else
			ic_build_env || exit 1
			ic_phase=pre
			ic_exec_start_pre || exit 1
		fi
		ic_phase=main
		ic_exec_start || exit 1
		ic_launch_words --make-pidfile "$ic_setsidbin" || exit 1
		(
			ic_context || exit 1
			eval "exec $ic_line"
		) &
		ic_child=$!
		echo "$ic_child" >"$ic_sidfile"
		ic_mainpid "$ic_child"
		ic_phase=post
		ic_exec_start_post
		: >"$ic_ready"
		wait "$ic_child"
		ic_status=$?
		rm -f "$ic_pidfile_main"
		ic_phase=stoppost
		ic_exec_stop_post || true
		ic_should_restart "$ic_status" || exit 0
		# StartLimitIntervalSec=/StartLimitBurst= (systemd.unit(5)).
		ic_now=$(date +%s)
		ic_keep=
		ic_count=0
		for ic_t in $ic_times; do
			if [ $((ic_now - ic_t)) -lt "$ic_limit_interval" ]; then
				ic_keep="$ic_keep $ic_t"
				ic_count=$((ic_count + 1))
			fi
		done
		ic_times="$ic_keep $ic_now"
		if [ "$ic_limit_burst" -gt 0 ] && [ "$ic_limit_interval" -gt 0 ] && [ "$ic_count" -ge "$ic_limit_burst" ]; then
			ic_say "restarted too often ($ic_count times in ${ic_limit_interval}s); giving up"
			exit 1
		fi
		sleep "$ic_restart_sec"
	done
}

ic_running() {
	case $ic_type in
	oneshot)
		[ -e "$ic_activefile" ]
		return
		;;
	esac
	ic_supervisor_alive && return 0
	ic_readpid "$ic_pidfile_main" && ic_alive "$ic_pid"
}

ic_supervisor_alive() {
	ic_readpid "$ic_pidfile_sup" && ic_alive "$ic_pid"
}

ic_do_start() {
	if ic_running; then
		return 0
	fi
	ic_build_env || return 6
	ic_make_dirs || return 1
	ic_limits || return 1
	ic_phase=pre
	ic_exec_start_pre || return 1
	if [ "$ic_restart" != no ] && [ "$ic_type" != oneshot ] && [ "$ic_type" != forking ]; then
		# Restart=: the supervisor starts the daemon as its child, with
		# the environment built here. start returns once the supervisor
		# runs, as systemd's start of a simple service returns at the
		# fork, unless ExecStartPost= must have run first.
		[ ! -e "$ic_ready" ] || rm -f "$ic_ready"
		ic_first=yes
		(
			exec </dev/null >/dev/null 2>&1
			ic_supervise
		) &
		echo "$!" >"$ic_pidfile_sup"
		[ "$ic_post" = yes ] || return 0
		ic_waited=0
		while [ ! -e "$ic_ready" ]; do
			ic_supervisor_alive || return 1
			sleep 0.01
			ic_waited=$((ic_waited + 1))
			[ "$ic_waited" -lt $((ic_timeout_start * 100)) ] || return 1
		done
		return 0
	fi
	ic_phase=main
	case $ic_type in
	oneshot)
		ic_exec_start || return 1
		[ "$ic_remain" = yes ] && : >"$ic_activefile"
		;;
	forking)
		rm -f "$ic_pidfile_main"
		ic_exec_start || return 1
		ic_waited=0
		until ic_readpid "$ic_pidfile_main"; do
			sleep 0.05
			ic_waited=$((ic_waited + 1))
			[ "$ic_waited" -lt $((ic_timeout_start * 20)) ] || {
				ic_say "no PID file $ic_pidfile_main after ${ic_timeout_start}s"
				return 1
			}
		done
		ic_session "$ic_pid" && echo "$ic_sess" >"$ic_sidfile"
		;;
	*)
		ic_exec_start || return 1
		ic_opts="--background --make-pidfile"
		[ "$ic_type" = notify ] && ic_opts="$ic_opts --notify-await --notify-timeout $ic_timeout_start"
		ic_launch_words "$ic_opts" || return 1
		(
			ic_context || exit 1
			eval "exec $ic_line"
		) || return 1
		ic_readpid "$ic_pidfile_main" && echo "$ic_pid" >"$ic_sidfile"
		;;
	esac
	if [ "$ic_type" != oneshot ]; then
		ic_readpid "$ic_pidfile_main"
		ic_mainpid "$ic_pid"
	fi
	ic_phase=post
	ic_exec_start_post || return 1
	return 0
}

ic_do_stop() {
	# The supervisor first, so that nothing restarts what stop ends.
	if ic_supervisor_alive; then
		start-stop-daemon --stop --quiet --pidfile "$ic_pidfile_sup" --retry TERM/5/KILL/5 >/dev/null 2>&1
	fi
	rm -f "$ic_pidfile_sup" "$ic_ready"
	ic_sid=
	[ -r "$ic_sidfile" ] && read -r ic_sid <"$ic_sidfile"
	if [ "$ic_type" = oneshot ]; then
		[ -e "$ic_activefile" ] || return 0
		ic_build_env || true
		ic_phase=stop
		ic_exec_stop || true
		ic_exec_stop_post || true
		rm -f "$ic_activefile"
		ic_remove_runtime
		return 0
	fi
	ic_readpid "$ic_pidfile_main" || true
	[ -n "$ic_sid" ] || ic_sid=$ic_pid
	if ic_alive "$ic_pid"; then
		ic_limits || true
		ic_build_env || true
		ic_mainpid "$ic_pid"
		ic_phase=stop
		ic_exec_stop || true
		ic_retry="$ic_kill_signal/$ic_timeout_stop"
		[ "$ic_send_sigkill" = yes ] && ic_retry="$ic_retry/KILL/5"
		start-stop-daemon --stop --quiet --pidfile "$ic_pidfile_main" --signal "$ic_kill_signal" \
			--retry "$ic_retry" >/dev/null 2>&1
		ic_rc=$?
		[ "$ic_rc" -le 1 ] || ic_say "still running after $ic_retry"
	fi
	case $ic_kill_mode in
	control-group | mixed)
		if ic_kill_session "$ic_sid" "$ic_kill_signal"; then
			ic_i=0
			while ic_kill_session "$ic_sid" 0 && [ "$ic_i" -lt $((ic_timeout_stop * 20)) ]; do
				sleep 0.05
				ic_i=$((ic_i + 1))
			done
			[ "$ic_send_sigkill" = yes ] && ic_kill_session "$ic_sid" KILL
		fi
		;;
	esac
	rm -f "$ic_pidfile_main" "$ic_sidfile"
	ic_phase=stoppost
	ic_build_env || true
	ic_exec_stop_post || true
	ic_remove_runtime
	return 0
}

ic_remove_runtime() {
	[ "$ic_runtime_preserve" = yes ] && return 0
	ic_runtime_dirs
}

ic_do_reload() {
	ic_running || return 7
	ic_has_reload || return 3
	ic_readpid "$ic_pidfile_main" || return 7
	ic_limits || return 1
	ic_build_env || return 1
	ic_mainpid "$ic_pid"
	ic_phase=reload
	ic_exec_reload || return 1
}

ic_do_status() {
	if [ "$ic_type" = oneshot ]; then
		if [ -e "$ic_activefile" ]; then
			echo "$ic_name is running (exited, RemainAfterExit)"
			return 0
		fi
		echo "$ic_name is not running"
		return 3
	fi
	if ic_supervisor_alive; then
		if ic_readpid "$ic_pidfile_main" && ic_alive "$ic_pid"; then
			echo "$ic_name is running (pid $ic_pid, supervised for Restart=$ic_restart)"
		elif [ -e "$ic_ready" ]; then
			echo "$ic_name is restarting (Restart=$ic_restart)"
		else
			echo "$ic_name is starting"
		fi
		return 0
	fi
	start-stop-daemon --status --pidfile "$ic_pidfile_main"
	ic_rc=$?
	case $ic_rc in
	0) echo "$ic_name is running" ;;
	1) echo "$ic_name is not running, but its pid file exists" ;;
	3) echo "$ic_name is not running" ;;
	*) echo "$ic_name: status unknown" ;;
	esac
	return "$ic_rc"
}

# LSB actions and exit codes (LSB Core 5.0, "Init Script Actions").
ic_main() {
	case ${1:-} in
	start)
		ic_do_start
		ic_rc=$?
		[ "$ic_rc" -eq 0 ] || ic_say "failed to start"
		exit "$ic_rc"
		;;
	stop)
		ic_do_stop
		exit $?
		;;
	restart)
		ic_do_stop
		ic_do_start
		exit $?
		;;
	try-restart | condrestart)
		ic_running || exit 0
		ic_do_stop
		ic_do_start
		exit $?
		;;
	reload)
		ic_do_reload
		exit $?
		;;
	force-reload)
		if ic_has_reload; then
			ic_do_reload
			exit $?
		fi
		ic_running || exit 0
		ic_do_stop
		ic_do_start
		exit $?
		;;
	status)
		ic_do_status
		exit $?
		;;
	*)
		echo "Usage: $ic_script {start|stop|restart|try-restart|reload|force-reload|status}" >&2
		exit 2
		;;
	esac
}

ic_main "$@"
