package gitrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// logRefUpdate appends an entry to the reflog of ref ("HEAD" or a full ref
// name), as git does when it moves a ref: the log is created for HEAD and
// branches when core.logAllRefUpdates is on (the default in a worktree),
// for any ref when it is "always", and otherwise only appended to.
func (r *Repo) logRefUpdate(cfg layeredConfig, ref string, old, id plumbing.Hash, who *Identity, when time.Time, msg string) error {
	path := filepath.Join(r.commonDir(), "logs", filepath.FromSlash(ref))
	if ref == "HEAD" {
		path = filepath.Join(r.gitDir, "logs", "HEAD")
	}
	flags := os.O_WRONLY | os.O_APPEND
	switch v := strings.ToLower(cfg.get("core", "logallrefupdates")); {
	case v == "always",
		boolOption(v, true) && (ref == "HEAD" || strings.HasPrefix(ref, "refs/heads/") ||
			strings.HasPrefix(ref, "refs/remotes/") || strings.HasPrefix(ref, "refs/notes/")):
		flags |= os.O_CREATE
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write the reflog of %s: %w", ref, err)
		}
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write the reflog of %s: %w", ref, err)
	}
	line := fmt.Sprintf("%s %s %s <%s> %d %s\t%s\n", old, id, who.Name, who.Email, when.Unix(), when.Format("-0700"), reflogMessage(msg))
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("write the reflog of %s: %w", ref, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the reflog of %s: %w", ref, err)
	}
	return nil
}

// reflogMessage normalizes a reflog message as git's copy_reflog_msg does:
// runs of whitespace become one space, leading and trailing ones go.
func reflogMessage(msg string) string {
	var sb strings.Builder
	space := true
	for i := 0; i < len(msg); i++ {
		switch c := msg[i]; c {
		case ' ', '\t', '\n', '\r':
			if !space {
				sb.WriteByte(' ')
			}
			space = true
		default:
			space = false
			sb.WriteByte(c)
		}
	}
	return strings.TrimRight(sb.String(), " ")
}
