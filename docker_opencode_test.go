package portal_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/internal/dockerrun"
	"github.com/opencode-portal/portal/internal/dockertest"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
)

// containerID is the form of a container id in the registry and the API:
// the full one.
var containerID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// dockerBed is a Docker Engine with the portal's image, a fake model the
// containers reach on the host's bridge address, and the Config of a
// portal that runs instances in containers driven by that model.
type dockerBed struct {
	engine *docker.Client
	image  string // the portal's image, which a zero Config.Docker.Image means
	model  *portaltest.FakeModel
	cfg    portal.Config
}

// newDockerBed returns a dockerBed; without an Engine (or opencode, of
// which the image is built) the test fails under CI and is skipped
// elsewhere.
func newDockerBed(t testing.TB) *dockerBed {
	t.Helper()
	c := dockertest.Require(t)
	image := dockertest.Image(t)
	ctx := ctxTimeout(t, 30*time.Second)
	gw, err := c.BridgeGateway(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The model listens on the bridge's address only, not on every one.
	model := portaltest.NewFakeModelAt(t, net.JoinHostPort(gw.String(), "0"))
	_, port, _ := strings.Cut(strings.TrimPrefix(model.URL(), "http://"+gw.String()), ":")
	conf := portaltest.Config("http://host.docker.internal:" + port)
	// Nothing is refused by OpenCode: what the agent can not reach, only
	// the container keeps it from.
	conf["permission"] = map[string]any{"bash": "allow", "edit": "allow", "external_directory": "allow"}
	cfg := openCodeConfig(t, t.TempDir())
	// The container's own /tmp, not one in the home the runner makes.
	cfg.Env = slices.DeleteFunc(portaltest.Env(dockerrun.Home, conf), func(kv string) bool { return strings.HasPrefix(kv, "TMPDIR=") })
	cfg.DefaultRuntime = portal.RuntimeDocker
	cfg.Docker = portal.DockerConfig{CPUs: 1, Memory: 1 << 30}
	cfg.Restart, cfg.RestartBackoff = portal.RestartOnFailure, 100*time.Millisecond
	// The first calls to an OpenCode in a container of one CPU load its
	// project (and, without forProject's catalogue, its catalogue of
	// models): the subtest that makes them took 8 to 23 s in the suite,
	// and one call alone went over the default 30 s once, on a machine
	// busy compiling as well.
	cfg.RequestTimeout = testwait.Limit
	return &dockerBed{engine: c, image: image, model: model, cfg: cfg}
}

// forProject returns the bed's Config for instances of the project dir:
// their OpenCode reads its catalogue of models from an empty one in dir's
// .git folder (which a container sees at the same path), as
// portaltest.PrepareHome's in a home of the host. The home the runner makes
// holds none, and an OpenCode without one loads the catalogue built into
// it on its first turn: some 3.5 s of CPU, in a container of one CPU.
func (b *dockerBed) forProject(t *testing.T, dir string) portal.Config {
	t.Helper()
	models := filepath.Join(dir, ".git", "portal-test-models.json")
	if err := os.WriteFile(models, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := b.cfg
	cfg.Env = slices.Clone(cfg.Env)
	for i, kv := range cfg.Env {
		if strings.HasPrefix(kv, "OPENCODE_MODELS_PATH=") {
			cfg.Env[i] = "OPENCODE_MODELS_PATH=" + models
		}
	}
	return cfg
}

// removeContainer removes the container id when the test ends, should
// the test leave it.
func (b *dockerBed) removeContainer(t *testing.T, id string) {
	t.Cleanup(func() { b.engine.RemoveContainer(context.Background(), id) })
}

// TestDockerInstance runs one instance in a container through its life:
// started by a portal that is killed with -9, adopted by a new portal,
// driven end to end (a tool writes in the project, git sees it, events
// stream the turn), kept in its container (what the agent writes or runs
// outside the project does not reach the host), restarted after its
// container is killed, and stopped with nothing left behind.
func TestDockerInstance(t *testing.T) {
	b := newDockerBed(t)
	ctx := context.Background()
	dir := portaltest.NewGitRepo(t)

	cfg := b.forProject(t, dir)
	cfg.StopOnClose = false
	holder := startRole(t, "hold", roleConfig{Config: cfg, Dir: dir})
	// The test waits on the Engine and the container's OpenCode most of
	// its time: it runs beside the others, its container starting already
	// while the tests that do not run in parallel run.
	t.Parallel()
	var held portal.Instance
	if err := json.Unmarshal([]byte(holder.expect(t, "READY", 3*time.Minute)), &held); err != nil {
		t.Fatal(err)
	}
	if held.InstanceType != dockerrun.Type || held.ContainerID == nil || !containerID.MatchString(*held.ContainerID) {
		t.Fatalf("started instance: type %q, container %v; want docker and a full container id", held.InstanceType, held.ContainerID)
	}
	first := *held.ContainerID
	b.removeContainer(t, first)
	holder.cmd.Process.Signal(syscall.SIGKILL)
	holder.cmd.Process.Wait()
	if st, err := b.engine.InspectContainer(ctx, first); err != nil || !st.Running {
		t.Fatalf("the container did not outlive its portal: %+v, %v", st, err)
	}

	cfg.StopOnClose = true
	p := portal.NewTestPortal(t, cfg)
	in, err := p.Instance(ctx, held.ID)
	if err != nil || in.State != portal.StateRunning || in.ContainerID == nil || *in.ContainerID != first || in.Port != held.Port {
		t.Fatalf("adopted instance = %+v, %v; want the running container %s", in, err, first)
	}
	port := in.Port

	t.Run("container", func(t *testing.T) {
		e := readRegistry(t, cfg.RegistryPath)[0]
		if e.InstanceType != "docker" || e.ContainerID == nil || *e.ContainerID != first || e.Password == "" {
			t.Errorf("registry entry: type %q, container %v", e.InstanceType, e.ContainerID)
		}
		st, err := b.engine.InspectContainer(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{dockerrun.LabelID: held.ID, dockerrun.LabelDir: dir, dockerrun.LabelPort: itoa(port)}
		for k, v := range want {
			if st.Labels[k] != v {
				t.Errorf("label %s = %q, want %q", k, st.Labels[k], v)
			}
		}
		for k, v := range st.Labels {
			if strings.Contains(v, e.Password) || strings.Contains(k, e.Password) {
				t.Errorf("label %s holds the password", k)
			}
		}
		// Nothing of the Engine's is made for it but the container: stop
		// removes it all.
		if len(st.Volumes) != 0 || !slices.Equal(st.Networks, []string{"bridge"}) {
			t.Errorf("volumes %q, networks %q; want none, the default bridge", st.Volumes, st.Networks)
		}
		loopback := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
		if got := st.Published[port]; !slices.Equal(got, []netip.AddrPort{loopback}) {
			t.Errorf("port %d published at %v, want %v only", port, got, loopback)
		}
	})

	t.Run("a tool writes in the project, git and events see it", func(t *testing.T) {
		ctx := ctxTimeout(t, 2*time.Minute)
		events, err := p.Subscribe(ctx, port, portal.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.CreateSession(ctx, port, portal.SessionCreateOptions{Title: "in a container"})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "by-agent.txt")
		b.model.Enqueue(
			portaltest.ToolCallReply("write", map[string]string{"filePath": path, "content": "made in a container\n"}),
			portaltest.TextReply("Written."),
		)
		msg, err := p.Prompt(ctx, port, s.ID, portal.PromptInput{Text: "write a file"})
		if err != nil || msg.Text() != "Written." {
			t.Fatalf("prompt: %q, %v", msg.Text(), err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("the file the agent wrote: %v", err)
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid() {
			t.Errorf("the file is owned by %d:%d, want the user's %d:%d", st.Uid, st.Gid, os.Getuid(), os.Getgid())
		}
		gs, err := p.GitStatus(ctx, port)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(gs.Files, func(f portal.GitFileStatus) bool { return f.Path == "by-agent.txt" && f.Worktree == "?" }) {
			t.Errorf("git status files = %+v, want by-agent.txt untracked", gs.Files)
		}
		// The turn streamed: the write tool's part and the reply's.
		var tool, reply bool
		for !tool || !reply {
			select {
			case ev := <-events:
				if ev.SessionID == s.ID && ev.Type == "message.part.updated" {
					tool = tool || strings.Contains(string(ev.Properties), `"tool":"write"`)
					reply = reply || strings.Contains(string(ev.Properties), "Written.")
				}
			case <-ctx.Done():
				t.Fatalf("events: the write tool's part seen %v, the reply's %v", tool, reply)
			}
		}
	})

	t.Run("another portal relays to it while the Engine runs it", func(t *testing.T) {
		// A second portal supervises nothing here: it finds the instance
		// alive by asking the Engine about its container.
		other := cfg
		other.StopOnClose = false
		p2 := portal.NewTestPortal(t, other)
		mine, err := p.Sessions(ctx, port, portal.SessionListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := p2.Sessions(ctx, port, portal.SessionListOptions{})
		if err != nil {
			t.Fatalf("sessions through another portal: %v", err)
		}
		ids := func(list []portal.Session) []string {
			var out []string
			for _, s := range list {
				out = append(out, s.ID)
			}
			return out
		}
		if len(mine) == 0 {
			t.Fatal("no session to compare; the subtest before makes one")
		}
		if diff := cmp.Diff(ids(mine), ids(theirs)); diff != "" {
			t.Errorf("sessions through another portal (-supervising +other):\n%s", diff)
		}
	})

	t.Run("what the agent does outside the project stays in the container", func(t *testing.T) {
		ctx := ctxTimeout(t, 2*time.Minute)
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		inHome := filepath.Join(home, "portal-docker-escape-"+held.ID+".txt")
		// /tmp is in the container too, as a folder of its own.
		inTemp := filepath.Join(os.TempDir(), "portal-docker-escape-"+held.ID+".txt")
		t.Cleanup(func() { os.Remove(inHome); os.Remove(inTemp) })
		s, err := p.CreateSession(ctx, port, portal.SessionCreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b.model.Enqueue(
			portaltest.ToolCallReply("write", map[string]string{"filePath": inHome, "content": "escaped\n"}),
			bashCall("echo escaped > "+inTemp+" && read line < "+inTemp+" && echo \"read $line\""),
			portaltest.TextReply("Tried."),
		)
		if msg, err := p.Prompt(ctx, port, s.ID, portal.PromptInput{Text: "write outside"}); err != nil || msg.Text() != "Tried." {
			t.Fatalf("prompt: %q, %v", msg.Text(), err)
		}
		// The command ran, and wrote its file, in the container.
		reqs := b.model.AgentRequests()
		last := reqs[len(reqs)-1]
		var out string
		for _, m := range last.Messages {
			for _, c := range m.ToolCalls {
				if c.Name == "bash" {
					out, _ = last.ToolResult(c.ID)
				}
			}
		}
		if !strings.Contains(out, "read escaped") {
			t.Errorf("bash tool result = %q, want the file it wrote read back", out)
		}
		for _, f := range []string{inHome, inTemp} {
			if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s reached the host (%v)", f, err)
			}
		}
	})

	t.Run("logs come from the Engine", func(t *testing.T) {
		lines, err := p.InstanceLogs(ctx, held.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "opencode server listening") }) {
			t.Errorf("logs = %q, want OpenCode's listening line", lines)
		}
	})

	t.Run("a killed container is restarted", func(t *testing.T) {
		if err := b.engine.KillContainer(ctx, first); err != nil {
			t.Fatal(err)
		}
		ctx := ctxTimeout(t, 3*time.Minute)
		for {
			in, err = p.Instance(ctx, held.ID)
			if err != nil {
				t.Fatal(err)
			}
			if in.State == portal.StateRunning && in.ContainerID != nil && *in.ContainerID != first {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("instance after the kill: %+v", in)
			}
			time.Sleep(100 * time.Millisecond)
		}
		b.removeContainer(t, *in.ContainerID)
		if in.Restarts != 1 || in.LastExit != "signal: killed" {
			t.Errorf("restarts %d, last exit %q; want 1, signal: killed", in.Restarts, in.LastExit)
		}
		if _, err := b.engine.InspectContainer(ctx, first); !isNotFound(err) {
			t.Errorf("the killed container is left: %v", err)
		}
		if e := readRegistry(t, cfg.RegistryPath)[0]; e.ContainerID == nil || *e.ContainerID != *in.ContainerID {
			t.Errorf("registry container %v, want %s", e.ContainerID, *in.ContainerID)
		}
		// The sessions live in OpenCode's home, which the new container has.
		if list, err := p.Sessions(ctx, port, portal.SessionListOptions{}); err != nil || len(list) != 2 {
			t.Errorf("sessions after the restart: %d, %v; want the 2 made before", len(list), err)
		}
	})

	t.Run("stop leaves nothing", func(t *testing.T) {
		last := *in.ContainerID
		if err := p.StopInstance(ctx, held.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.engine.InspectContainer(ctx, last); !isNotFound(err) {
			t.Errorf("the container is left: %v", err)
		}
		home := filepath.Join(filepath.Dir(cfg.RegistryPath), ".portal-data", held.ID)
		if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("OpenCode's home %s is left: %v", home, err)
		}
		if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 0 {
			t.Errorf("registry after the stop: %+v", entries)
		}
	})
}

// TestDockerAdoptsOriginalCLIContainer adopts a container started the way
// the original CLI's docker mode did (no labels, its default user, the
// port published on the entry's hostname) from the entry it wrote, and
// stops it.
func TestDockerAdoptsOriginalCLIContainer(t *testing.T) {
	b := newDockerBed(t)
	ctx := ctxTimeout(t, 3*time.Minute)
	dir := portaltest.NewGitRepo(t)
	port, err := firstPort()
	if err != nil {
		t.Fatal(err)
	}
	// The CLI named the container after the folder and the instance: the
	// instance's id is random, so that runs sharing an Engine do not clash.
	instanceID := fmt.Sprintf("%08x", rand.Uint32())
	id, err := b.engine.CreateContainer(ctx, docker.ContainerSpec{
		Name:    "openportal-" + filepath.Base(dir) + "-" + instanceID,
		Image:   b.image,
		Cmd:     []string{"serve", "--port", itoa(port), "--hostname", "0.0.0.0"},
		WorkDir: dir,
		Binds:   []docker.Bind{{Source: dir, Target: dir}},
		Port:    port,
		HostIP:  netip.MustParseAddr("127.0.0.1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	b.removeContainer(t, id)
	if err := b.engine.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	err = registry.New(b.cfg.RegistryPath).Update(ctx, func(f *registry.File) error {
		f.Instances = append(f.Instances, registry.Entry{ID: instanceID, Name: filepath.Base(dir), Directory: dir,
			OpencodePort: port, Hostname: "127.0.0.1", StartedAt: "2026-01-06T10:00:00.000Z",
			InstanceType: "docker", ContainerID: &id})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Its OpenCode takes a few seconds to listen, while the tests that do
	// not run in parallel run: a portal adopts it once it answers.
	t.Parallel()
	ctx = ctxTimeout(t, 3*time.Minute)
	var in portal.Instance
	for {
		p := portal.NewTestPortal(t, b.cfg)
		in, err = p.Instance(ctx, instanceID)
		if err == nil && in.State == portal.StateRunning {
			if err := p.StopInstance(ctx, instanceID); err != nil {
				t.Fatal(err)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the original CLI's instance: %+v, %v", in, err)
		}
		time.Sleep(time.Second)
	}
	if in.InstanceType != "docker" || in.ContainerID == nil || *in.ContainerID != id {
		t.Errorf("adopted instance: type %q, container %v; want docker, %s", in.InstanceType, in.ContainerID, id)
	}
	if _, err := b.engine.InspectContainer(ctx, id); !isNotFound(err) {
		t.Errorf("the stopped container is left: %v", err)
	}
}

// TestDockerStartRefused asks for docker instances that can not start
// (no Engine answers; an address other than loopback; an image name the
// Engine would refuse): a clear error, and nothing registered.
func TestDockerStartRefused(t *testing.T) {
	cfg := portal.Config{RegistryPath: filepath.Join(t.TempDir(), "portal.json")}
	cfg.Docker.Host = "unix://" + filepath.Join(t.TempDir(), "no-engine.sock")
	p := portal.NewTestPortal(t, cfg)
	tests := []struct {
		name    string
		opts    portal.StartOptions
		code    string
		message string
	}{
		{"no Engine", portal.StartOptions{Runtime: portal.RuntimeDocker}, portal.EUNAVAILABLE, "does not answer: start dockerd or set DOCKER_HOST"},
		{"all addresses", portal.StartOptions{Runtime: portal.RuntimeDocker, Hostname: "0.0.0.0"}, portal.EINVALID, "Docker instances are published on 127.0.0.1 only, not on 0.0.0.0"},
		{"a LAN address", portal.StartOptions{Runtime: portal.RuntimeDocker, Hostname: "192.168.1.2"}, portal.EINVALID, "published on 127.0.0.1 only"},
		{"an image name Docker refuses", portal.StartOptions{Runtime: portal.RuntimeDocker, Image: "Portal:latest"}, portal.EINVALID, `Invalid image "Portal:latest"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Directory = portaltest.NewGitRepo(t)
			_, err := p.StartInstance(context.Background(), tt.opts)
			var pe *portal.Error
			if !errors.As(err, &pe) || pe.Code != tt.code || !strings.Contains(pe.Message, tt.message) {
				t.Fatalf("start: %v; want %s saying %q", err, tt.code, tt.message)
			}
			if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 0 {
				t.Errorf("registry: %+v, want nothing", entries)
			}
		})
	}
}

// isNotFound reports whether err is the Engine's "no such container".
func isNotFound(err error) bool {
	var de *docker.Error
	return errors.As(err, &de) && de.Kind == docker.NotFound
}
