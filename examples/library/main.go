// Command library drives OpenCode through the portal library directly, with
// no HTTP server: it lists the registered instances, starts one for a
// project folder when none runs there, creates a session and prompts it.
//
//	go run ./examples/library -dir ~/src/my-app "Summarize this project"
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/opencode-portal/portal"
)

func main() {
	dir := flag.String("dir", ".", "project folder")
	flag.Parse()
	text := flag.Arg(0)
	if text == "" {
		text = "Say hello."
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dir, text); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, dir, text string) error {
	p, err := portal.New(portal.Config{}) // ~/.portal.json, opencode on PATH
	if err != nil {
		return err
	}
	defer p.Close() // the instance keeps running, like the original CLI's

	instances, err := p.Instances(ctx)
	if err != nil {
		return err
	}
	for _, in := range instances {
		fmt.Printf("%-10s %-20s port %-5d %s\n", in.ID, in.Name, in.Port, in.State)
	}

	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// StartInstance returns the running instance when the folder has one.
	in, err := p.StartInstance(ctx, portal.StartOptions{Directory: abs})
	if err != nil {
		return err
	}
	fmt.Printf("instance %s on %s\n", in.ID, in.URL)

	s, err := p.CreateSession(ctx, in.Port, portal.SessionCreateOptions{Title: "from examples/library"})
	if err != nil {
		return err
	}
	reply, err := p.Prompt(ctx, in.Port, s.ID, portal.PromptInput{Text: text})
	if err != nil {
		return err
	}
	fmt.Println(reply.Text())
	return nil
}
