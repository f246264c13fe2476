//go:build linux

package provisioner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Every report a run writes is valid against docs/report.schema.json,
// checked by a JSON Schema validator (draft 2020-12): types, enums,
// required keys, patterns, and no key the schema does not name (every
// object is closed). The runs cover each mode that writes one: the plan,
// the apply (verified offline when this host has systemd-analyze: its
// checks are under plan.verify, where reports have always had them), a
// second apply with nothing to do, a disable, remove, and a cfn_init
// template whose condition initcompat cannot decide (cfn_init[].when).
func TestReportMatchesSchema(t *testing.T) {
	schema := reportSchema(t)
	dir := helloImage(t)
	tmpl := filepath.Join(t.TempDir(), "t.json")
	if err := os.WriteFile(tmpl, []byte(`{"Parameters":{"Env":{"Type":"String"}},"Conditions":{"Prod":{"Fn::Equals":[{"Ref":"Env"},"prod"]}},`+
		`"Resources":{"W":{"Type":"AWS::EC2::Instance","Metadata":{"AWS::CloudFormation::Init":{"config":{"services":{"sysvinit":{"hello":{"enabled":{"Fn::If":["Prod","true","false"]},"ensureRunning":"true"}}}}}}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, analyzer := exec.LookPath("systemd-analyze")
	for i, c := range []struct {
		mode    string
		extra   map[string]interface{}
		applied bool
	}{
		{"plan", nil, false},
		{"apply", nil, true},
		{"apply", nil, false},
		{"apply", map[string]interface{}{"disable": []string{"hello"}}, true},
		{"remove", nil, true},
	} {
		report := filepath.Join(t.TempDir(), "report.json")
		cfg := map[string]interface{}{"root_dir": dir, "mode": c.mode, "report_file": report, "cfn_init": []map[string]interface{}{{"template_file": tmpl}}}
		for k, v := range c.extra {
			cfg[k] = v
		}
		p := new(Provisioner)
		if err := p.Prepare(cfg); err != nil {
			t.Fatal(err)
		}
		if err := p.Provision(context.Background(), newRecordUI(t), nil, nil); err != nil {
			t.Fatalf("run %d, mode %s: %v", i+1, c.mode, err)
		}
		data, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(doc); err != nil {
			t.Fatalf("run %d, mode %s: the report is not what docs/report.schema.json says:\n%v\n%s", i+1, c.mode, err, data)
		}
		var rep struct {
			Mode    string
			Applied bool
			Plan    struct {
				Summary struct {
					CfnInit []struct{ When []string } `json:"cfn_init"`
				}
				Verify []any
			}
		}
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		verified := c.mode == "apply" && c.applied && analyzer == nil
		if verified != (len(rep.Plan.Verify) > 0) || rep.Mode != c.mode || rep.Applied != c.applied {
			t.Errorf("run %d, mode %s: mode %v, applied %v, %d checks under plan.verify:\n%s", i+1, c.mode, rep.Mode, rep.Applied, len(rep.Plan.Verify), data)
		}
		if c.mode != "remove" && (len(rep.Plan.Summary.CfnInit) != 1 || len(rep.Plan.Summary.CfnInit[0].When) == 0) {
			t.Errorf("run %d: the undecided condition is not in summary.cfn_init[].when:\n%s", i+1, data)
		}
	}
}

// The schema is strict enough to refuse what a report must not hold: an
// unknown key at any depth, a value of the wrong type, a value outside an
// enum, a relative path, a digest that is no sha256.
func TestReportSchemaRefuses(t *testing.T) {
	schema := reportSchema(t)
	valid := `{"mode":"apply","applied":true,"plan":{"initcompat_version":"0.1.0","manifest_path":"/var/lib/initcompat/manifest.json",` +
		`"summary":{"init":"systemd","distro":"debian 12","cloud_init":false,"services_in_scope":["hello"]},` +
		`"changes":[{"op":"write","path":"/etc/init.d/hello","mode":493,"sha256":"` + strings.Repeat("ab", 32) + `","prior":{"kind":"absent"},"service":"hello","shim":"lsb-redirect","reason":"r"}],` +
		`"findings":[{"level":"info","shim":"scope","message":"m"}],"verify":[{"name":"n","level":"error","command":"c","result":"pending"}]}}`
	check := func(doc string) error {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		return schema.Validate(v)
	}
	if err := check(valid); err != nil {
		t.Fatalf("the control is refused: %v", err)
	}
	for what, edit := range map[string][2]string{
		"an unknown top-level key":     {`"applied":true,`, `"applied":true,"extra":1,`},
		"an unknown key in a change":   {`"reason":"r"`, `"reason":"r","content":"x"`},
		"an unknown key in the prior":  {`"kind":"absent"`, `"kind":"absent","mode":1`},
		"applied as a string":          {`"applied":true`, `"applied":"true"`},
		"mode as a string":             {`"mode":493`, `"mode":"0755"`},
		"an op outside the enum":       {`"op":"write"`, `"op":"chmod"`},
		"a relative path":              {`"path":"/etc/init.d/hello"`, `"path":"etc/init.d/hello"`},
		"a digest that is no sha256":   {`"sha256":"abab`, `"sha256":"ABAB`},
		"a verify result not known":    {`"result":"pending"`, `"result":"maybe"`},
		"a finding without a message":  {`,"message":"m"`, ``},
		"services_in_scope of numbers": {`["hello"]`, `[1]`},
	} {
		bad := strings.Replace(valid, edit[0], edit[1], 1)
		if bad == valid {
			t.Fatalf("%s: the edit %q matches nothing", what, edit[0])
		}
		if check(bad) == nil {
			t.Errorf("the schema accepts %s", what)
		}
	}
}

// reportSchema compiles docs/report.schema.json (draft 2020-12; the
// compiler holds the metaschema, so nothing is fetched).
func reportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "docs", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
