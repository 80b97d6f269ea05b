package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/opencode-portal/portal"
)

// portalFlags are the flags the commands share: where the registry and
// the opencode executable are.
type portalFlags struct {
	registry string
	bin      string
	// Set by the commands that start instances (startFlags).
	roots        []string
	maxInstances int
}

// newFlagSet returns the flag set of the command name, writing its
// messages to stderr, with the shared portal flags registered.
func newFlagSet(name string, stderr io.Writer) (*flag.FlagSet, *portalFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := new(portalFlags)
	fs.StringVar(&f.registry, "registry", "", "instance registry file (default $PORTAL_REGISTRY or ~/.portal.json)")
	fs.StringVar(&f.bin, "opencode", "", "opencode executable (default $OPENCODE_BIN or opencode on PATH)")
	return fs, f
}

// startFlags registers the flags of the commands that start instances:
// which folders they may use and how many may run.
func (f *portalFlags) startFlags(fs *flag.FlagSet) {
	fs.Func("root", "a folder instances may use, with those below it (repeatable; default: any but system folders, /, /home, /tmp and your home folder themselves)", func(dir string) error {
		abs, err := filepath.Abs(dir)
		f.roots = append(f.roots, abs)
		return err
	})
	fs.IntVar(&f.maxInstances, "max-instances", portal.DefaultMaxInstances, "most instances running at once (-1 for no limit)")
}

// config is the Portal configuration the flags ask for.
func (f *portalFlags) config() portal.Config {
	return portal.Config{RegistryPath: f.registry, OpenCodeBin: f.bin, AllowedRoots: f.roots, MaxInstances: f.maxInstances}
}

// open returns a Portal on the registry. Closing it leaves instances running.
func (f *portalFlags) open() (*portal.Portal, error) {
	return portal.New(f.config())
}

// parseArgs parses flags that may come before or after the positional
// arguments (`portal run ./app --name x`), and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if strings.HasPrefix(args[0], "-") && args[0] != "-" {
			return nil, fmt.Errorf("unexpected %q", args[0])
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
