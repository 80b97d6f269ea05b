// Command portal runs the portal server and manages OpenCode instances.
//
//	portal serve [--addr 127.0.0.1:3000] [--registry PATH] [--opencode PATH]
//	portal run [DIR] [--name NAME] [--opencode-port PORT] [--hostname HOST]
//	portal list [--json]
//	portal stop [--name NAME | -d DIR]
//	portal clean
//	portal token create [--name NAME] | token list | token revoke ID
//	portal image build [--tag T] [--opencode PATH]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand of the portal binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the HTTP server (the API and the instances it drives)", runServe},
		{"run", "start OpenCode for a folder and print its URL: run [DIR] [--name N] [--opencode-port P] [--hostname H] [--docker [--cpus N] [--memory SIZE] [--image I]]", runRun},
		{"list", "list the instances: list [--json]", runList},
		{"stop", "stop an instance: stop [--name N | -d DIR]", runStop},
		{"clean", "remove registry entries whose processes are gone", runClean},
		{"token", "manage the access tokens serve accepts: " + tokenUsage, runToken},
		{"image", "build the OpenCode image docker instances run, offline: " + imageUsage, runImage},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if err := c.run(ctx, args[1:], stdout, stderr); err != nil {
				fmt.Fprintf(stderr, "portal %s: %s\n", c.name, errorText(err))
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, "Unknown command: %s\n", args[0])
	usage(stderr)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: portal <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'portal <command> --help' for a command's flags.")
}
