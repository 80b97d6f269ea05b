package httpapi

// routes registers every route of the API. Paths under /api/opencode/{port}/
// act on the registered OpenCode instance listening on that port. A route's
// request bodies are limited by WithMaxBodyBytes unless its entry names
// another limit (promptBody: WithMaxPromptBytes, for routes that carry a
// user's text to the agent).
func (h *handler) routes() {
	// System.
	h.handle("GET /api/openapi.json", h.openAPI)
	h.handle("GET /api/system/hostname", h.hostname)

	// Signing in (login.go), answered without credentials.
	h.handleOpen("GET /api/auth", h.authStatus)
	h.handleOpen("POST /api/auth/login", h.login)
	h.handleOpen("POST /api/auth/logout", h.logout)

	// Instances.
	h.handle("GET /api/instances", h.listInstances)
	h.handle("POST /api/instances", h.startInstance)
	h.handle("GET /api/instances/{id}", h.getInstance)
	h.handle("DELETE /api/instances/{id}", h.stopInstance)
	h.handle("POST /api/instances/{id}/restart", h.restartInstance)
	h.handle("GET /api/instances/{id}/logs", h.instanceLogs)

	// OpenCode pass-through.
	h.handle("GET /api/opencode/{port}/health", h.health)
	h.handle("GET /api/opencode/{port}/project/current", h.currentProject)
	h.handle("GET /api/opencode/{port}/config", h.openCodeConfig)
	h.handle("GET /api/opencode/{port}/providers", h.providers)
	h.handle("GET /api/opencode/{port}/agents", h.agents)

	// Sessions.
	h.handle("GET /api/opencode/{port}/sessions", h.listSessions)
	h.handle("POST /api/opencode/{port}/session/create", h.createSession)
	h.handle("GET /api/opencode/{port}/session/status", h.sessionStatus)
	h.handle("GET /api/opencode/{port}/session/{id}", h.getSession)
	h.handle("PATCH /api/opencode/{port}/session/{id}", h.updateSession)
	h.handle("DELETE /api/opencode/{port}/session/{id}", h.deleteSession)
	h.handle("GET /api/opencode/{port}/session/{id}/messages", h.messages)
	h.handle("GET /api/opencode/{port}/session/{id}/children", h.children)
	h.handle("POST /api/opencode/{port}/session/{id}/prompt", h.prompt, promptBody)
	h.handle("POST /api/opencode/{port}/session/{id}/prompt_async", h.promptAsync, promptBody)
	h.handle("POST /api/opencode/{port}/session/{id}/abort", h.abort)
	h.handle("POST /api/opencode/{port}/session/{id}/fork", h.fork)

	// Permissions and questions.
	h.handle("GET /api/opencode/{port}/permissions", h.permissions)
	h.handle("POST /api/opencode/{port}/permission/{requestId}/reply", h.replyPermission)
	h.handle("GET /api/opencode/{port}/questions", h.questions)
	h.handle("POST /api/opencode/{port}/question/{requestId}/reply", h.replyQuestion)
	h.handle("POST /api/opencode/{port}/question/{requestId}/reject", h.rejectQuestion)

	// Live events.
	h.handle("GET /api/opencode/{port}/events", h.events)

	// Git.
	h.handle("GET /api/opencode/{port}/git/diff", h.gitDiff)
	h.handle("GET /api/opencode/{port}/git/status", h.gitStatus)
	h.handle("GET /api/opencode/{port}/git/log", h.gitLog)
	h.handle("GET /api/opencode/{port}/git/branches", h.gitBranches)
	h.handle("POST /api/opencode/{port}/git/checkout", h.gitCheckout)
	h.handle("POST /api/opencode/{port}/git/stage", h.gitStage)
	h.handle("POST /api/opencode/{port}/git/unstage", h.gitUnstage)
	h.handle("POST /api/opencode/{port}/git/commit", h.gitCommit)
	h.handle("POST /api/opencode/{port}/git/discard", h.gitDiscard)
	h.handle("POST /api/opencode/{port}/git/fetch", h.gitFetch)
	h.handle("POST /api/opencode/{port}/git/pull", h.gitPull)
	h.handle("POST /api/opencode/{port}/git/push", h.gitPush)

	// Files.
	h.handle("GET /api/opencode/{port}/files/search", h.searchFiles)
	h.handle("GET /api/opencode/{port}/files/list", h.listFiles)
	h.handle("GET /api/opencode/{port}/files/read", h.readFile)
	h.handle("GET /api/opencode/{port}/files/status", h.changedFiles)
}
