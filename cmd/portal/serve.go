package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/net/netutil"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/credentials"
	"github.com/opencode-portal/portal/webui"
)

// defaultMaxConnections is serve's default for --max-connections: far more
// than the pages of one person or team need (an open page holds a
// connection or two for its event stream), far fewer than the open files a
// process may have.
const defaultMaxConnections = 1000

// maxBodyMiBFlag bounds --max-body-mib and --max-prompt-mib: a body that
// large must be held in memory a few times over.
const maxBodyMiBFlag = 1024

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, pf := newFlagSet("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:3000", "address to listen on (loopback by default; use 0.0.0.0:3000 to expose it)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	passwordFile := fs.String("password-file", "", "file (mode 0600) holding the password, 12 characters or more, clients must send with HTTP Basic auth (default $PORTAL_PASSWORD)")
	noAuth := fs.Bool("no-auth", false, "allow serving a non-loopback address without a password or token (e.g. behind an authenticating proxy)")
	tokensFile := tokensFlag(fs)
	pf.startFlags(fs)
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with the certificate (chain) in this PEM `file`; needs --tls-key")
	tlsKey := fs.String("tls-key", "", "the private key of --tls-cert, in this PEM `file`")
	bodyTimeout := fs.Duration("body-timeout", httpapi.DefaultBodyIdleTimeout, "end a request whose body stops arriving for this long (a whole body may take at most 2m)")
	maxBodyMiB := fs.Int64("max-body-mib", httpapi.DefaultMaxBodyBytes>>20, "largest request body, in MiB, of every route but the prompt routes")
	maxPromptMiB := fs.Int64("max-prompt-mib", httpapi.DefaultMaxPromptBytes>>20, "largest request body, in MiB, of the prompt and prompt_async routes (a pasted log or file)")
	maxConns := fs.Int("max-connections", defaultMaxConnections, "connections served at once; more wait until one closes (each open page holds one or more for its live events)")
	runtime := fs.String("runtime", string(portal.RuntimeProcess), "how instances run when a start names no runtime: process, or docker (a container that sees only the project)")
	dockerImage := fs.String("docker-image", "", "image of docker instances (default: portal-opencode:<OpenCode version>, made by portal image build)")
	dockerCPUs := fs.Float64("docker-cpus", 0, "CPU limit of docker instances that give none (default: none)")
	dockerMemory := fs.String("docker-memory", "", "memory limit of docker instances that give none, as 512m or 2g (default: none)")
	uiFlag := fs.String("ui", "", "web UI to serve at /: a `DIR` holding index.html, such as the original Portal web app's build (it then needs the credentials the API needs), or none (default: the UI built in)")
	var allowedHosts, allowedOrigins []string
	fs.Func("allow-host", "also answer requests addressed to this host `name`, e.g. the server's name on the network (repeatable; localhost and IP addresses are always answered)", func(s string) error {
		allowedHosts = append(allowedHosts, s)
		return httpapi.CheckAllowedHost(s)
	})
	fs.Func("allow-origin", "let pages of this `origin` (scheme://host[:port]) change things, as the portal's own pages can (repeatable)", func(s string) error {
		allowedOrigins = append(allowedOrigins, s)
		return httpapi.CheckAllowedOrigin(s)
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bodyTimeout <= 0 {
		return fmt.Errorf("--body-timeout %v: give a positive duration, such as 15s", *bodyTimeout)
	}
	for _, f := range []struct {
		name string
		mib  int64
	}{{"--max-body-mib", *maxBodyMiB}, {"--max-prompt-mib", *maxPromptMiB}} {
		if f.mib < 1 || f.mib > maxBodyMiBFlag {
			return fmt.Errorf("%s %d: give a number of MiB from 1 to %d", f.name, f.mib, maxBodyMiBFlag)
		}
	}
	if *maxConns <= 0 {
		return fmt.Errorf("--max-connections %d: give a positive number, such as %d", *maxConns, defaultMaxConnections)
	}
	password, err := readPassword(*passwordFile)
	if err != nil {
		return err
	}
	tokens, err := tokensPath(*tokensFile, pf)
	if err != nil {
		return err
	}
	hasTokens, err := credentials.NewVerifier(tokens).InUse()
	if err != nil {
		return err // checked now, so that a broken file stops the start, not each request
	}
	if password == "" && !hasTokens && !*noAuth && !isLoopback(*addr) {
		return fmt.Errorf("refusing to serve %s without a password or token: anyone who reaches it could drive your agents; set PORTAL_PASSWORD or --password-file, or make a token with portal token create (or --no-auth behind a proxy that authenticates)", *addr)
	}
	tlsConf, err := tlsConfig(*tlsCert, *tlsKey)
	if err != nil {
		return err
	}
	ui, err := openUI(*uiFlag, webui.FS())
	if err != nil {
		return err
	}
	defer ui.close()
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	cfg := pf.config()
	cfg.Logger = log
	cfg.DefaultRuntime = portal.Runtime(*runtime)
	cfg.Docker = portal.DockerConfig{Image: *dockerImage, CPUs: *dockerCPUs}
	if *dockerMemory != "" {
		if cfg.Docker.Memory, err = portal.ParseMemory(*dockerMemory); err != nil {
			return err
		}
	}
	p, err := portal.New(cfg)
	if err != nil {
		return err
	}
	defer p.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	ln = netutil.LimitListener(ln, *maxConns)
	api := httpapi.New(p, append(ui.options(), httpapi.WithPassword(password), httpapi.WithTokens(tokens), httpapi.WithAllowedHosts(allowedHosts...), httpapi.WithAllowedOrigins(allowedOrigins...),
		httpapi.WithMaxBodyBytes(*maxBodyMiB<<20), httpapi.WithMaxPromptBytes(*maxPromptMiB<<20))...)
	// No WriteTimeout: it would end event streams and the answers of long
	// prompts. Bodies have their own deadlines, which also catch a pause.
	srv := &http.Server{
		Handler:           logRequests(log, httpapi.LimitBodyReads(api, httpapi.BodyTimeouts{Idle: *bodyTimeout})),
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http://"
	if tlsConf != nil {
		scheme = "https://"
		ln = tls.NewListener(ln, tlsConf)
	} else if !isLoopback(*addr) {
		log.Warn("serving plain HTTP beyond loopback: passwords and tokens cross the network unencrypted; use --tls-cert and --tls-key, or a TLS proxy in front")
	}
	log.Info("portal listening", "addr", scheme+ln.Addr().String(), "ui", ui.url(scheme, ln.Addr()), "registry", p.Config().RegistryPath, "password", password != "", "tokens", tokens)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// readPassword returns the password from file (its first line; the file
// must be private), else from $PORTAL_PASSWORD, else "". A password shorter
// than credentials.MinPasswordLength is an error.
func readPassword(file string) (string, error) {
	if file != "" {
		return credentials.ReadPasswordFile(file)
	}
	password := os.Getenv("PORTAL_PASSWORD")
	if password == "" {
		return "", nil
	}
	if err := credentials.CheckPassword(password); err != nil {
		return "", fmt.Errorf("PORTAL_PASSWORD: %w", err)
	}
	return password, nil
}

// isLoopback reports whether addr (host:port) listens on loopback only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
