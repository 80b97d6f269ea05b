package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// The labels of the portal's OpenCode image.
const (
	LabelOpenCodeVersion = "portal.opencode.version" // the OpenCode release it runs
	LabelContent         = "portal.image.content"    // a hash of its files: equal hashes, equal images
	LabelPrograms        = "portal.image.programs"   // the host programs it carries beside OpenCode, comma-separated
)

// ImageRepository is the repository of the default tag of the portal's
// OpenCode image: portal-opencode:<OpenCode version>.
const ImageRepository = "portal-opencode"

// DefaultTag is the tag BuildImage gives the image of the OpenCode at
// openCode ("" for the opencode on PATH) when BuildOptions.Tag is "":
// portal-opencode:<its version>.
func DefaultTag(ctx context.Context, openCode string) (string, error) {
	bin, err := openCodeBinary(openCode)
	if err != nil {
		return "", err
	}
	version, err := openCodeVersion(ctx, bin)
	if err != nil {
		return "", err
	}
	return ImageRepository + ":" + version, nil
}

// BuildOptions says what image BuildImage builds. The zero value builds
// the image of the opencode on PATH, tagged by its version.
type BuildOptions struct {
	// Tag names the image; "" for portal-opencode:<OpenCode version>.
	Tag string
	// OpenCode is the opencode executable: the binary of OpenCode's npm
	// platform package, or its node_modules/.bin/opencode, which leads to
	// it. "" for the opencode on PATH.
	OpenCode string
}

// Image is an image built by BuildImage.
type Image struct {
	ID       string // the engine's image ID, "sha256:…"
	Tag      string
	Version  string   // the OpenCode release it runs
	Content  string   // the hash of its files (LabelContent)
	Programs []string // the host programs it carries beside OpenCode
	Size     int64    // its size in bytes, as the engine counts it
	Reused   bool     // the engine had it already, under Tag: nothing was built
}

// BuildImage builds the portal's OpenCode image through the engine's
// build API, from nothing ("FROM scratch"): the OpenCode binary, the
// programs OpenCode runs (a shell, git, ripgrep and a few everyday
// commands, those the host has), the libraries each needs, found as the
// host's dynamic loader finds them, a HOME and /tmp any user may write to,
// and the host's CA certificates. Nothing is pulled from a registry.
// When the engine already holds an image under the tag with the same
// content, it is returned as it is.
func (c *Client) BuildImage(ctx context.Context, opts BuildOptions) (Image, error) {
	if err := checkTag(opts.Tag); err != nil {
		return Image{}, err
	}
	bin, err := openCodeBinary(opts.OpenCode)
	if err != nil {
		return Image{}, err
	}
	version, err := openCodeVersion(ctx, bin)
	if err != nil {
		return Image{}, err
	}
	fs := newRootfs()
	if err := fs.addProgram(imageOpenCode, bin); err != nil {
		return Image{}, &Error{Kind: Invalid, Err: err, Message: fmt.Sprintf("The OpenCode at %s can not be put in an image: %v", bin, err)}
	}
	programs, err := fs.addPrograms()
	if err != nil {
		return Image{}, &Error{Kind: Internal, Err: err, Message: fmt.Sprintf("A program for the image can not be put in it: %v", err)}
	}
	if err := fs.addBase(version); err != nil {
		return Image{}, &Error{Kind: Internal, Err: err, Message: fmt.Sprintf("The image's base files can not be made: %v", err)}
	}
	dockerfile := imageDockerfile(fs.libraryFolders())
	content, err := fs.contentHash(dockerfile)
	if err != nil {
		return Image{}, &Error{Kind: Internal, Err: err, Message: fmt.Sprintf("Reading the image's files failed: %v", err)}
	}
	img := Image{Tag: opts.Tag, Version: version, Content: content[:12], Programs: programs}
	if img.Tag == "" {
		img.Tag = ImageRepository + ":" + version
	}
	if got, err := c.api.ImageInspect(ctx, img.Tag); err == nil && got.Config != nil && got.Config.Labels[LabelContent] == img.Content {
		img.ID, img.Size, img.Reused = got.ID, got.Size, true
		return img, nil
	}
	if img.ID, err = c.build(ctx, fs, dockerfile, img); err != nil {
		return Image{}, err
	}
	got, err := c.api.ImageInspect(ctx, img.ID)
	if err != nil {
		return Image{}, c.fail(err, "reading the image it built")
	}
	img.Size = got.Size
	return img, nil
}

// checkTag says why tag ("" for the default) can not name an image built.
func checkTag(tag string) error {
	if tag == "" {
		return nil
	}
	ref, err := reference.ParseNormalizedNamed(tag)
	if err == nil {
		if _, digest := ref.(reference.Digested); digest {
			err = errors.New("a digest names an image's content, not a tag")
		}
	}
	if err != nil {
		return &Error{Kind: Invalid, Err: err, Message: fmt.Sprintf(
			"The image tag %q is not one Docker accepts (%v): give one like %s:dev or registry.example/%s:1", tag, err, ImageRepository, ImageRepository)}
	}
	return nil
}

