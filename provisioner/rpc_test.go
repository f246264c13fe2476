//go:build linux

package provisioner

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
	"github.com/hashicorp/packer-plugin-sdk/rpc"
)

func TestMain(m *testing.M) {
	log.SetOutput(io.Discard) // the transports' debug lines are for PACKER_LOG
	// The apply script keeps its data under TMPDIR; the tests that kill
	// it with SIGKILL leave that behind, here rather than in /tmp.
	tmp, err := os.MkdirTemp("", "initcompat-tests")
	if err != nil {
		log.Fatal(err)
	}
	_ = os.Setenv("TMPDIR", tmp)
	code := m.Run()
	_ = os.RemoveAll(tmp)
	os.Exit(code)
}

// rpcProvisioner serves a Provisioner over the SDK's plugin RPC on a
// loopback connection and returns the client side, as Packer core sees it.
func rpcProvisioner(t *testing.T) packersdk.Provisioner {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	clientConn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	serverConn := <-accepted
	_ = l.Close()
	server, err := rpc.NewServer(serverConn)
	if err != nil {
		t.Fatal(err)
	}
	if err := server.RegisterProvisioner(new(Provisioner)); err != nil {
		t.Fatal(err)
	}
	go server.Serve()
	client, err := rpc.NewClient(clientConn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return client.Provisioner()
}

// addServices puts n enabled custom units into the image.
func addServices(t *testing.T, dir string, n int) {
	t.Helper()
	wants := filepath.Join(dir, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc%04d.service", i)
		unit := fmt.Sprintf("[Unit]\nDescription=service %d\nAfter=network-online.target\n\n[Service]\nExecStart=/usr/local/bin/svc %d\n\n[Install]\nWantedBy=multi-user.target\n", i, i)
		if err := os.WriteFile(filepath.Join(dir, "etc/systemd/system", name), []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/etc/systemd/system/"+name, filepath.Join(wants, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// One command reads the image and one writes it, whatever the number of
// services; plan mode never writes.
func TestRPCRoundTripCommandCount(t *testing.T) {
	for _, n := range []int{1, 1000} {
		for _, mode := range []string{"apply", "plan"} {
			t.Run(fmt.Sprintf("%d-services-%s", n, mode), func(t *testing.T) {
				dir := helloImage(t)
				addServices(t, dir, n-1) // hello.service is the first
				comm := &shellComm{Root: dir}
				before := fingerprint(t, dir)
				report := filepath.Join(t.TempDir(), "report.json")
				p := rpcProvisioner(t)
				cfg := hclConfig(t, fmt.Sprintf("mode = %q\nuse_sudo = false\nreport_file = %q\n", mode, report))
				if err := p.Prepare(cfg); err != nil {
					t.Fatal(err)
				}
				ui := newRecordUI(t)
				if err := p.Provision(context.Background(), ui, comm, map[string]interface{}{"ConnType": "ssh", "User": "builder"}); err != nil {
					t.Fatalf("%v\n%s", err, ui)
				}
				want := map[string]int{"apply": 2, "plan": 1}[mode]
				if got := len(comm.Commands()); got != want {
					t.Fatalf("%d remote commands, want %d: %q", got, want, comm.Commands())
				}
				for _, c := range comm.Commands() {
					if c != "sh -s" {
						t.Errorf("remote command %q, want %q (use_sudo = false)", c, "sh -s")
					}
				}
				changed := fingerprint(t, dir) != before
				if changed != (mode == "apply") {
					t.Errorf("mode %s: image changed = %v", mode, changed)
				}
				if mode == "apply" {
					last := fmt.Sprintf("etc/init.d/svc%04d", n-2)
					if n == 1 {
						last = "etc/init.d/hello"
					}
					if _, err := os.Stat(filepath.Join(dir, last)); err != nil {
						t.Errorf("%s not written: %v", last, err)
					}
				}
				data, err := os.ReadFile(report)
				if err != nil || !strings.Contains(string(data), `"mode": "`+mode+`"`) {
					t.Errorf("report_file: %v\n%.300s", err, data)
				}
			})
		}
	}
}

func TestProvisionRefusesNoneCommunicator(t *testing.T) {
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{}); err != nil {
		t.Fatal(err)
	}
	err := p.Provision(context.Background(), newRecordUI(t), &shellComm{Root: t.TempDir()}, map[string]interface{}{"ConnType": "none"})
	if err == nil || !strings.Contains(err.Error(), "set root_dir") {
		t.Fatalf("got %v, want advice to set root_dir", err)
	}
}

// Packer sends Cancel the moment a build's context ends; with timeout =
// "1ms" that is before the plugin has begun Provision, and net/rpc serves the
// two calls in goroutines of their own. packer-plugin-sdk v0.6.10's
// ProvisionerServer.Cancel then called a nil func and the panic killed the
// plugin (third_party/packer-plugin-sdk/README.md). A context already ended
// makes the SDK's client send Cancel alongside Provision, so most rounds
// here deliver Cancel first; the Provision that follows must see its
// context cancelled, say so, and leave the image as it was.
func TestRPCCancelBeforeProvision(t *testing.T) {
	for i := 0; i < 20; i++ {
		dir := helloImage(t)
		before := fingerprint(t, dir)
		comm := &shellComm{Root: dir}
		p := rpcProvisioner(t)
		if err := p.Prepare(hclConfig(t, "use_sudo = false\n")); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ui := newRecordUI(t)
		err := p.Provision(ctx, ui, comm, map[string]interface{}{"ConnType": "ssh", "User": "builder"})
		if err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
			t.Fatalf("round %d: Provision under a cancelled build returned %v, want it to name %q\n%s", i, err, context.Canceled, ui)
		}
		if after := fingerprint(t, dir); after != before {
			t.Fatalf("round %d: a cancelled build changed the image:\n%s\n--- before\n%s", i, after, before)
		}
	}
}
