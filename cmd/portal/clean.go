package main

import (
	"context"
	"fmt"
	"io"
)

// runClean removes the registry entries whose processes are gone. It stops
// nothing.
func runClean(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, pf := newFlagSet("clean", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := pf.open()
	if err != nil {
		return err
	}
	defer p.Close()
	removed, err := p.Clean(ctx)
	if err != nil {
		return err
	}
	for _, in := range removed {
		fmt.Fprintf(stdout, "Removed stale entry: %s\n", in.Name)
	}
	if len(removed) == 0 {
		fmt.Fprintln(stdout, "Nothing to clean.")
	}
	return nil
}
