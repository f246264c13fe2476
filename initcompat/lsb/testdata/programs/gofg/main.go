// Command gofg stays in its process, as hd-idle's and XD's Go programs
// do: it writes its pid where $PIDFILE says and waits to be killed.
package main

import (
	"os"
	"strconv"
	"time"
)

func main() {
	if p := os.Getenv("PIDFILE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	}
	for {
		time.Sleep(time.Hour)
	}
}
