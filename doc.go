// Package portal runs and drives many OpenCode coding-agent servers
// (`opencode serve`) from one place: it starts one for each project folder,
// keeps them running, and talks to them on their users' behalf: sessions and
// prompts, live events, git and files.
//
// A [Portal] is the library's entry point. Package
// [github.com/opencode-portal/portal/httpapi] serves it over HTTP with the
// original OpenCode Portal's API, and more; the portal command
// (cmd/portal) runs that server and manages instances from a shell.
//
// # Quick start
//
// The zero [Config] works: instances bind to 127.0.0.1 from port 3100, and
// the registry is ~/.portal.json, the file the original Portal CLI keeps, so
// both see the same instances.
//
//	p, err := portal.New(portal.Config{})
//	if err != nil {
//		return err
//	}
//	defer p.Close()
//
//	in, err := p.StartInstance(ctx, portal.StartOptions{Directory: "/home/me/src/app"})
//	if err != nil {
//		return err // says why, with OpenCode's last lines of output
//	}
//	s, err := p.CreateSession(ctx, in.Port, portal.SessionCreateOptions{Title: "Tidy up"})
//	if err != nil {
//		return err
//	}
//	msg, err := p.Prompt(ctx, in.Port, s.ID, portal.PromptInput{Text: "Run the tests and fix what fails"})
//	if err != nil {
//		return err
//	}
//	fmt.Println(msg.Text())
//
// # Instances
//
// An [Instance] is one `opencode serve` process working in a project folder,
// known by its ID and by its OpenCode port; every call about what runs inside
// an instance names it by that port. [Portal.StartInstance] starts a folder,
// or returns the live instance it already has, also when several processes
// start it at once. [Portal.Instances], [Portal.Instance],
// [Portal.InstanceLogs], [Portal.RestartInstance], [Portal.StopInstance] and
// [Portal.Clean] list, inspect and manage them.
//
// The Portal supervises the instances it starts: with [RestartOnFailure] it
// starts a crashed one again. Instances outlive the Portal unless
// [Config.StopOnClose] is set, and the next Portal adopts them. The Portal
// only ever talks to instances in its registry, and sends nothing to a port
// the instance's own process does not hold: an instance that is down gets an
// [ENOTRUNNING] error, not a request.
//
// # Sessions and events
//
// Sessions are OpenCode's conversations: [Portal.Sessions],
// [Portal.CreateSession], [Portal.Messages] and the other session methods
// read and change them. [Portal.Prompt] sends a message and waits for the
// agent's whole turn; [Portal.PromptAsync] returns at once. On the way the
// agent may ask for permission or ask a question: [Portal.Permissions] and
// [Portal.ReplyPermission], [Portal.Questions] and [Portal.ReplyQuestion]
// answer them, and [Portal.Abort] ends a turn.
//
// [Portal.Subscribe] follows an instance's live [Event] values, filtered with
// [EventFilter]. However many subscribe, the Portal holds one event stream
// per instance; a subscriber that misses events gets an [EventResync] and
// should read the messages again.
//
// # Git
//
// The Git methods work in the git worktree of the instance's folder
// ([Portal.Worktree]), read on disk by the Portal itself, without OpenCode
// and without the git command for most repositories: [Portal.GitStatus],
// [Portal.GitDiff], [Portal.GitLog] and [Portal.GitBranches] read;
// [Portal.GitStage], [Portal.GitUnstage], [Portal.GitDiscard],
// [Portal.GitCommitChanges] and [Portal.GitCheckout] write as git would;
// [Portal.GitFetch], [Portal.GitPull] (fast-forward only) and
// [Portal.GitPush] talk to remotes with the repository's own credentials.
// Paths are relative to the worktree and never lead outside it.
//
// # Files
//
// [Portal.ReadFile] and [Portal.ListFiles] read the instance's folder, by
// slash-separated paths relative to it; a path that leads outside, also
// through a symbolic link, is refused. [Portal.SearchFiles] finds files by
// name and [Portal.ChangedFiles] lists those that differ from HEAD.
//
// # Errors
//
// Every error the Portal returns is an [*Error] with a code ([EINVALID],
// [ENOTFOUND], [ENOTRUNNING], ...), checked with [errors.Is] against the
// sentinels ([ErrNotFound], ...) or read with [ErrorCode]. Its message is
// safe to show a user: it says what failed and what to do, in the portal's
// own words; [Error.Hint] names the step it advises so that a front end can
// say how to take it. The cause, when there is one, is in the error's chain
// ([errors.Unwrap]); [ErrorMessage] shows any other error as a generic
// message, so that internal details do not reach users.
//
// # Concurrency and safety
//
// A Portal is safe for concurrent use, and so are the instances it drives
// from several Portals, in one process or many: the registry is shared and
// changed under a file lock. Calls that do I/O take a [context.Context];
// Close ends what the Portal runs in the background.
//
// Whoever can make the Portal act can run code as its user: OpenCode's agent
// runs commands. Instances bind to 127.0.0.1 by default and each is started
// with a new password, kept in the registry file that only its user may read;
// [Config.AllowedRoots] confines the folders they may work in. Serve the Portal over a network only with
// httpapi's credentials (httpapi.WithPassword, httpapi.WithTokens).
package portal
