package initcompat

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The shell runner of the apply protocol: the remote transport feeds this
// program to `sh -s`. Everything is inside one function called on the last
// line, so a script cut short (a dropped connection) runs nothing at all:
// sh meets the end of its input inside the function and stops, or never
// reaches the call. The plugin takes the apply as done only when the
// script prints CompletedToken.
//
// It needs sh, coreutils and tar. INITCOMPAT_ROOT, when set, is prepended
// to every path (tests run the real script against a directory).

// CompletedToken is the last line of a complete apply's output.
const CompletedToken = "initcompat-apply-complete"

// HeldToken is the last line of an apply that stopped for its verify.
const HeldToken = "initcompat-apply-held"

// RecoveredPrefix starts the line a recovery prints on stderr: what it did.
const RecoveredPrefix = "initcompat-recovered "

// shellLib holds what the apply script and the recovery before a snapshot
// share: locking, and recovery from a journal (see apply.go), which
// journal.sh checks first.
var shellLib = journalSh + `R=${INITCOMPAT_ROOT:-}
J="$R` + JournalPath + `"
L="$R` + LockPath + `"
B="$R` + BaselinePath + `"
exists() { [ -e "$1" ] || [ -L "$1" ]; }
hidden() { printf '%s/%s/%s' "${2%/*}" "$1" "${2##*/}"; }
lock() {
	n=0
	while ! mkdir -- "$L" 2>/dev/null; do
		pid=$(cat "$L/pid" 2>/dev/null || true)
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "initcompat: taking over the lock of process $pid, which is gone" >&2
			rm -rf -- "$L"
			continue
		fi
		n=$((n + 1))
		if [ "$n" -gt 120 ]; then
			echo "initcompat: another initcompat run holds $L (process ${pid:-unknown}); wait for it to end, or remove that directory if no build is running" >&2
			exit 75
		fi
		sleep 1
	done
	echo $$ >"$L/pid"
}
unlock() { rm -rf -- "$L"; }
# sd_booted(3): systemd is PID 1 of the machine this runs on (never under
# INITCOMPAT_ROOT, which points at a directory).
sd_booted() { [ -z "$R" ] && [ -d /run/systemd/system ]; }
# analyzed prints what systemd-analyze verify says of the boot transaction
# of the machine this runs on (a booted systemd only; nothing elsewhere).
analyzed() {
	if ! sd_booted || ! command -v systemd-analyze >/dev/null 2>&1; then return 0; fi
	h=$(systemd-analyze --help 2>&1)
	set --
	case $h in *--man*) set -- "$@" --man=no ;; esac
	case $h in *--generators*) set -- "$@" --generators=yes ;; esac
	systemd-analyze verify "$@" default.target 2>&1
	return 0
}
# recover rolls an interrupted apply back, or finishes a complete one.
recover() {
	rm -f -- "$J.new"
	exists "$J" || return 0
	journal_check "$J" || return 1
	state=$(sed -n 's/^state //p' "$J")
	case $state in
	begin | commit | done) ;;
	*)
		echo "initcompat: $J is not a journal this initcompat can read; check the paths it lists and move it away" >&2
		return 1
		;;
	esac
	if [ "$state" = commit ]; then
		while read -r k _ p; do
			[ "$k" = new ] || continue
			s=$R$(hidden ` + stageDir + ` "$p")
			if exists "$s"; then
				rm -f -- "$s" || return 1
			elif exists "$R$p"; then
				rm -f -- "$R$p" || return 1
			fi
		done <"$J"
	fi
	if [ "$state" != done ]; then
		# Shallowest first: a directory set aside comes back before its files.
		sed -n 's/^aside //p' "$J" | sort | while IFS= read -r p; do
			a=$R$(hidden ` + asideDir + ` "$p")
			if exists "$a"; then mv -f -T -- "$a" "$R$p" || exit 1; fi
		done || return 1
	fi
	while read -r k p; do
		case $k in stagedir | asidedir) rm -rf --one-file-system -- "$R$p" || return 1 ;; esac
	done <"$J"
	if [ "$state" != done ]; then
		sed -n 's/^mkdir //p' "$J" | sort -r | while IFS= read -r p; do rmdir -- "$R$p" 2>/dev/null || true; done
	fi
	rm -f -- "$J" "$B" "$B.units" "$B.after" || return 1
	if [ "$state" = done ]; then what=finished; else what="rolled back"; fi
	echo "` + RecoveredPrefix + `$what an apply interrupted in its $state phase" >&2
}
`