// build sends the build context of fs to the engine and returns the ID
// of the image it built.
func (c *Client) build(ctx context.Context, fs *rootfs, dockerfile string, img Image) (string, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := fs.buildContext(pw, dockerfile)
		pw.CloseWithError(err)
		done <- err
	}()
	res, err := c.api.ImageBuild(ctx, pr, client.ImageBuildOptions{
		Tags:        []string{img.Tag},
		Remove:      true,
		ForceRemove: true,
		Labels: map[string]string{
			LabelOpenCodeVersion:                     img.Version,
			LabelContent:                             img.Content,
			LabelPrograms:                            strings.Join(img.Programs, ","),
			"org.opencontainers.image.title":         "OpenCode for the portal",
			"org.opencontainers.image.version":       img.Version,
			"org.opencontainers.image.documentation": "https://github.com/opencode-portal/portal#containers-the-image",
		},
	})
	if err != nil {
		pr.CloseWithError(err)
		<-done
		return "", c.fail(err, "building image "+img.Tag)
	}
	id, streamErr := buildResult(res.Body)
	res.Body.Close()
	pr.CloseWithError(errors.New("the build ended"))
	if err := <-done; err != nil && streamErr == nil {
		return "", &Error{Kind: Internal, Err: err, Message: fmt.Sprintf("Sending the files of image %s to the Docker Engine failed: %v", img.Tag, err)}
	}
	if streamErr != nil {
		return "", c.fail(streamErr, "building image "+img.Tag)
	}
	return id, nil
}

// buildResult reads the engine's build output, a stream of JSON
// messages, to its end, and returns the ID of the image built, or the
// error the build ended with.
func buildResult(r io.Reader) (string, error) {
	dec := json.NewDecoder(r)
	var id string
	var last string
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return "", fmt.Errorf("reading the build's output: %w", err)
		}
		if m.Error != nil {
			return "", fmt.Errorf("the build failed: %s", m.Error.Message)
		}
		if s := strings.TrimSpace(m.Stream); s != "" {
			last = s
		}
		if m.Aux != nil {
			var aux struct{ ID string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		}
	}
	if id == "" {
		return "", fmt.Errorf("the build named no image (its last output: %q)", last)
	}
	return id, nil
}

// imageDockerfile is the Dockerfile of the image: its files, from the
// build context's rootfs, and how OpenCode runs in it.
func imageDockerfile(libraryFolders []string) string {
	env := []string{
		"PATH=" + imagePATH,
		"HOME=" + imageHome,
		"LD_LIBRARY_PATH=" + strings.Join(libraryFolders, ":"),
	}
	if _, err := os.Stat(hostCACerts); err == nil {
		env = append(env, "SSL_CERT_FILE="+hostCACerts, "NODE_EXTRA_CA_CERTS="+hostCACerts)
	}
	return "FROM scratch\nCOPY rootfs/ /\nENV " + strings.Join(env, " ") + "\nWORKDIR " + imageHome +
		"\nENTRYPOINT [\"" + imageOpenCode + "\"]\n"
}

// openCodeBinary finds the OpenCode binary that path (or the opencode on
// PATH, for "") runs. npm's node_modules/.bin/opencode leads to it by a
// symbolic link, or is a launcher script that runs the binary of the
// platform package beside it (opencode-linux-x64, …-baseline, …-musl).
func openCodeBinary(path string) (string, error) {
	where := "at " + path
	if path == "" {
		path, where = "opencode", "on PATH"
	}
	found, err := exec.LookPath(path)
	if err != nil {
		return "", &Error{Kind: Invalid, Err: err, Message: fmt.Sprintf(
			"OpenCode was not found %s: install it (npm install opencode-ai) and give the path of its node_modules/.bin/opencode", where)}
	}
	real, err := filepath.EvalSymlinks(found)
	if err != nil {
		return "", &Error{Kind: Invalid, Err: err, Message: fmt.Sprintf("OpenCode at %s can not be read: %v", found, err)}
	}
	if isELF(real) {
		return real, nil
	}
	// A launcher: real is node_modules/opencode-ai/bin/opencode.
	modules := filepath.Dir(filepath.Dir(filepath.Dir(real)))
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	for _, suffix := range []string{"", "-baseline", "-musl", "-baseline-musl"} {
		bin := filepath.Join(modules, "opencode-linux-"+arch+suffix, "bin", "opencode")
		if isELF(bin) {
			return bin, nil
		}
	}
	return "", &Error{Kind: Invalid, Message: fmt.Sprintf(
		"%s is not an OpenCode binary, and no platform package (%s) is beside it: give the path of the opencode binary of package opencode-linux-%s",
		found, filepath.Join(modules, "opencode-linux-"+arch+"*"), arch)}
}

// openCodeVersion is the release of the OpenCode binary at bin: the
// version in the manifest of the npm package whose binary it is, or else
// what the binary answers to --version (which costs about a second of CPU).
func openCodeVersion(ctx context.Context, bin string) (string, error) {
	if version := packageVersion(bin); version != "" {
		return version, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Env = append(os.Environ(), "OPENCODE_DISABLE_AUTOUPDATE=1", "NO_COLOR=1")
	out, err := cmd.Output()
	version := strings.TrimSpace(string(out))
	if err != nil || !plainVersion(version) {
		return "", &Error{Kind: Invalid, Err: err, Message: fmt.Sprintf(
			"The OpenCode at %s did not tell its version (opencode --version: %q, %v): check that it runs on this host", bin, version, err)}
	}
	return version, nil
}

// packageVersion is the version in the manifest (package.json) of the npm
// package whose bin folder holds bin, when that package is OpenCode's
// (opencode-ai, or a platform package such as opencode-linux-x64); else "".
func packageVersion(bin string) string {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(bin)), "package.json"))
	if err != nil {
		return ""
	}
	var manifest struct{ Name, Version string }
	if json.Unmarshal(data, &manifest) != nil || !plainVersion(manifest.Version) {
		return ""
	}
	if manifest.Name != "opencode-ai" && !strings.HasPrefix(manifest.Name, "opencode-linux-") && !strings.HasPrefix(manifest.Name, "opencode-darwin-") {
		return ""
	}
	return manifest.Version
}

// plainVersion reports whether version can be a release's version in an
// image tag: one word, no separators of a tag or a path.
func plainVersion(version string) bool {
	return version != "" && !strings.ContainsAny(version, " \t\n:/")
}
