package webui_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/webui"
)

// TestFSHoldsThePage checks that FS is rooted at index.html and that every
// asset the page names is there, by a relative URL (the UI must work under
// a prefix).
func TestFSHoldsThePage(t *testing.T) {
	fsys := webui.FS()
	page, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		t.Fatalf("index.html is not at the top of FS: %v", err)
	}
	refs := regexp.MustCompile(`(?:href|src)="([^"#]*)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) < 4 {
		t.Fatalf("index.html names %d assets, want the manifest, icon, style sheet and script at least", len(refs))
	}
	for _, ref := range refs {
		name := ref[1]
		if strings.HasPrefix(name, "/") || strings.Contains(name, "://") {
			t.Errorf("index.html names %q: want a relative URL", name)
			continue
		}
		if _, err := fs.Stat(fsys, name); err != nil {
			t.Errorf("index.html names %q, which FS lacks: %v", name, err)
		}
	}
	for _, name := range []string{"app.css", "manifest.webmanifest", "icon.svg", "js/main.js", "js/api.js", "js/events.js"} {
		if _, err := fs.Stat(fsys, name); err != nil {
			t.Errorf("FS lacks %s: %v", name, err)
		}
	}
}

// TestNoInlineCode checks what the Content-Security-Policy the server
// sends (script-src 'self'; style-src 'self') would refuse, and the DOM
// sinks that would parse text as HTML or code: the page must hold no
// inline script, style or handler, and no script may use them.
func TestNoInlineCode(t *testing.T) {
	fsys := webui.FS()
	page, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>`), // a script with a body
		regexp.MustCompile(`<script(?:\s+type="module")?>`),      // a script without src
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle=`),
		regexp.MustCompile(`\son[a-z]+=`),
	} {
		if m := bad.Find(page); m != nil {
			t.Errorf("index.html holds %q, which the page's Content-Security-Policy refuses", m)
		}
	}
	sinks := regexp.MustCompile(`\.(?:innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(|setAttribute\(\s*["']on`)
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".js") {
			return err
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			if m := sinks.FindString(line); m != "" {
				t.Errorf("%s:%d uses %q: build the DOM with createElement and textContent", name, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
