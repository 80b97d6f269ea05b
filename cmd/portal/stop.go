package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
)

// runStop stops the instance with a name, or of a folder (default: the
// current one).
func runStop(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, pf := newFlagSet("stop", stderr)
	name := fs.String("name", "", "name of the instance to stop")
	dir := fs.String("d", ".", "folder whose instance to stop (when no --name is given)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved // the registry names a folder by its resolved path
	}
	p, err := pf.open()
	if err != nil {
		return err
	}
	defer p.Close()
	list, err := p.Instances(ctx)
	if err != nil {
		return err
	}
	for _, in := range list {
		if (*name != "" && in.Name == *name) || (*name == "" && in.Directory == abs) {
			if err := p.StopInstance(ctx, in.ID); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Stopped %s (%s) on port %d\n", in.Name, in.ID, in.Port)
			return nil
		}
	}
	if *name != "" {
		return fmt.Errorf("no running instance is named %q; see the running ones with portal list", *name)
	}
	return fmt.Errorf("no running instance serves %s; see the running ones with portal list, or pick one with --name", abs)
}
