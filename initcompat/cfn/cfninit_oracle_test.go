//go:build linux

package cfn

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
)

// cfn-init 1.4 itself judges what the pattern cases say of every
// sysvinit entry: testdata/cfninit14.py runs aws-cfn-bootstrap 1.4's own
// SysVInitTool.apply (INITCOMPAT_CFN_BOOTSTRAP names a copy of its source,
// such as mesosphere-backup/aws-cfn-bootstrap @8f0c1b67ca8800a7554aef80fc19995e43166512)
// on each entry of each config cfn-init runs, as the template resolves,
// with its tools stubbed to record the commands they would run. A service
// initcompat reads must be enabled or disabled as it says, its running
// state asked for and stopped as it says; an entry it notes as left alone
// must run nothing; one it notes as failing must raise; a key it notes as
// "Unsupported service manager" must be one CloudFormationCarpenter has no
// tool for. The systemd key is cfn-init 2.x's (1.4 calls it unsupported)
// and is not compared.
func TestCfnInit14Oracle(t *testing.T) {
	src := os.Getenv("INITCOMPAT_CFN_BOOTSTRAP")
	python, err := exec.LookPath("python3")
	if src == "" || err != nil {
		t.Skip("set INITCOMPAT_CFN_BOOTSTRAP to a copy of aws-cfn-bootstrap 1.4's source (and have python3) to run cfn-init's own service tool")
	}
	files, _ := filepath.Glob("testdata/patterns/*.txtar")
	entries := 0
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var tmpl *Template
		params := map[string]string{}
		for _, f := range ar.Files {
			if strings.HasPrefix(f.Name, "template.") {
				if tmpl, err = ParseTemplate(f.Name, f.Data); err != nil {
					t.Fatal(err)
				}
			}
			if f.Name == "params" {
				for _, l := range strings.Fields(string(f.Data)) {
					k, v, _ := strings.Cut(l, "=")
					params[k] = v
				}
			}
		}
		for _, f := range ar.Files {
			name, set, _ := strings.Cut(f.Name, " ")
			if name != "want" {
				continue
			}
			var sets []string
			if set != "" {
				sets = []string{set}
			}
			svcs, notes, err := FromTemplate(tmpl, "", sets, params)
			if err != nil {
				continue // an error case: cfn-init does not get as far
			}
			entries += judgeCase(t, python, src, file+" "+f.Name, tmpl, sets, params, svcs, notes)
		}
	}
	t.Logf("%d services entries compared with cfn-init 1.4's SysVInitTool", entries)
}

// runConfig is one config cfn-init runs, as the template resolves it.
type runConfig struct {
	Resource string         `json:"-"`
	Name     string         `json:"name"`
	Config   map[string]any `json:"config"`
}

// runConfigs resolves the configs cfn-init runs, as FromTemplate does.
func runConfigs(t *testing.T, tmpl *Template, sets []string, params map[string]string) []runConfig {
	t.Helper()
	names, err := InitResources(tmpl.Name, tmpl.Body, "")
	if err != nil {
		t.Fatal(err)
	}
	res := newResolver(tmpl, params)
	resources, _ := tmpl.Body["Resources"].(map[string]any)
	var out []runConfig
	for _, n := range names {
		r, _ := resources[n].(map[string]any)
		if cond, ok := r["Condition"].(string); ok {
			if c, _ := res.condition(cond, 0); c == no {
				continue
			}
		}
		md, _ := r["Metadata"].(map[string]any)
		raw, _ := md[InitKey].(map[string]any)
		res.notes, res.path = nil, nil
		init, _ := res.resolve(raw, 0, 0).(map[string]any)
		configs, err := selectConfigs(n, init, sets)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range configs {
			cfg, _ := init[c].(map[string]any)
			out = append(out, runConfig{n, c, cfg})
		}
	}
	return out
}

type harnessEntry struct {
	Manager     string   `json:"manager"`
	Service     string   `json:"service"`
	Unsupported bool     `json:"unsupported"`
	Calls       []string `json:"calls"`
	Raised      *string  `json:"raised"`
}

func judgeCase(t *testing.T, python, src, what string, tmpl *Template, sets []string, params map[string]string,
	svcs []Service, notes []Note) int {
	t.Helper()
	configs := runConfigs(t, tmpl, sets, params)
	in, err := json.Marshal(configs)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "testdata/cfninit14.py", src)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: cfninit14.py: %v\n%s", what, err, stderr.String())
	}
	var judged []struct {
		Config  string         `json:"config"`
		Entries []harnessEntry `json:"entries"`
	}
	if err := json.Unmarshal(out, &judged); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	n := 0
	for i, j := range judged {
		c := configs[i]
		for _, e := range j.Entries {
			if e.Manager == "systemd" {
				continue
			}
			n++
			if e.Unsupported {
				if !slices.ContainsFunc(notes, func(x Note) bool {
					return x.Resource == c.Resource && x.Config == c.Name && x.Path == "services."+e.Manager
				}) {
					t.Errorf("%s: cfn-init: \"Unsupported service manager: %s\" in config %s; initcompat says nothing", what, e.Manager, c.Name)
				}
				continue
			}
			path := "services." + e.Manager + "." + e.Service
			i := slices.IndexFunc(svcs, func(s Service) bool {
				return s.Resource == c.Resource && s.Config == c.Name && s.Key == e.Manager && s.Name == e.Service
			})
			k := slices.IndexFunc(notes, func(x Note) bool {
				return x.Resource == c.Resource && x.Config == c.Name && x.Path == path
			})
			switch {
			case i >= 0 && len(svcs[i].When) > 0:
				n-- // undecided at build time: either reading may hold
			case i >= 0:
				var want []string
				s := svcs[i]
				if s.Enabled != nil {
					want = append(want, "/usr/sbin/update-rc.d "+s.Name+map[bool]string{true: " enable", false: " disable"}[*s.Enabled])
				}
				if s.EnsureRunning != nil {
					want = append(want, "/usr/sbin/service "+s.Name+" status")
					if !*s.EnsureRunning {
						want = append(want, "/usr/sbin/service "+s.Name+" stop") // the stub's status says running
					}
				}
				if e.Raised != nil || !slices.Equal(e.Calls, want) {
					t.Errorf("%s: config %s %s: cfn-init ran %q (raised %v); initcompat reads enabled=%v ensureRunning=%v", what, c.Name, path, e.Calls, e.Raised, str(s.Enabled), str(s.EnsureRunning))
				}
			case k >= 0:
				fails := strings.Contains(notes[k].Message, "fails on its options")
				if (e.Raised != nil) != fails || len(e.Calls) > 0 {
					t.Errorf("%s: config %s %s: cfn-init ran %q, raised %v; initcompat: %s", what, c.Name, path, e.Calls, e.Raised, notes[k].Message)
				}
			default:
				t.Errorf("%s: config %s %s: cfn-init ran %q, raised %v; initcompat has neither a service nor a note", what, c.Name, path, e.Calls, e.Raised)
			}
		}
	}
	return n
}
