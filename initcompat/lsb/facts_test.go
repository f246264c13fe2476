package lsb

import (
	"reflect"
	"testing"
)

// The facts of an Upstart script block: commands wherever they stand,
// none from a here-document or a comment, variables used and assigned.
func TestReadFacts(t *testing.T) {
	text := `# stop is not called here
if [ -n "$UPSTART_EVENTS" ]; then
    initctl emit my-ready
fi
cat <<EOF
stop
EOF
f() { exec stop; }
RUNLEVEL=2
echo "${PREVLEVEL:-N}" $(start other-job)
`
	facts, err := ReadFacts([]byte(text), 10)
	if err != nil {
		t.Fatal(err)
	}
	var cmds [][]string
	var lines []int
	for _, c := range facts.Commands {
		var w []string
		for _, x := range c.Words {
			if x.Known {
				w = append(w, x.Text)
			} else {
				w = append(w, "?")
			}
		}
		cmds = append(cmds, w)
		lines = append(lines, c.Line)
	}
	want := [][]string{{"[", "-n", "?", "]"}, {"initctl", "emit", "my-ready"}, {"cat"}, {"exec", "stop"}, {"echo", "?", "?"}, {"start", "other-job"}}
	if !reflect.DeepEqual(cmds, want) || !reflect.DeepEqual(lines, []int{11, 12, 14, 17, 19, 19}) {
		t.Errorf("commands %v at %v", cmds, lines)
	}
	if !reflect.DeepEqual(facts.Uses, []ParamUse{{"UPSTART_EVENTS", 11}, {"PREVLEVEL", 19}}) {
		t.Errorf("uses %v", facts.Uses)
	}
	if !reflect.DeepEqual(facts.Assigns, []ParamUse{{"RUNLEVEL", 18}}) {
		t.Errorf("assigns %v", facts.Assigns)
	}
}
