package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/credentials"
)

// tokenUsage is the token command's synopsis.
const tokenUsage = "token create [--name N] | token list | token revoke ID"

// runToken creates, lists and revokes the access tokens that portal serve
// accepts.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("say what to do: " + tokenUsage)
	}
	fs, pf := newFlagSet("token "+args[0], stderr)
	tokensFile := tokensFlag(fs)
	var name *string
	if args[0] == "create" {
		name = fs.String("name", "", "what the token is for, shown by token list (e.g. phone)")
	}
	positional, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	path, err := tokensPath(*tokensFile, pf)
	if err != nil {
		return err
	}
	store := credentials.NewStore(path)
	switch {
	case args[0] == "create" && len(positional) == 0:
		tok, secret, err := store.Create(ctx, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "Created token %s in %s. It is shown only this once: keep it now.\nSend it as \"Authorization: Bearer TOKEN\", or as the password when a browser asks. portal serve accepts it at once.\n", tok.ID, path)
		return nil
	case args[0] == "list" && len(positional) == 0:
		tokens, err := store.List()
		if err != nil {
			return err
		}
		if len(tokens) == 0 {
			fmt.Fprintf(stdout, "No tokens in %s.\n", path)
			return nil
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tCREATED\tLAST USED\tNAME")
		for _, t := range tokens {
			used := "never"
			if !t.LastUsed.IsZero() {
				used = t.LastUsed.Local().Format(time.DateTime)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.ID, t.Created.Local().Format(time.DateTime), used, t.Name)
		}
		return w.Flush()
	case args[0] == "revoke" && len(positional) == 1:
		if err := store.Revoke(ctx, positional[0]); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Revoked token %s: it no longer works.\n", positional[0])
		return nil
	}
	return fmt.Errorf("unexpected arguments %q: use %s", args, tokenUsage)
}

// tokensFlag registers the --tokens flag on fs.
func tokensFlag(fs *flag.FlagSet) *string {
	return fs.String("tokens", "", "access token file (default: next to the registry, ~/.portal.tokens.json for ~/.portal.json)")
}

// tokensPath returns the token file the --tokens flag value names, else the
// one next to the registry the flags name.
func tokensPath(flagValue string, pf *portalFlags) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	registry := pf.registry
	if registry == "" {
		var err error
		if registry, err = portal.DefaultRegistryPath(); err != nil {
			return "", err
		}
	}
	return credentials.DefaultPath(registry), nil
}
