package portal_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
)

// TestSessionsListing lists sessions through a stand-in OpenCode holding
// 12,000 sessions of another project and 1,201 of the instance's folder
// (and 5 in a folder below it), two sessions per millisecond so that pages
// end amid sessions updated at the same time. The default listing asks
// only for the instance's folder; every listing goes to the last session,
// beyond the 10,000 sessions a cap would stop at.
func TestSessionsListing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	other := t.TempDir()
	lister := &fakeopencode.Server{}
	var own, below, all []string
	for i := range 13206 {
		d := other
		switch {
		case i%11 == 0:
			d = dir
			own = append(own, fmt.Sprintf("ses_%05d", i))
		case i%2000 == 1:
			d = sub
		}
		if d != other {
			below = append(below, fmt.Sprintf("ses_%05d", i))
		}
		all = append(all, fmt.Sprintf("ses_%05d", i))
		lister.Sessions = append(lister.Sessions, fakeopencode.Session{ID: fmt.Sprintf("ses_%05d", i), Directory: d,
			Title: "s", Time: fakeopencode.SessionTime{Created: 1, Updated: 1_800_000_000_000 - int64(i/2)}})
	}
	slices.SortFunc(lister.Sessions, func(a, b fakeopencode.Session) int {
		return cmp.Or(cmp.Compare(b.Time.Updated, a.Time.Updated), cmp.Compare(b.ID, a.ID))
	})
	sortIDs := func(ids []string) []string { // as OpenCode orders them: time updated, then id, descending
		slices.SortFunc(ids, func(a, b string) int {
			ia, _ := strconv.Atoi(a[4:])
			ib, _ := strconv.Atoi(b[4:])
			return cmp.Or(cmp.Compare(ia/2, ib/2), cmp.Compare(b, a))
		})
		return ids
	}
	sortIDs(own)
	sortIDs(below)
	sortIDs(all)
	if len(own) <= 1000 || len(all) <= 10000 || len(below) == len(own) {
		t.Fatalf("the stand-in holds %d sessions, %d of the instance, %d below it", len(all), len(own), len(below))
	}
	port := portal.ServeStandIn(t, lister)
	p := portal.NewTestPortal(t, portal.Config{}, portal.StandIn{Dir: dir, Port: port})

	tests := []struct {
		name        string
		opts        portal.SessionListOptions
		want        []string
		onlyOwnSent bool // whether only the instance folder's sessions may be sent
	}{
		{"instance folder", portal.SessionListOptions{}, own, true},
		{"a folder and below", portal.SessionListOptions{Directory: dir}, below, false},
		{"all", portal.SessionListOptions{Scope: portal.ScopeAll}, all, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lister.SentOutside(dir)
			list, err := p.Sessions(t.Context(), port, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tt.want, ids(list)); diff != "" {
				t.Errorf("Sessions(%+v) ids (-want +got):\n%s", tt.opts, diff)
			}
			if n := lister.SentOutside(dir); tt.onlyOwnSent && n != 0 {
				t.Errorf("OpenCode sent %d sessions of other folders to list the instance's %d", n, len(own))
			}
		})
	}
}

// testSessionsOfTwoProjects lists the sessions of an instance whose
// OpenCode also holds a session of another project: the answer is
// OpenCode's own listing of the instance's folder, byte for byte.
func testSessionsOfTwoProjects(t *testing.T, b *openCodeBed) {
	own := b.newSession(t)
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "other.txt"), []byte(t.Name()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "another project"}} {
		if err := portaltest.Git(other, args...); err != nil {
			t.Fatal(err)
		}
	}
	direct, err := opencode.New(opencode.Options{BaseURL: b.OC.URL, Password: b.OC.Password})
	if err != nil {
		t.Fatal(err)
	}
	var theirs portal.Session
	if err := direct.Call(t.Context(), http.MethodPost, "/session", url.Values{"directory": {other}}, map[string]string{"title": "elsewhere"}, &theirs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := direct.Call(context.Background(), http.MethodDelete, "/session/"+theirs.ID, nil, nil, nil); err != nil {
			t.Error(err)
		}
	})
	if theirs.ProjectID == own.ProjectID || theirs.Directory != other {
		t.Fatalf("the other session is in project %s, folder %s; want another project than %s, in %s", theirs.ProjectID, theirs.Directory, own.ProjectID, other)
	}

	list, err := b.Portal.Sessions(t.Context(), b.Port, portal.SessionListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want json.RawMessage
	if err := direct.Call(t.Context(), http.MethodGet, "/experimental/session", url.Values{"limit": {"100000"}, "directory": {b.OC.Dir}}, nil, &want); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(compact.String(), string(got)); diff != "" {
		t.Errorf("Sessions() differs from OpenCode's listing of %s (-OpenCode +portal):\n%s", b.OC.Dir, diff)
	}
	if !slices.Contains(ids(list), own.ID) || slices.Contains(ids(list), theirs.ID) {
		t.Errorf("Sessions() = %v; want %s listed, not the other project's %s", ids(list), own.ID, theirs.ID)
	}
	all, err := b.Portal.Sessions(t.Context(), b.Port, portal.SessionListOptions{Scope: portal.ScopeAll})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids(all), own.ID) || !slices.Contains(ids(all), theirs.ID) {
		t.Errorf("Sessions(all) = %v; want both %s and %s", ids(all), own.ID, theirs.ID)
	}
}

