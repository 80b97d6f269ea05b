// The Changes screen: the instance's git status (branch, ahead/behind,
// conflicted, staged, unstaged and untracked files), a file's diff, stage /
// unstage / discard per file, commit, fetch / pull / push, and switching
// branches. Everything goes through ctx.api; errors go to ctx.notify.

import { h, isAbort } from "./views-dom.js";

const REFRESH_EVENTS = ["file.edited", "file.watcher.updated", "session.idle"];
const REFRESH_DELAY_MS = 500;

/**
 * mountChanges renders the Changes screen of instance ctx.port into el and
 * returns its cleanup.
 */
export function mountChanges(el, ctx) {
  const ac = new AbortController();
  const git = (route) => `opencode/${encodeURIComponent(ctx.port)}/git/${route}`;
  let status = null;
  let shown = ""; // the status on screen, as JSON: the same one is not drawn again
  let open = null; // {path, kind: "staged"|"unstaged"|"untracked"} whose diff is shown
  let busy = false;
  let refreshTimer = 0;

  const branchPicker = h("select", { testid: "branch-picker", "aria-label": "Branch", onchange: () => checkout(branchPicker.value) });
  const aheadBehind = h("span", { class: "ahead-behind", testid: "ahead-behind" });
  const notice = h("p", { class: "notice", testid: "git-notice", hidden: true });
  const lists = h("div", { class: "changes-lists" });
  const message = h("textarea", { testid: "commit-message", rows: 3, placeholder: "Commit message", "aria-label": "Commit message" });
  const commitButton = h("button", { type: "button", testid: "commit", onclick: commit }, "Commit");
  const log = h("ol", { class: "commit-log", testid: "commit-log" });
  const remoteButton = (label, testid, run) => h("button", { type: "button", testid, onclick: run }, label);

  el.replaceChildren(
    h("div", { class: "changes" },
      h("div", { class: "changes-head" },
        branchPicker,
        aheadBehind,
        h("span", { class: "actions" },
          remoteButton("Fetch", "fetch", () => act(() => ctx.api.post(git("fetch"), {}), "Fetched")),
          remoteButton("Pull", "pull", () => act(async () => {
            const r = await ctx.api.post(git("pull"), undefined);
            ctx.notify(r?.updated ? `Pulled ${short(r.from)}..${short(r.to)}` : "Already up to date", "info");
          })),
          remoteButton("Push", "push", () => act(() => ctx.api.post(git("push"), {}), "Pushed")))),
      notice,
      lists,
      h("div", { class: "commit-box" }, message, commitButton),
      h("h3", {}, "Recent commits"),
      log));

  const offs = REFRESH_EVENTS.map((type) => ctx.events?.on?.(type, scheduleRefresh) ?? (() => {}));
  refresh();

  return () => {
    ac.abort();
    clearTimeout(refreshTimer);
    for (const off of offs) off();
  };

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, REFRESH_DELAY_MS);
  }

  async function refresh() {
    try {
      const [st, branches, commits] = await Promise.all([
        ctx.api.get(git("status"), { signal: ac.signal }),
        ctx.api.get(git("branches"), { signal: ac.signal }),
        ctx.api.get(git("log") + "?limit=10", { signal: ac.signal }),
      ]);
      showStatus(st);
      showBranches(branches);
      showLog(commits);
    } catch (err) {
      if (!isAbort(err)) ctx.notify(`Git status: ${err.message}`, "error");
    }
  }

  // act runs one git write with the buttons disabled; an answer that is a
  // status is shown at once, then everything is read again.
  async function act(run, done) {
    if (busy) return;
    setBusy(true);
    try {
      await run();
      if (done) ctx.notify(done, "info");
    } catch (err) {
      if (!isAbort(err)) ctx.notify(err.message, "error");
    } finally {
      setBusy(false);
    }
    if (!ac.signal.aborted) await refresh();
  }

  function setBusy(on) {
    busy = on;
    for (const b of el.querySelectorAll("button, select, textarea")) b.disabled = on;
  }

  function checkout(branch) {
    if (!status || branch === status.branch) return;
    act(() => ctx.api.post(git("checkout"), { branch }), `Switched to ${branch}`);
  }

  function commit() {
    const text = message.value.trim();
    if (!text) {
      ctx.notify("Write a commit message first", "error");
      return;
    }
    act(async () => {
      const c = await ctx.api.post(git("commit"), { message: text });
      message.value = "";
      ctx.notify(`Committed ${short(c?.hash)}`, "info");
    });
  }

  function showStatus(st) {
    status = st;
    // Drawing the same status again would close an open discard prompt
    // under the user's finger (an event refreshes at any time).
    const key = JSON.stringify(st);
    if (key !== shown) {
      shown = key;
      drawStatus(st);
    }
    if (open) {
      const row = [...lists.querySelectorAll("[data-testid=changes-file]")].find((r) => r.dataset.path === open.path && r.dataset.kind === open.kind);
      if (row) showDiff(row, open);
      else open = null;
    }
  }

  function drawStatus(st) {
    const parts = [];
    if (st.detached) parts.push(`detached at ${short(st.head)}`);
    if (st.upstream) parts.push(`${st.upstream}: ${st.ahead} ahead, ${st.behind} behind`);
    else parts.push("no upstream");
    aheadBehind.textContent = parts.join(" · ");
    notice.textContent = st.notice ?? "";
    notice.hidden = !st.notice;

    const groups = { conflicted: [], staged: [], unstaged: [], untracked: [] };
    for (const f of st.files ?? []) {
      if (f.conflicted || f.index === "U" || f.worktree === "U") groups.conflicted.push(f);
      else if (f.index === "?") groups.untracked.push(f);
      else {
        if (f.index !== ".") groups.staged.push(f);
        if (f.worktree !== ".") groups.unstaged.push(f);
      }
    }
    const titles = { conflicted: "Conflicted", staged: "Staged", unstaged: "Not staged", untracked: "Untracked" };
    const sections = [];
    for (const [kind, files] of Object.entries(groups)) {
      if (!files.length) continue;
      sections.push(h("section", { class: `changes-group ${kind}`, testid: `changes-${kind}` },
        h("h3", {}, `${titles[kind]} (${files.length})`),
        h("ul", {}, files.map((f) => fileRow(f, kind)))));
    }
    if (!sections.length) sections.push(h("p", { class: "muted", testid: "changes-clean" }, "No changes"));
    lists.replaceChildren(...sections);
  }

  function fileRow(f, kind) {
    const code = kind === "untracked" ? "?" : kind === "staged" ? f.index : kind === "unstaged" ? f.worktree : `${f.index}${f.worktree}`;
    const name = h("button", { type: "button", class: "file-name", onclick: () => toggleDiff(row, { path: f.path, kind }) },
      h("span", { class: `status status-${code === "?" ? "new" : code}` }, code),
      " ",
      f.oldPath ? `${f.oldPath} → ${f.path}` : f.path);
    const buttons = [];
    if (kind !== "staged") buttons.push(h("button", { type: "button", testid: "stage", onclick: () => act(() => ctx.api.post(git("stage"), { paths: [f.path] })) }, kind === "conflicted" ? "Mark resolved" : "Stage"));
    if (kind === "staged") buttons.push(h("button", { type: "button", testid: "unstage", onclick: () => act(() => ctx.api.post(git("unstage"), { paths: [f.path] })) }, "Unstage"));
    if (kind === "unstaged" || kind === "untracked") buttons.push(h("button", { type: "button", testid: "discard", onclick: () => confirmDiscard(row, f, kind) }, kind === "untracked" ? "Delete" : "Discard"));
    const row = h("li", { class: "changes-file", testid: "changes-file", "data-path": f.path, "data-kind": kind },
      name, h("span", { class: "actions" }, buttons));
    return row;
  }

  function confirmDiscard(row, f, kind) {
    row.querySelector(".confirm")?.remove();
    const what = kind === "untracked" ? `Delete the new file ${f.path}?` : `Discard the changes to ${f.path} that are not staged?`;
    const box = h("div", { class: "confirm", role: "alertdialog" },
      h("span", {}, what, " This cannot be undone."),
      h("button", { type: "button", class: "danger", testid: "discard-confirm", onclick: () => { box.remove(); act(() => ctx.api.post(git("discard"), { paths: [f.path] })); } }, kind === "untracked" ? "Delete" : "Discard"),
      h("button", { type: "button", testid: "discard-cancel", onclick: () => box.remove() }, "Cancel"));
    row.append(box);
  }

  function toggleDiff(row, which) {
    const shown = row.querySelector("[data-testid=diff-view]");
    if (shown) {
      shown.remove();
      open = null;
      return;
    }
    for (const d of lists.querySelectorAll("[data-testid=diff-view]")) d.remove();
    open = which;
    showDiff(row, which);
  }

  async function showDiff(row, which) {
    const q = new URLSearchParams({ path: which.path });
    if (which.kind === "staged") q.set("staged", "true");
    if (which.kind === "untracked") q.set("untracked", "true");
    const view = row.querySelector("[data-testid=diff-view]") ?? h("div", { class: "diff code", testid: "diff-view", "data-kind": which.kind });
    row.append(view);
    try {
      const d = await ctx.api.get(git("diff") + "?" + q, { signal: ac.signal });
      // The API compares the worktree with HEAD or the index with HEAD:
      // a file with staged changes too shows both here.
      const alsoStaged = which.kind === "unstaged" && status?.files?.some((f) => f.path === which.path && f.index !== "." && f.index !== "?");
      view.replaceChildren(
        ...(alsoStaged ? [h("div", { class: "diff-line diff-note muted" }, "Against HEAD: the staged changes are included")] : []),
        ...diffLines(d?.diff ?? ""));
    } catch (err) {
      if (isAbort(err)) return;
      view.remove();
      ctx.notify(`Diff of ${which.path}: ${err.message}`, "error");
    }
  }

  function showBranches(b) {
    const options = [];
    if (b.detached) options.push(h("option", { value: "", selected: true, disabled: true }, `(detached ${short(b.head)})`));
    const local = new Set();
    for (const br of b.local ?? []) {
      local.add(br.name);
      options.push(h("option", { value: br.name, selected: br.current }, br.name));
    }
    const remote = [];
    for (const br of b.remote ?? []) {
      const slash = br.name.indexOf("/");
      const name = slash >= 0 ? br.name.slice(slash + 1) : br.name;
      if (name === "HEAD" || local.has(name)) continue;
      local.add(name);
      remote.push(h("option", { value: name }, br.name));
    }
    if (remote.length) options.push(h("optgroup", { label: "Remote" }, remote));
    branchPicker.replaceChildren(...options);
  }

  function showLog(commits) {
    log.replaceChildren(...(commits ?? []).map((c) =>
      h("li", { testid: "commit-entry" },
        h("code", {}, short(c.hash)), " ",
        h("span", { class: "subject" }, c.subject), " ",
        h("span", { class: "muted" }, c.author?.name ?? ""))));
  }
}

/** short abbreviates a commit id. */
function short(hash) {
  return typeof hash === "string" ? hash.slice(0, 8) : "";
}

/**
 * diffLines turns a unified diff into one element per line, its text as a
 * text node, classed by kind: diff-add, diff-del, diff-hunk, diff-meta or
 * diff-ctx.
 */
function diffLines(diff) {
  if (diff === "") return [h("div", { class: "diff-line muted" }, "No differences")];
  const lines = diff.endsWith("\n") ? diff.slice(0, -1).split("\n") : diff.split("\n");
  let inHunk = false;
  return lines.map((line) => {
    let kind = "ctx";
    if (line.startsWith("diff --git ")) inHunk = false;
    if (line.startsWith("@@")) {
      kind = "hunk";
      inHunk = true;
    } else if (!inHunk) kind = "meta";
    else if (line[0] === "+") kind = "add";
    else if (line[0] === "-") kind = "del";
    else if (line[0] === "\\") kind = "meta";
    return h("div", { class: `diff-line diff-${kind}` }, line);
  });
}
