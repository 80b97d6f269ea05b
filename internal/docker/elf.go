package docker

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// libraryPath says where the dynamic loader of this host looks for
// shared libraries: the folders of /etc/ld.so.conf (which its cache
// lists), then its built-in folders.
type libraryPath struct {
	folders []string
}

// hostLibraryPath is the library search path of this host.
func hostLibraryPath() libraryPath {
	folders := ldConfFolders("/etc/ld.so.conf")
	// glibc's built-in folders: the multiarch ones are in ld.so.conf on
	// Debian; lib64 holds 64-bit libraries on other distributions.
	folders = append(folders, "/lib64", "/usr/lib64", "/lib", "/usr/lib")
	return libraryPath{folders: folders}
}

// runtimeFiles returns what the program at path needs to run, as host
// paths: its interpreter (the dynamic loader) and the shared libraries it
// needs, with theirs, found as the loader finds them. A static program
// needs none.
func (lp libraryPath) runtimeFiles(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s is not a program this host runs: %w", path, err)
	}
	defer f.Close()
	var files []string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			data := make([]byte, p.Filesz)
			if _, err := p.ReadAt(data, 0); err != nil {
				return nil, fmt.Errorf("reading the interpreter of %s: %w", path, err)
			}
			files = append(files, strings.TrimRight(string(data), "\x00"))
		}
	}
	found := map[string]bool{}
	if err := lp.needed(path, f, nil, found, &files); err != nil {
		return nil, err
	}
	return files, nil
}

// needed appends to files the libraries the object obj (at path) needs
// that are not in found yet, then theirs. loaders is the DT_RPATH of the
// objects that loaded obj, nearest first, which the loader searches too.
func (lp libraryPath) needed(path string, obj *elf.File, loaders []string, found map[string]bool, files *[]string) error {
	names, err := obj.DynString(elf.DT_NEEDED)
	if err != nil {
		return fmt.Errorf("reading the libraries %s needs: %w", path, err)
	}
	// An object with a DT_RUNPATH has its own DT_RPATH ignored, and does
	// not search its loaders' for its own needs; the libraries it loads
	// still search the loaders' (as glibc's ld.so does).
	runpath := dynPath(obj, elf.DT_RUNPATH, path)
	var rpath []string
	if len(runpath) == 0 {
		loaders = append(dynPath(obj, elf.DT_RPATH, path), loaders...)
		rpath = loaders
	}
	for _, name := range names {
		lib, libFile, err := lp.find(name, obj, rpath, runpath)
		if err != nil {
			return fmt.Errorf("%s needs %s: %w", path, name, err)
		}
		if found[lib] {
			libFile.Close()
			continue
		}
		found[lib] = true
		*files = append(*files, lib)
		err = lp.needed(lib, libFile, loaders, found, files)
		libFile.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// find looks for the library name, which obj needs, as the loader does:
// a name with a slash is a path; else the DT_RPATH folders, the
// DT_RUNPATH folders, then the host's folders; only a library of obj's
// class and machine will do.
func (lp libraryPath) find(name string, obj *elf.File, rpath, runpath []string) (string, *elf.File, error) {
	var candidates []string
	if strings.Contains(name, "/") {
		candidates = []string{name}
	} else {
		for _, folders := range [][]string{rpath, runpath, lp.folders} {
			for _, dir := range folders {
				candidates = append(candidates, filepath.Join(dir, name))
			}
		}
	}
	for _, c := range candidates {
		f, err := elf.Open(c)
		if err != nil {
			continue
		}
		if f.Class == obj.Class && f.Machine == obj.Machine {
			return c, f, nil
		}
		f.Close()
	}
	return "", nil, fmt.Errorf("not found in %s", strings.Join(append(append(rpath, runpath...), lp.folders...), ", "))
}

// dynPath returns the folders of the object's DT_RPATH or DT_RUNPATH,
// with $ORIGIN (and ${ORIGIN}) replaced by the folder of its path.
func dynPath(obj *elf.File, tag elf.DynTag, path string) []string {
	values, _ := obj.DynString(tag)
	origin := filepath.Dir(path)
	if real, err := filepath.EvalSymlinks(path); err == nil {
		origin = filepath.Dir(real)
	}
	var folders []string
	for _, v := range values {
		for _, dir := range strings.Split(v, ":") {
			dir = strings.NewReplacer("${ORIGIN}", origin, "$ORIGIN", origin).Replace(dir)
			if dir != "" {
				folders = append(folders, dir)
			}
		}
	}
	return folders
}

// isELF reports whether the file at path is an ELF object.
func isELF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, err = f.ReadAt(magic, 0)
	return err == nil && string(magic) == elf.ELFMAG
}