// TestSessionsOfOneMillisecond lists, through the stand-in OpenCode, 1,201
// sessions updated in the same millisecond and 3 older ones: more than a
// page at one time, past which the cursor cannot move, and all are listed.
func TestSessionsOfOneMillisecond(t *testing.T) {
	dir := t.TempDir()
	lister := &fakeopencode.Server{}
	var want []string
	for i := range 1204 {
		updated := int64(1_800_000_000_000)
		if i >= 1201 {
			updated -= int64(i)
		}
		id := fmt.Sprintf("ses_%05d", 9999-i) // OpenCode's order at one time: id descending
		want = append(want, id)
		lister.Sessions = append(lister.Sessions, fakeopencode.Session{ID: id, Directory: dir, Title: "s", Time: fakeopencode.SessionTime{Created: 1, Updated: updated}})
	}
	port := portal.ServeStandIn(t, lister)
	p := portal.NewTestPortal(t, portal.Config{}, portal.StandIn{Dir: dir, Port: port})
	list, err := p.Sessions(t.Context(), port, portal.SessionListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(want, ids(list)); diff != "" {
		t.Errorf("Sessions() ids (-want +got):\n%s", diff)
	}
}

// testSessionListingFollowsChanges lists the instance's sessions after
// each change: one made through the portal shows at once, one made on
// OpenCode directly once its event arrived; and the listing is OpenCode's.
func testSessionListingFollowsChanges(t *testing.T, b *openCodeBed) {
	ctx := t.Context()
	direct, err := opencode.New(opencode.Options{BaseURL: b.OC.URL, Password: b.OC.Password})
	if err != nil {
		t.Fatal(err)
	}
	titles := func() map[string]string {
		list, err := b.Portal.Sessions(ctx, b.Port, portal.SessionListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, s := range list {
			m[s.ID] = s.Title
		}
		return m
	}
	was := portal.KeepSessionListsFor(b.Portal, time.Hour) // only the events tell of changes on OpenCode
	t.Cleanup(func() { portal.KeepSessionListsFor(b.Portal, was) })
	titles() // kept from here on

	s, err := b.Portal.CreateSession(ctx, b.Port, portal.SessionCreateOptions{Title: "through the portal"})
	if err != nil {
		t.Fatal(err)
	}
	if got := titles()[s.ID]; got != "through the portal" {
		t.Errorf("right after CreateSession, the listing has %s titled %q; want %q", s.ID, got, "through the portal")
	}
	if _, err := b.Portal.UpdateSession(ctx, b.Port, s.ID, portal.SessionUpdate{Title: "renamed"}); err != nil {
		t.Fatal(err)
	}
	if got := titles()[s.ID]; got != "renamed" {
		t.Errorf("right after UpdateSession, the listing has %s titled %q; want %q", s.ID, got, "renamed")
	}
	if err := b.Portal.DeleteSession(ctx, b.Port, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := titles()[s.ID]; ok {
		t.Errorf("right after DeleteSession, the listing still has %s", s.ID)
	}

	var theirs portal.Session
	if err := direct.Call(ctx, http.MethodPost, "/session", nil, map[string]string{"title": "on OpenCode"}, &theirs); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the session created on OpenCode to be listed", func() bool { return titles()[theirs.ID] == "on OpenCode" })
	if err := direct.Call(ctx, http.MethodDelete, "/session/"+theirs.ID, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the session deleted on OpenCode to be gone", func() bool { _, ok := titles()[theirs.ID]; return !ok })

	got, err := b.Portal.SessionsJSON(ctx, b.Port, portal.SessionListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want json.RawMessage
	if err := direct.Call(ctx, http.MethodGet, "/experimental/session", url.Values{"limit": {"100000"}, "directory": {b.OC.Dir}}, nil, &want); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(compact.String(), string(got)); diff != "" {
		t.Errorf("SessionsJSON() differs from OpenCode's listing (-OpenCode +portal):\n%s", diff)
	}
}
