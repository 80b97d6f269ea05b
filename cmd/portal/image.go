package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/opencode-portal/portal/internal/docker"
)

// imageUsage is the image command's synopsis.
const imageUsage = "image build [--tag T] [--opencode PATH]"

// runImage builds the portal's OpenCode image in the Docker Engine named by
// DOCKER_HOST (else the default socket), from the local OpenCode: nothing
// is pulled from a registry. It prints the image's tag and ID.
func runImage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "build" {
		return errors.New("say what to do: " + imageUsage)
	}
	fs := flag.NewFlagSet("image build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tag := fs.String("tag", "", "the image's tag (default "+docker.ImageRepository+":<OpenCode version>)")
	bin := fs.String("opencode", "", "opencode executable: its npm package's node_modules/.bin/opencode or the binary (default $OPENCODE_BIN or opencode on PATH)")
	positional, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return fmt.Errorf("unexpected arguments %q: use %s", positional, imageUsage)
	}
	c, err := docker.New(ctx, docker.Config{})
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	img, err := c.BuildImage(ctx, docker.BuildOptions{Tag: *tag, OpenCode: cmp.Or(*bin, os.Getenv("OPENCODE_BIN"))})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, img.Tag, img.ID)
	what := fmt.Sprintf("Built image %s in %.1f s", img.Tag, time.Since(start).Seconds())
	if img.Reused {
		what = fmt.Sprintf("Image %s is up to date: nothing was built", img.Tag)
	}
	fmt.Fprintf(stderr, "%s: OpenCode %s with %s, %d MB.\n", what, img.Version, strings.Join(img.Programs, ", "), img.Size>>20)
	if !slices.Contains(img.Programs, "rg") {
		fmt.Fprintln(stderr, "ripgrep (rg) is not on this host, so the image lacks it: OpenCode's grep and glob tools will try to download it, which fails offline. Install it (apt-get install ripgrep) and build again.")
	}
	fmt.Fprintln(stderr, "Docker instances run in it: portal run --docker.")
	return nil
}
