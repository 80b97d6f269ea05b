package docker

import (
	"archive/tar"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The image's layout.
const (
	imageOpenCode = "/usr/local/bin/opencode"
	imageHome     = "/home/opencode"
	imagePATH     = "/usr/local/bin:/usr/bin:/bin"
	hostCACerts   = "/etc/ssl/certs/ca-certificates.crt"
)

// imagePrograms are the host programs the image carries beside OpenCode,
// each when the host has it, with the libraries they need: a shell for
// OpenCode's bash tool (it prefers bash, else sh), git, with which it
// finds the project and snapshots the agent's changes, ripgrep for its
// grep and glob tools and file search (it would download it otherwise,
// which fails offline), and the everyday commands an agent's bash calls
// use.
var imagePrograms = []string{
	"sh", "bash", "git", "rg",
	"cat", "cp", "diff", "env", "find", "grep", "head", "ls", "mkdir", "mv", "rm", "sed", "sort", "tail", "touch", "wc", "xargs",
}

// imageFile is one entry of the image's file system.
type imageFile struct {
	name string // absolute path in the image
	mode int64  // permission bits, with the sticky bit
	dir  bool
	link string // the target of a symbolic link
	host string // the host file whose content it holds
	data []byte // else its content
}

// rootfs is the file system of the image being built, by path.
type rootfs struct {
	files map[string]imageFile
	real  map[string]string // host file (symbolic links resolved) → where the image has it
	lp    libraryPath
}

func newRootfs() *rootfs {
	return &rootfs{files: map[string]imageFile{}, real: map[string]string{}, lp: hostLibraryPath()}
}

// add puts f in the image, with its parent folders.
func (fs *rootfs) add(f imageFile) {
	for dir := path.Dir(f.name); dir != "/"; dir = path.Dir(dir) {
		if _, ok := fs.files[dir]; !ok {
			fs.files[dir] = imageFile{name: dir, mode: 0o755, dir: true}
		}
	}
	fs.files[f.name] = f
}

// addHost puts the host file at host in the image at name, as a link to
// where the image already holds that file if it does.
func (fs *rootfs) addHost(name, host string, mode int64) error {
	real, err := filepath.EvalSymlinks(host)
	if err != nil {
		return err
	}
	if at, ok := fs.real[real]; ok {
		if at != name {
			fs.add(imageFile{name: name, link: at})
		}
		return nil
	}
	fs.real[real] = name
	fs.add(imageFile{name: name, mode: mode, host: real})
	return nil
}

// addProgram puts the program at host in the image at name, with what it
// needs to run, each library at the path the loader finds it on the host.
func (fs *rootfs) addProgram(name, host string) error {
	if err := fs.addHost(name, host, 0o755); err != nil {
		return err
	}
	libs, err := fs.lp.runtimeFiles(host)
	if err != nil {
		return err
	}
	for _, lib := range libs {
		if err := fs.addHost(lib, lib, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// libraryFolders are the folders of the libraries in the image, in the
// order of the host's search path: the image's LD_LIBRARY_PATH, as the
// image has no loader cache.
func (fs *rootfs) libraryFolders() []string {
	var folders []string
	for _, dir := range fs.lp.folders {
		if slices.Contains(folders, dir) {
			continue
		}
		for name, f := range fs.files {
			if path.Dir(name) == dir && !f.dir && strings.Contains(path.Base(name), ".so") {
				folders = append(folders, dir)
				break
			}
		}
	}
	return folders
}

// addBase puts in the image what OpenCode needs around it: a /tmp and a
// HOME anyone may write to (the container may run as any user), that
// HOME's OpenCode config folder marked as having its dependencies (else
// OpenCode installs @opencode-ai/plugin from npm at its first request),
// users and groups for root and for uid and gid 1000, and the host's CA
// certificates, for the model providers' HTTPS.
func (fs *rootfs) addBase(version string) error {
	fs.add(imageFile{name: "/tmp", mode: 0o1777, dir: true})
	config := path.Join(imageHome, ".config", "opencode")
	for _, dir := range []string{imageHome, path.Dir(config), config, path.Join(config, "node_modules")} {
		fs.add(imageFile{name: dir, mode: 0o1777, dir: true})
	}
	fs.add(imageFile{name: path.Join(config, "package-lock.json"), mode: 0o666,
		data: fmt.Appendf(nil, `{"packages":{"":{"dependencies":{"@opencode-ai/plugin":%q}}}}`+"\n", version)})
	fs.add(imageFile{name: "/etc/passwd", mode: 0o644, data: []byte(
		"root:x:0:0:root:/root:/bin/sh\nopencode:x:1000:1000:OpenCode:" + imageHome + ":/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n")})
	fs.add(imageFile{name: "/etc/group", mode: 0o644, data: []byte("root:x:0:\nopencode:x:1000:\nnogroup:x:65534:\n")})
	if _, err := os.Stat(hostCACerts); err == nil {
		return fs.addHost(hostCACerts, hostCACerts, 0o644)
	}
	return nil
}

// addPrograms puts in the image each of imagePrograms the host has as a
// program (a script, such as a wrapper on PATH, is left out), at
// /usr/bin, and /bin/sh; it returns their names.
func (fs *rootfs) addPrograms() ([]string, error) {
	var names []string
	for _, name := range imagePrograms {
		host, err := exec.LookPath(name)
		if err != nil || !isELF(host) {
			continue
		}
		if err := fs.addProgram(path.Join("/usr/bin", name), host); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	if _, ok := fs.files["/usr/bin/sh"]; ok {
		fs.add(imageFile{name: "/bin/sh", link: "/usr/bin/sh"})
	}
	return names, nil
}

// buildContext writes the image's build context, a tar archive with the
// Dockerfile and the file system under rootfs/, always the same bytes
// for the same files.
func (fs *rootfs) buildContext(w io.Writer, dockerfile string) error {
	tw := tar.NewWriter(w)
	epoch := time.Unix(0, 0)
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
		return err
	}
	if _, err := io.WriteString(tw, dockerfile); err != nil {
		return err
	}
	files := slices.SortedFunc(func(yield func(imageFile) bool) {
		for _, f := range fs.files {
			if !yield(f) {
				return
			}
		}
	}, func(a, b imageFile) int { return cmp.Compare(a.name, b.name) })
	for _, f := range files {
		h := &tar.Header{Name: "rootfs" + f.name, Mode: f.mode, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case f.dir:
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		case f.link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, f.link, 0o777
		default:
			h.Typeflag = tar.TypeReg
		}
		if err := writeEntry(tw, h, f); err != nil {
			return err
		}
	}
	return tw.Close()
}

// writeEntry writes the tar entry of f, with h, and its content.
func writeEntry(tw *tar.Writer, h *tar.Header, f imageFile) error {
	if h.Typeflag != tar.TypeReg {
		return tw.WriteHeader(h)
	}
	if f.host == "" {
		h.Size = int64(len(f.data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(f.data)
		return err
	}
	src, err := os.Open(f.host)
	if err != nil {
		return err
	}
	defer src.Close()
	info, err := src.Stat()
	if err != nil {
		return err
	}
	h.Size = info.Size()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, src, h.Size); err != nil {
		return fmt.Errorf("copying %s: %w", f.host, err)
	}
	return nil
}

// contentHash is the SHA-256 of the build context, in hex.
func (fs *rootfs) contentHash(dockerfile string) (string, error) {
	h := sha256.New()
	if err := fs.buildContext(h, dockerfile); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
