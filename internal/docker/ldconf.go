package docker

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// ldConfEntry is a line of an ld.so.conf file: a folder, or the pattern
// of an include.
type ldConfEntry struct {
	folder, include string
}

// parseLdConf reads one file in the format of /etc/ld.so.conf: a folder
// per line, "include PATTERN" lines naming more such files (a relative
// pattern is relative to dir, the folder of the file), comments from '#'
// and "hwcap" lines, which name no folder. It returns its entries in their order.
func parseLdConf(data []byte, dir string) []ldConfEntry {
	var entries []ldConfEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "include":
			for _, pattern := range fields[1:] {
				if !filepath.IsAbs(pattern) {
					pattern = filepath.Join(dir, pattern)
				}
				entries = append(entries, ldConfEntry{include: pattern})
			}
		case fields[0] == "hwcap":
		default:
			// ld.so.conf allows folders separated by commas and
			// colons as well as by blanks.
			for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ':' || r == ' ' || r == '\t' || r == '\r' }) {
				if filepath.IsAbs(f) {
					entries = append(entries, ldConfEntry{folder: filepath.Clean(f)})
				}
			}
		}
	}
	return entries
}

// ldConfFolders returns the library folders the file at path names, as
// ldconfig reads them, following includes (each file once); a missing
// file names none.
func ldConfFolders(path string) []string {
	var folders []string
	seen := map[string]bool{}
	var read func(path string)
	read = func(path string) {
		if seen[path] {
			return
		}
		seen[path] = true
		data, err := os.ReadFile(path)
		if err != nil {
			return
		}
		for _, e := range parseLdConf(data, filepath.Dir(path)) {
			if e.folder != "" {
				folders = append(folders, e.folder)
				continue
			}
			matches, _ := filepath.Glob(e.include)
			for _, m := range matches { // Glob sorts them, as ldconfig does
				read(m)
			}
		}
	}
	read(path)
	return folders
}
