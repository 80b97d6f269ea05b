package browsertest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestChromiumLeavesNothingBehind checks that a Chromium's temporary files
// are in its own folder while it runs, and that the folder is gone once it
// is closed: a killed Chromium leaves its temporary folder behind, which
// was one more in the system's temporary folder for every test run.
func TestChromiumLeavesNothingBehind(t *testing.T) {
	var s Shared
	defer s.Close()
	if err := chromedp.Do(s.Context(t), chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	root := s.root
	if kept, _ := filepath.Glob(filepath.Join(root, "tmp", "org.chromium.Chromium.*")); len(kept) == 0 {
		entries, _ := os.ReadDir(filepath.Join(root, "tmp"))
		t.Errorf("Chromium keeps no temporary folder in its own TMPDIR, which holds %v", entries)
	}
	s.Close()
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Close, its folder %s: %v, want it gone", root, err)
	}
}
