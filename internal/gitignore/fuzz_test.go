package gitignore

import (
	"strings"
	"testing"
)

// FuzzIgnore feeds arbitrary ignore files and paths to the matcher: it
// must not panic, and a pattern of plain characters matches its own name.
func FuzzIgnore(f *testing.F) {
	for _, s := range [][2]string{{"*.log\n!keep.log\nbuild/\n", "a/b.log"}, {"a/**/b\n", "a/x/y/b"},
		{"[a-c]?[!x]\n", "bzy"}, {"\\#x\n\\!y\n", "#x"}, {"**/\n", "q"}, {"[[:alpha:]]*\n", "Z1"}, {"[\n", "["}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, file, path string) {
		if len(file) > 4096 || len(path) > 1024 {
			return
		}
		l := List(Parse([]byte(file), ""))
		l.Ignored(path, false)
		l.Ignored(path, true)
		if name := strings.TrimSpace(path); name != "" && !strings.ContainsAny(name, "*?[\\!#/ \r\n\x00") {
			if !List(Parse([]byte(name), "")).Ignored("dir/"+name, false) {
				t.Fatalf("pattern %q does not match dir/%s", name, name)
			}
		}
	})
}
