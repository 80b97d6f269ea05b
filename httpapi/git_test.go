package httpapi_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testGitRoutes drives the git routes against the shared real OpenCode's
// worktree, with the git CLI as the reference, and puts the worktree back
// as it was afterwards.
func testGitRoutes(t *testing.T) {
	oc := sharedOpenCode(t)
	s := newAPIServer(t)
	s.register(t, oc)
	dir := oc.Dir
	head := strings.TrimSpace(gitOut(t, dir, "rev-parse", "HEAD"))
	branch := strings.TrimSpace(gitOut(t, dir, "branch", "--show-current"))
	const area = "gitroutes" // every file this test makes is under it
	t.Cleanup(func() {
		gitOut(t, dir, "checkout", "-q", "-f", branch)
		gitOut(t, dir, "reset", "-q", "--hard", head)
		gitOut(t, dir, "branch", "-q", "-D", "gitroutes-topic")
		os.RemoveAll(filepath.Join(dir, area))
	})
	worktree, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	url := func(path string) string { return portURL(s, oc.Port, "git/"+path) }
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		code, v := getJSON(t, method, url(path), strings.NewReader(body))
		m, _ := v.(map[string]any)
		return code, m
	}
	writeFile := func(name, content string) {
		t.Helper()
		full := filepath.Join(dir, area, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	writeFile("a.txt", "one\ntwo\n")
	writeFile("b.txt", "bee\n")
	if code, m := call("POST", "stage", `{"paths":["`+area+`"]}`); code != 200 || len(m["files"].([]any)) < 2 {
		t.Fatalf("stage: %d %v", code, m)
	}
	code, m := call("POST", "commit", `{"message":"add files","author":{"name":"Route Test","email":"route@example.com"}}`)
	if code != 201 || m["subject"] != "add files" {
		t.Fatalf("commit: %d %v", code, m)
	}
	if got := gitOut(t, dir, "log", "-1", "--format=%H %an <%ae> %s"); got != m["hash"].(string)+" Route Test <route@example.com> add files\n" {
		t.Errorf("git log after commit: %q, answer %v", got, m)
	}
	if code, m := call("POST", "commit", `{"message":"again","author":{"name":"R","email":"r@example.com"}}`); code != 409 || m["code"] != "ECONFLICT" {
		t.Errorf("commit with nothing staged: %d %v", code, m)
	}

	writeFile("a.txt", "one\n2\nthree\n")
	writeFile("new.txt", "new\n")
	t.Run("diff parity", func(t *testing.T) {
		code, m := call("GET", "diff", "")
		want := map[string]any{"diff": gitOut(t, dir, "diff", "HEAD"), "worktree": worktree}
		if diff := cmp.Diff(want, m); code != 200 || diff != "" {
			t.Errorf("GET git/diff: %d (-git +ours):\n%s", code, diff)
		}
		code, m = call("GET", "diff?untracked=true&numstat=true&path="+area+"/new.txt", "")
		files, _ := m["files"].([]any)
		if code != 200 || !strings.Contains(m["diff"].(string), "+++ b/"+area+"/new.txt") || len(files) != 1 {
			t.Errorf("GET git/diff untracked: %d %v", code, m)
		}
		code, m = call("GET", "diff?staged=true", "")
		if code != 200 || m["diff"] != "" {
			t.Errorf("GET git/diff staged with nothing staged: %d %v", code, m)
		}
	})
	t.Run("status log branches", func(t *testing.T) {
		code, m := call("GET", "status", "")
		if code != 200 || m["branch"] != branch || m["worktree"] != worktree {
			t.Fatalf("status: %d %v", code, m)
		}
		var got []string
		for _, f := range m["files"].([]any) {
			f := f.(map[string]any)
			got = append(got, f["index"].(string)+f["worktree"].(string)+" "+f["path"].(string))
		}
		var want []string
		for _, line := range strings.Split(strings.TrimRight(gitOut(t, dir, "status", "--porcelain=v1", "-uall"), "\n"), "\n") {
			xy := strings.ReplaceAll(line[:2], " ", ".")
			want = append(want, xy+" "+line[3:])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("status files (-git +ours):\n%s", diff)
		}
		code, v := getJSON(t, "GET", url("log?limit=2&path="+area), nil)
		log, _ := v.([]any)
		if code != 200 || len(log) != 1 || log[0].(map[string]any)["subject"] != "add files" {
			t.Errorf("log: %d %v", code, v)
		}
		// limit=0 is the default limit, as for files/search.
		code, v = getJSON(t, "GET", url("log?limit=0&path="+area), nil)
		if log, _ := v.([]any); code != 200 || len(log) != 1 {
			t.Errorf("log?limit=0: %d %v", code, v)
		}
		code, m = call("GET", "branches", "")
		if code != 200 || m["current"] != branch || m["head"] == "" {
			t.Errorf("branches: %d %v", code, m)
		}
	})
	t.Run("checkout discard", func(t *testing.T) {
		code, m := call("POST", "checkout", `{"branch":"gitroutes-topic","create":true}`)
		if code != 200 || m["branch"] != "gitroutes-topic" {
			t.Fatalf("checkout: %d %v", code, m)
		}
		code, m = call("POST", "discard", `{"paths":["`+area+`/a.txt","`+area+`/new.txt"]}`)
		if code != 200 {
			t.Fatalf("discard: %d %v", code, m)
		}
		if got := gitOut(t, dir, "status", "--porcelain", "--", area); got != "" {
			t.Errorf("status after discard: %q", got)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, area, "a.txt")); string(data) != "one\ntwo\n" {
			t.Errorf("a.txt after discard = %q", data)
		}
	})
	t.Run("refused requests", func(t *testing.T) {
		before := gitOut(t, dir, "status", "--porcelain=v2", "--branch", "-uall")
		for _, tc := range []struct {
			method, path, body string
			status             int
			msg                string
		}{
			{"POST", "stage", `{"paths":"a.txt"}`, 400, `"paths"`},
			{"POST", "stage", `{}`, 400, "Paths required"},
			{"POST", "stage", `{"paths":["../../etc/passwd"]}`, 400, "Invalid path"},
			{"POST", "stage", `{"paths":["` + area + `/nope.txt"]}`, 400, "nope.txt"},
			{"POST", "unstage", `{"paths":[]}`, 400, "Paths required"},
			{"POST", "discard", `{"paths":["."]}`, 400, "whole worktree"},
			{"POST", "discard", `{"paths":["/etc/passwd"]}`, 400, "Invalid path"},
			{"POST", "commit", `{}`, 400, "Commit message required"},
			{"POST", "commit", `{"message":5}`, 400, `"message"`},
			{"POST", "commit", `{"message":"x","author":"me"}`, 400, `"author"`},
			{"POST", "checkout", `{"branch":5}`, 400, `"branch"`},
			{"POST", "checkout", `{}`, 400, "Branch name required"},
			{"POST", "checkout", `{"branch":"a..b"}`, 400, "Invalid branch name"},
			{"POST", "checkout", `{"branch":"HEAD","create":true}`, 400, "HEAD is not a branch name"},
			{"POST", "checkout", `{"branch":"x.lock","create":true}`, 400, `ends with ".lock"`},
			{"POST", "push", `{"branch":"-x"}`, 400, "starts with '-'"},
			{"POST", "push", `{"remote":"a..b"}`, 400, "Invalid remote name"},
			{"POST", "fetch", `{"remote":"../x"}`, 400, "Invalid remote name"},
			{"GET", "log?ref=../../HEAD", ``, 400, "Invalid ref"},
			{"POST", "checkout", `{"branch":"no-such-branch"}`, 404, "no-such-branch"},
			{"POST", "checkout", `{"branch":"` + branch + `","create":true}`, 409, "already exists"},
			{"GET", "diff?staged=maybe", ``, 400, "Invalid staged"},
			{"GET", "diff?path=../x", ``, 400, "Invalid path"},
			{"GET", "log?limit=abc", ``, 400, "Invalid limit"},
			{"GET", "log?limit=5000", ``, 400, "Invalid limit"},
			{"GET", "log?limit=-1", ``, 400, "from 1 to 1000"},
			{"GET", "log?ref=nope", ``, 404, "nope"},
			{"POST", "pull", ``, 409, "upstream"},
			{"POST", "push", `{"remote":"nowhere"}`, 404, "No such remote"},
			{"POST", "fetch", `{"remote":7}`, 400, `"remote"`},
		} {
			code, m := call(tc.method, tc.path, tc.body)
			msg, _ := m["message"].(string)
			if code != tc.status || m["statusCode"] != float64(tc.status) || !strings.Contains(msg, tc.msg) {
				t.Errorf("%s git/%s %s: %d %v, want %d with %q", tc.method, tc.path, tc.body, code, m, tc.status, tc.msg)
			}
		}
		if after := gitOut(t, dir, "status", "--porcelain=v2", "--branch", "-uall"); after != before {
			t.Errorf("refused requests changed the worktree:\n%s\nthen\n%s", before, after)
		}
		code, m := getJSON(t, "GET", portURL(s, 1, "git/status"), nil)
		if code != 404 || !strings.Contains(m.(map[string]any)["message"].(string), "1") {
			t.Errorf("status of an unregistered port: %d %v", code, m)
		}
	})
}