// RecoveryScript is run before the snapshot of an apply: it recovers what
// an interrupted apply left, under the lock, and changes nothing else.
func RecoveryScript() string {
	return "initcompat_recover() {\nset -u\n" + shellLib +
		"exists \"$J\" || return 0\nlock\nrecover || { unlock; echo \"initcompat: recovering the journal $J failed; the next run tries again\" >&2; exit 1; }\nunlock\n}\ninitcompat_recover\n"
}

// WriteApplyScript writes the apply script to w.
func WriteApplyScript(w io.Writer, p *Plan) error {
	steps, err := p.Steps()
	if err != nil {
		return err
	}
	// Written as it is made: at 10,000 services the script is ~100 MB, and
	// the plugin never holds it whole.
	b := bufio.NewWriterSize(w, 1<<16)
	// bufio keeps the first write error and returns it from Flush.
	put := func(s string) { _, _ = b.WriteString(s) }
	put("# initcompat apply: nothing runs before the last line.\ninitcompat_apply() {\nset -u\numask 022\n")
	put(`if [ -z "${INITCOMPAT_ROOT:-}" ] && [ "$(id -u)" != 0 ]; then
	echo "initcompat: writing the image needs root, and this shell runs as $(id -un); set use_sudo = true or an execute_command that becomes root" >&2
	exit 77
fi
`)
	put(shellLib)
	put(`fail() {
	echo "initcompat: $*" >&2
	if recover; then
		echo "initcompat: nothing was changed" >&2
	else
		echo "initcompat: undoing the apply failed; $J lists what is left, and the next run undoes it first" >&2
	fi
	unlock
	exit 1
}
changed() { fail "$1 changed since the snapshot ($2); run the build again"; }
absent() { if exists "$1"; then changed "$1" "it exists now"; fi; }
isfile() {
	[ -f "$1" ] && [ ! -L "$1" ] || changed "$1" "no longer a regular file"
	[ "$(sha256sum <"$1" | cut -c1-64)" = "$2" ] || changed "$1" "its content differs"
}
islink() { [ -L "$1" ] && [ "$(readlink -- "$1")" = "$2" ] || changed "$1" "no longer a symlink to $2"; }
isdir() {
	if [ -L "$1" ]; then fail "$1 is a symlink (to $(readlink -- "$1")); initcompat writes only into real directories of the image"; fi
	[ -d "$1" ] || changed "$1" "no longer a directory"
}
journal() { rm -f -- "$J.new" && cat >"$J.new" && { exists "$J" || journal_check "$J.new"; } && mv -f -- "$J.new" "$J" || fail "cannot write the journal $J"; }
lock
trap 'echo "initcompat: interrupted" >&2; recover; unlock; exit 129' HUP INT TERM PIPE
if exists "$J"; then fail "an apply interrupted since the snapshot left $J; run the build again (it recovers first)"; fi
`)
	if hasStaged(steps) {
		if p.Gzip != "" {
			put("payload() {\n\tbase64 -d <<'INITCOMPAT_PAYLOAD' | " + tree.ShellQuote(p.Gzip) + " -dc\n")
		} else {
			put("payload() {\n\tbase64 -d <<'INITCOMPAT_PAYLOAD'\n")
		}
		sum, err := writeArchive(b, steps, p.Gzip != "")
		if err != nil {
			return err
		}
		put("INITCOMPAT_PAYLOAD\n}\n")
		fmt.Fprintf(b, "[ \"$(payload | sha256sum | cut -c1-64)\" = %s ] || fail 'the payload arrived damaged'\n", sum)
	}
	renderSteps(put, steps, len(p.Changes))
	put("}\ninitcompat_apply\n")
	return b.Flush()
}

