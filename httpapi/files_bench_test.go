package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkFiles measures reading a 1 MiB file and listing a 5,000-entry
// folder through the portal (HTTP handler, real client, JSON) against
// os.ReadFile and os.ReadDir on the same data, interleaved in one run, and
// reports the ratio portal/disk.
func BenchmarkFiles(b *testing.B) {
	text := bytes.Repeat([]byte("0123456789abcde\n"), 1<<16) // 1 MiB
	bed := newFilesBed(b, func(dir string) {
		write(b, dir, "bench/big.txt", text)
		write(b, dir, "bench/big.bin", randomBytes(len(text), 3))
		for i := range 5000 {
			write(b, dir, fmt.Sprintf("bench/many/f%04d.txt", i), []byte("x\n"))
		}
	})
	readFile := func(name string) func() error {
		return func() error { _, err := os.ReadFile(filepath.Join(bed.dir, area, name)); return err }
	}
	cases := []struct {
		name  string
		route string
		disk  func() error
	}{
		{"read-text-1MiB", "files/read?path=" + area + "/bench/big.txt", readFile("bench/big.txt")},
		{"read-text-1MiB-raw", "files/read?raw=1&path=" + area + "/bench/big.txt", readFile("bench/big.txt")},
		{"read-binary-1MiB", "files/read?path=" + area + "/bench/big.bin", readFile("bench/big.bin")},
		{"list-5000", "files/list?path=" + area + "/bench/many", func() error {
			_, err := os.ReadDir(filepath.Join(bed.dir, area, "bench/many"))
			return err
		}},
		// The same list against os.ReadDir plus the Lstat each entry needs
		// for its size, which os.ReadDir alone skips.
		{"list-5000-vs-readdir-lstat", "files/list?path=" + area + "/bench/many", func() error {
			des, err := os.ReadDir(filepath.Join(bed.dir, area, "bench/many"))
			for _, de := range des {
				if _, err := de.Info(); err != nil {
					return err
				}
			}
			return err
		}},
	}
	client := &http.Client{}
	get := func(b *testing.B, route string) {
		resp, err := client.Get(bed.base + "/" + route)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %v", route, resp.StatusCode, err)
		}
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			get(b, c.route) // the first asks OpenCode for the worktree, then it is cached
			var viaPortal, fromDisk time.Duration
			for b.Loop() {
				start := time.Now()
				get(b, c.route)
				viaPortal += time.Since(start)

				start = time.Now()
				if err := c.disk(); err != nil {
					b.Fatal(err)
				}
				fromDisk += time.Since(start)
			}
			b.ReportMetric(float64(viaPortal)/float64(fromDisk), "portal/disk")
			b.ReportMetric(float64(viaPortal.Microseconds())/float64(b.N), "portal-µs/op")
			b.ReportMetric(float64(fromDisk.Microseconds())/float64(b.N), "disk-µs/op")
		})
	}
}
