package protocol

import "errors"

// FaultKind is how a Fault breaks an apply.
type FaultKind string

// The kinds of Fault. The shell runner is sent the signal (SIGHUP and
// SIGTERM are trapped and roll back at once, SIGKILL leaves the journal);
// the os.Root runner fails the step (FaultFail, FaultHangup, FaultTerm:
// the same rollback) or stops dead (FaultKill).
const (
	FaultFail   FaultKind = "fail"
	FaultKill   FaultKind = "KILL"
	FaultHangup FaultKind = "HUP"
	FaultTerm   FaultKind = "TERM"
)

// Fault breaks an apply before step At (an index into Steps' result):
// tests hold both runners to the same images with it. At must be one of
// Boundaries for the shell runner.
type Fault struct {
	At   int
	Kind FaultKind
}

// ErrKilled is the os.Root runner stopped dead by a Fault or a Hook, as a
// killed process stops: no undo runs, the journal stays.
var ErrKilled = errors.New("killed")