// renderSteps writes the steps after the checks' helpers: one shell line
// (or a few) per step, the renames of one directory in one mv.
func renderSteps(put func(string), steps []Step, changes int) {
	q := func(p string) string { return `"$R"` + tree.ShellQuote(p) }
	putf := func(format string, args ...any) { put(fmt.Sprintf(format, args...)) }
	unpacked := false
	for i := 0; i < len(steps); i++ {
		s := steps[i]
		switch s.Op {
		case StepIsDir:
			putf("isdir %s\n", q(s.Path))
		case StepAbsent:
			putf("absent %s\n", q(s.Path))
		case StepIsFile:
			putf("isfile %s %s\n", q(s.Path), s.SHA256)
		case StepIsLink:
			putf("islink %s %s\n", q(s.Path), tree.ShellQuote(s.Target))
		case StepJournal:
			putf("journal <<'INITCOMPAT_JOURNAL'\n%sINITCOMPAT_JOURNAL\n", s.Content)
		case StepMkdir:
			if path.Base(s.Path) == stageDir {
				continue // made by the archive
			}
			putf("mkdir -m %04o -- %s || fail %s\n", s.Mode, q(s.Path), tree.ShellQuote("cannot create "+s.Path))
		case StepWrite, StepSymlink:
			if !unpacked {
				unpacked = true
				put("payload | tar -x -m -p -P -f - -C \"${R:-/}\" || fail 'cannot unpack the staged files'\n")
			}
		case StepRename:
			// Renames from one stage directory into its directory go in
			// one mv: the commit of 10,000 files is a few processes.
			dir := path.Dir(s.Target)
			if path.Dir(s.Path) != StageDir(dir) {
				putf("mv -f -T -- %s %s || fail %s\n", q(s.Path), q(s.Target), tree.ShellQuote("cannot move "+s.Path+" to "+s.Target))
				continue
			}
			putf("mv -f -t %s --", q(dir))
			for ; i < len(steps) && steps[i].Op == StepRename && path.Dir(steps[i].Path) == StageDir(dir); i++ {
				putf(" %s", q(steps[i].Path))
			}
			i--
			putf(" || fail %s\n", tree.ShellQuote("cannot rename the staged files into "+dir))
		case StepFinish:
			put("trap '' HUP INT TERM PIPE\nrecover 2>/dev/null || echo \"initcompat: warning: the image is complete, tidying failed; the next run tidies\" >&2\nunlock\n")
		case StepBaseline:
			put("{ rm -f -- \"$B\" && analyzed >\"$B\"; } || fail 'cannot record what systemd-analyze verify says before the apply'\n")
		case StepHeld:
			putf("trap '' HUP INT TERM PIPE\nunlock\necho \"initcompat: committed %d change(s); verifying\"\necho %s\n", changes, HeldToken)
		case StepCompleted:
			putf("echo \"initcompat: applied %d change(s)\"\necho %s\n", changes, CompletedToken)
		}
	}
}

func hasStaged(steps []Step) bool {
	for _, s := range steps {
		if s.Op == StepWrite || s.Op == StepSymlink {
			return true
		}
	}
	return false
}

// lineWriter breaks base64 text into 76-column lines.
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		chunk := min(76-l.col, len(p))
		if _, err := l.w.Write(p[:chunk]); err != nil {
			return n, err
		}
		n += chunk
		p = p[chunk:]
		if l.col += chunk; l.col == 76 {
			if _, err := l.w.Write([]byte{'\n'}); err != nil {
				return n, err
			}
			l.col = 0
		}
	}
	return n, nil
}

// writeArchive streams every staged file and link, with their stage
// directories, as a tar archive in base64 lines, and gives its sha256.
func writeArchive(w io.Writer, steps []Step, compress bool) (string, error) {
	lw := &lineWriter{w: w}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	var out io.Writer = enc
	var gz *gzip.Writer
	if compress {
		// Go's gzip header carries no time or name: the same plan gives
		// the same script.
		gz = gzip.NewWriter(enc)
		out = gz
	}
	h := sha256.New() // of the tar itself, as payload | sha256sum sees it
	tw := tar.NewWriter(io.MultiWriter(out, h))
	hdr := func(hd *tar.Header) error {
		// A fixed time keeps headers in the compact ustar format and the plan
		// deterministic; tar -m gives the files the time of the apply.
		hd.Uname, hd.Gname, hd.ModTime = "root", "root", time.Unix(0, 0)
		return tw.WriteHeader(hd)
	}
	for _, s := range steps {
		name := strings.TrimPrefix(s.Path, "/")
		var err error
		switch {
		case s.Op == StepMkdir && path.Base(s.Path) == stageDir:
			err = hdr(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(s.Mode)})
		case s.Op == StepSymlink:
			err = hdr(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: s.Target, Mode: 0o777})
		case s.Op == StepWrite:
			if err = hdr(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(s.Mode), Size: int64(len(s.Content))}); err == nil {
				_, err = tw.Write(s.Content)
			}
		}
		if err != nil {
			return "", fmt.Errorf("packing %s: %w", s.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return "", fmt.Errorf("packing the staged files: %w", err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return "", fmt.Errorf("packing the staged files: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("packing the staged files: %w", err)
	}
	if lw.col > 0 {
		if _, err := w.Write([]byte{'\n'}); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
