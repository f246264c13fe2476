// Command goreexec detaches the only way a Go program can: it starts
// itself again (os/exec, syscall.forkExec) in a new session and exits, as
// github.com/sevlyar/go-daemon does.
package main

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if os.Getenv("GOREEXEC_CHILD") == "" {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "GOREEXEC_CHILD=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	if p := os.Getenv("PIDFILE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	}
	for {
		time.Sleep(time.Hour)
	}
}
