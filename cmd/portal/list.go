package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
)

// runList prints the instances that are up (with --all, those down too),
// as a table or as JSON.
func runList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, pf := newFlagSet("list", stderr)
	asJSON := fs.Bool("json", false, "print JSON, as GET /api/instances answers")
	all := fs.Bool("all", false, "also list the instances that are down (crashed, stopped, gone), which portal clean removes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := pf.open()
	if err != nil {
		return err
	}
	defer p.Close()
	list, err := p.Instances(ctx, portal.ListOptions{All: *all})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(httpapi.InstanceList(list))
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "No instances.")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tPORT\tSTATE\tRUNTIME\tPID\tDIRECTORY")
	for _, in := range list {
		pid := "-"
		if in.PID != nil {
			pid = fmt.Sprint(*in.PID)
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", in.ID, in.Name, in.Port, in.State, in.InstanceType, pid, in.Directory)
	}
	return w.Flush()
}
