package portal_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/opencode-portal/portal"
)

// Reading a file of the project of the instance on port 3100. Paths are
// relative to the instance's folder; one that leads outside is refused.
func ExamplePortal_ReadFile() {
	p, err := portal.New(portal.Config{MaxReadSize: 4 << 20})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()

	f, err := p.ReadFile(ctx, 3100, "src/main.go")
	switch {
	case errors.Is(err, portal.ErrForbidden):
		log.Fatal("outside the project: ", err)
	case errors.Is(err, portal.ErrTooLarge):
		log.Fatal("over the read limit: ", err)
	case err != nil:
		log.Fatal(err)
	}
	if f.Binary {
		fmt.Printf("%s: %d bytes of %s\n", f.Path, f.Size, f.MimeType)
		return
	}
	fmt.Print(string(f.Data))
}

// Listing a folder, then searching file names with OpenCode's finder.
func ExamplePortal_ListFiles() {
	p, err := portal.New(portal.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()

	entries, err := p.ListFiles(ctx, 3100, "src")
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		if !e.Ignored {
			fmt.Println(e.Type, e.Path, e.Size)
		}
	}
	found, err := p.SearchFiles(ctx, 3100, portal.FileSearch{Query: "main", Type: portal.FileTypeFile})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(found)
}

// Paths are relative to the instance's folder: one that leads outside it is
// refused, and the error says so in words a user can act on.
func ExamplePortal_ReadFile_outside() {
	p, port, dir, cleanup := registeredFolder()
	defer cleanup()
	ctx := context.Background()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello\n"), 0o644)

	f, err := p.ReadFile(ctx, port, "notes.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %d bytes %q\n", f.Path, f.Size, f.Data)

	_, err = p.ReadFile(ctx, port, "../portal.json")
	fmt.Println(portal.ErrorCode(err))
	fmt.Println(err)
	// Output:
	// notes.txt 6 bytes "hello\n"
	// EFORBIDDEN
	// Path "../portal.json": climbs out of the project folder with ".."; only files in the instance's folder (where it was started) can be listed or read
}
