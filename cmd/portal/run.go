package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/docker"
)

// runRun starts OpenCode (only) for a folder and prints its URL. The
// instance keeps running after the command exits.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, pf := newFlagSet("run", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: portal run [DIR] [--name NAME] [--opencode-port PORT] [--hostname HOST] [--root DIR]... [--docker [--cpus N] [--memory SIZE] [--image IMAGE]]")
		fs.PrintDefaults()
	}
	name := fs.String("name", "", "instance name (default: the folder's name)")
	port := fs.Int("opencode-port", 0, "OpenCode port (default: the first free port from 3100)")
	hostname := fs.String("hostname", "", "address OpenCode binds to (default 127.0.0.1)")
	inDocker := fs.Bool("docker", false, "run OpenCode in a container of the Docker Engine, which sees only the folder (see portal image build)")
	cpus := fs.Float64("cpus", 0, "with --docker: CPU limit, in CPUs (default: none)")
	memory := fs.String("memory", "", "with --docker: memory limit, as 512m or 2g (default: none)")
	image := fs.String("image", "", "with --docker: the image to run (default: portal-opencode:<OpenCode version>)")
	pf.startFlags(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("one folder at most, got %q", pos)
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	opts := portal.StartOptions{Directory: dir, Name: *name, Port: *port, Hostname: *hostname, CPUs: *cpus, Image: *image}
	if *inDocker {
		opts.Runtime = portal.RuntimeDocker
	}
	if *memory != "" {
		if opts.Memory, err = portal.ParseMemory(*memory); err != nil {
			return err
		}
	}
	p, err := pf.open()
	if err != nil {
		return err
	}
	defer p.Close()

	fmt.Fprintf(stderr, "Starting OpenCode in %s ", dir)
	done := make(chan struct{})
	progress := make(chan struct{})
	go func() {
		defer close(progress)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fmt.Fprint(stderr, ".")
			}
		}
	}()
	start := time.Now()
	in, err := p.StartInstance(ctx, opts)
	close(done)
	<-progress
	if err != nil {
		fmt.Fprintln(stderr, " failed")
		return err
	}
	fmt.Fprintf(stderr, " ready in %.1fs\n", time.Since(start).Seconds())
	pid := 0
	if in.PID != nil {
		pid = *in.PID
	}
	where := fmt.Sprintf("pid %d", pid)
	if in.ContainerID != nil {
		where = "container " + docker.ShortID(*in.ContainerID)
	}
	fmt.Fprintf(stdout, "OpenCode API at %s (instance %s %q, %s)\n", in.URL, in.ID, in.Name, where)
	return nil
}
