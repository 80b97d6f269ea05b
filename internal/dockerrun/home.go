package dockerrun

import (
	"fmt"
	"os"
	"path/filepath"
)

// prepareHome prepares OpenCode's configuration folder in home for
// OpenCode of the given version, so that it does not install its plugin
// package from npm at its first request: OpenCode installs a dependency it
// adds (@opencode-ai/plugin at its own version) only when the lock file's
// root package lacks it. A folder prepared already is left as it is; an
// unknown version (an image without the label) leaves OpenCode to install.
func prepareHome(home, version string) error {
	if version == "" {
		return nil
	}
	dir := filepath.Join(home, ".config", "opencode")
	if err := os.MkdirAll(filepath.Join(dir, "node_modules"), 0o700); err != nil {
		return fmt.Errorf("preparing OpenCode's home folder: %w", err)
	}
	lock := filepath.Join(dir, "package-lock.json")
	if _, err := os.Stat(lock); err == nil {
		return nil
	}
	content := fmt.Sprintf(`{"packages":{"":{"dependencies":{"@opencode-ai/plugin":%q}}}}`+"\n", version)
	if err := os.WriteFile(lock, []byte(content), 0o600); err != nil {
		return fmt.Errorf("preparing OpenCode's home folder: %w", err)
	}
	return nil
}
