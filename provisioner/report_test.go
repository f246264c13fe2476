//go:build linux

package provisioner

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Every key a report holds is described in docs/report.schema.json, and
// every key the schema requires is there, for each mode that writes one:
// the plan, the apply (verified offline when this host has
// systemd-analyze: its checks are under plan.verify, where reports have
// always had them), a second apply with nothing to do, and remove.
func TestReportMatchesSchema(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "docs", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	dir := helloImage(t)
	tmpl := filepath.Join(t.TempDir(), "t.json")
	if err := os.WriteFile(tmpl, []byte(`{"Resources":{"W":{"Type":"AWS::EC2::Instance","Metadata":{"AWS::CloudFormation::Init":{"config":{"services":{"sysvinit":{"hello":{"enabled":"false","ensureRunning":"true"}}}}}}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, analyzer := exec.LookPath("systemd-analyze")
	for i, mode := range []string{"plan", "apply", "apply", "remove"} {
		report := filepath.Join(t.TempDir(), "report.json")
		p := new(Provisioner)
		if err := p.Prepare(map[string]interface{}{"root_dir": dir, "mode": mode, "report_file": report, "cfn_init": []map[string]interface{}{{"template_file": tmpl}}}); err != nil {
			t.Fatal(err)
		}
		if err := p.Provision(context.Background(), newRecordUI(t), nil, nil); err != nil {
			t.Fatalf("mode %s: %v", mode, err)
		}
		data, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		var problems []string
		check(schema, doc, "report", &problems)
		sort.Strings(problems)
		if len(problems) > 0 {
			t.Fatalf("mode %s: report and schema disagree:\n%s", mode, strings.Join(problems, "\n"))
		}
		plan, _ := doc["plan"].(map[string]any)
		checks, _ := plan["verify"].([]any)
		if verified := i == 1 && analyzer == nil; verified != (len(checks) > 0) || doc["mode"] != mode || doc["applied"] != (i == 1 || i == 3) {
			t.Errorf("run %d, mode %s: mode %v, applied %v, %d checks under plan.verify:\n%s", i+1, mode, doc["mode"], doc["applied"], len(checks), data)
		}
	}
}

// check walks a value against the parts of JSON Schema the schema uses.
func check(schema map[string]any, v any, at string, problems *[]string) {
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for k, val := range x {
			sub, ok := props[k].(map[string]any)
			if !ok {
				*problems = append(*problems, at+"."+k+": not in the schema")
				continue
			}
			check(sub, val, at+"."+k, problems)
		}
		req, _ := schema["required"].([]any)
		for _, r := range req {
			if _, ok := x[r.(string)]; !ok {
				*problems = append(*problems, at+"."+r.(string)+": required, missing")
			}
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		for i, it := range x {
			if items == nil {
				*problems = append(*problems, at+": an array the schema has no items for")
				return
			}
			check(items, it, at+"["+strconv.Itoa(i)+"]", problems)
		}
	}
	if enum, ok := schema["enum"].([]any); ok {
		for _, e := range enum {
			if e == v {
				return
			}
		}
		*problems = append(*problems, at+": value not in the schema's enum")
	}
}
