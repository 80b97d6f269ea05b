// Package fakeopencode is the tests' one fake OpenCode. Server answers, in
// the test process, the calls the portal makes without a model (health,
// events, file search, the session listing). As a process, it stands in for
// `opencode serve`: a test binary calls Main from its TestMain; re-executed
// with EnvVar=1 (and "serve --port P --hostname H" as arguments) it prints
// the listening line, answers GET /global/health with basic auth and the
// rest as Server does, and can be told by FAKE_* variables to misbehave.
package fakeopencode

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// EnvVar set to "1" makes Main act as `opencode serve`.
const EnvVar = "GO_WANT_HELPER_PROCESS"

// BinVar names a built fake OpenCode program (cmd/fake-opencode) for Bin.
const BinVar = "FAKE_OPENCODE_BIN"

// Bin returns the program to start as the fake OpenCode, with EnvVar=1 in
// its environment: the one $FAKE_OPENCODE_BIN names, else the running test
// binary, whose TestMain calls Main.
func Bin() (string, error) {
	if bin := os.Getenv(BinVar); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("the fake OpenCode %s=%s: %w; build it (go build ./internal/fakeopencode/cmd/fake-opencode) or unset %s", BinVar, bin, err, BinVar)
		}
		return bin, nil
	}
	return os.Executable()
}

// Main acts as OpenCode and exits when EnvVar asks for it, and returns at
// once otherwise. ("sleep" makes it a process that ignores SIGTERM and
// sleeps: the fake's own child; "hold" one that ignores SIGTERM, keeps the
// files it was given for FAKE_HOLD_MS and exits.)
func Main() {
	switch os.Getenv(EnvVar) {
	case "1":
		exit(serve(os.Args[1:]))
	case "sleep":
		signal.Ignore(syscall.SIGTERM)
		time.Sleep(time.Hour)
		os.Exit(0)
	case "hold":
		signal.Ignore(syscall.SIGTERM)
		ms, _ := strconv.Atoi(os.Getenv("FAKE_HOLD_MS"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		exit(0)
	}
}

// exit ends the fake with code at once. os.Exit would not in a test binary
// built with -race: on code 0 the race runtime first sleeps a second
// (GORACE's atexit_sleep_ms), which every stop of a fake would wait for.
func exit(code int) {
	syscall.Exit(code)
}

// serve behaves like `opencode serve --port P --hostname H`. The
// environment steers it:
//
//	FAKE_EXIT=N           print an error and exit N at once
//	FAKE_DELAY_MS=N       wait N ms before listening
//	FAKE_SILENT=1         listen but never print the listening line
//	FAKE_HEALTH=STATUS    answer the health check with STATUS; "html" for a web page
//	FAKE_HEALTH_HANG_MS=N the first health check hangs N ms
//	FAKE_CRASH_MS=N       exit 3 N ms after the first answered health check
//	FAKE_CRASH_ONCE=FILE  crash only if FILE does not exist (and create it)
//	FAKE_IGNORE_TERM=1    ignore SIGTERM
//	FAKE_CHATTY=N         print N numbered lines after the listening line
//	FAKE_GRANDCHILD=1     start a child that ignores SIGTERM
//	FAKE_TERM_CHILD_MS=N  on SIGTERM, start a child in a session of its own
//	                      that holds the listening socket N ms (as OpenCode's
//	                      child does between its fork and its exec)
//	FAKE_PIDFILE=FILE     write "PID [GRANDCHILD-PID]" to FILE
func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	port := fs.Int("port", 0, "")
	hostname := fs.String("hostname", "127.0.0.1", "")
	if len(args) == 0 || args[0] != "serve" || fs.Parse(args[1:]) != nil {
		fmt.Fprintln(os.Stderr, "usage: opencode serve --port P --hostname H")
		return 2
	}
	env := func(k string) int { n, _ := strconv.Atoi(os.Getenv(k)); return n }
	fmt.Fprintln(os.Stderr, "fake: booting")
	terms := make(chan os.Signal, 1)
	if os.Getenv("FAKE_IGNORE_TERM") == "1" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		signal.Notify(terms, syscall.SIGTERM)
	}
	pids := strconv.Itoa(os.Getpid())
	if os.Getenv("FAKE_GRANDCHILD") == "1" {
		exe, _ := os.Executable()
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), EnvVar+"=sleep")
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "fake: grandchild:", err)
			return 1
		}
		pids += " " + strconv.Itoa(cmd.Process.Pid)
	}
	if f := os.Getenv("FAKE_PIDFILE"); f != "" {
		os.WriteFile(f, []byte(pids), 0o600)
	}
	if code := os.Getenv("FAKE_EXIT"); code != "" {
		fmt.Fprintln(os.Stderr, "fatal: boom")
		n, _ := strconv.Atoi(code)
		return n
	}
	time.Sleep(time.Duration(env("FAKE_DELAY_MS")) * time.Millisecond)

	l, err := net.Listen("tcp", net.JoinHostPort(*hostname, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error: Unexpected error\nServeError:", err)
		return 1
	}
	var probes atomic.Int32
	healthy := make(chan struct{})
	var answered sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("GET /global/health", func(w http.ResponseWriter, r *http.Request) {
		if probes.Add(1) == 1 {
			time.Sleep(time.Duration(env("FAKE_HEALTH_HANG_MS")) * time.Millisecond)
		}
		user, pw, _ := r.BasicAuth()
		wantUser := os.Getenv("OPENCODE_SERVER_USERNAME")
		if wantUser == "" {
			wantUser = "opencode"
		}
		if want := os.Getenv("OPENCODE_SERVER_PASSWORD"); want != "" && (user != wantUser || pw != want) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch h := os.Getenv("FAKE_HEALTH"); h {
		case "":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"healthy":true,"version":"fake"}`)
			answered.Do(func() { close(healthy) })
		case "html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html></html>")
		default:
			code, _ := strconv.Atoi(h)
			w.WriteHeader(code)
		}
	})
	mux.Handle("/", &Server{})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	if os.Getenv("FAKE_SILENT") != "1" {
		fmt.Printf("opencode server listening on http://%s\n", l.Addr())
	}
	for i := range env("FAKE_CHATTY") {
		fmt.Printf("line %d\n", i+1)
	}

	crash := make(chan struct{})
	if ms := os.Getenv("FAKE_CRASH_MS"); ms != "" {
		once := os.Getenv("FAKE_CRASH_ONCE")
		if _, err := os.Stat(once); once == "" || err != nil {
			if once != "" {
				os.WriteFile(once, nil, 0o600)
			}
			go func() {
				<-healthy
				time.Sleep(time.Duration(env("FAKE_CRASH_MS")) * time.Millisecond)
				close(crash)
			}()
		}
	}
	select {
	case <-crash:
		fmt.Fprintln(os.Stderr, "fake: crashing")
		return 3
	case <-terms:
		if ms := os.Getenv("FAKE_TERM_CHILD_MS"); ms != "" {
			holdListener(l, ms)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		return 0
	}
}

// holdListener starts a child, in a session of its own (out of the group a
// stop signals), that holds l's socket for ms milliseconds.
func holdListener(l net.Listener, ms string) {
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake: the listener's file:", err)
		return
	}
	defer f.Close()
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), EnvVar+"=hold", "FAKE_HOLD_MS="+ms)
	cmd.ExtraFiles = []*os.File{f}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "fake: the child that holds the listener:", err)
	}
}
