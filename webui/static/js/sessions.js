// The sessions of an instance (#/i/{port}): newest first, busy or idle
// live from session.status events; create, rename, delete, fork.

import { h, ago, errorText, confirmButton, keyedRows } from "./ui.js";

export function mountSessions(el, ctx) {
  const { api, port, notify, navigate, events } = ctx;
  const base = `opencode/${port}/`;
  const abort = new AbortController();
  ctx.setTitle(`Port ${port}`);
  api.get(`instances/${port}`, { signal: abort.signal }).then((inst) => ctx.setTitle(inst.name || `Port ${port}`), () => {});
  let sessions = [];
  let status = {}; // session id -> {type}
  let editing = null; // the id of the session being renamed

  const newButton = h("button", { type: "button", class: "primary", testid: "session-new", onclick: create }, "New session");
  const list = h("div", { class: "list", testid: "session-list" }, h("p", { class: "muted" }, "Loading…"));
  el.append(
    h("nav", { class: "subnav" },
      h("a", { class: "button", href: `#/i/${port}/changes`, testid: "nav-changes" }, "Changes"),
      h("a", { class: "button", href: `#/i/${port}/files`, testid: "nav-files" }, "Files"),
      newButton,
    ),
    list,
  );

  async function create() {
    newButton.disabled = true;
    try {
      const s = await api.post(base + "session/create", {});
      navigate(`#/i/${port}/s/${encodeURIComponent(s.id)}`);
    } catch (err) {
      notify(errorText(err), "error");
    } finally {
      newButton.disabled = false;
    }
  }

  async function act(label, fn) {
    try {
      await fn();
    } catch (err) {
      notify(`${label}: ${errorText(err)}`, "error");
    }
    await load();
  }

  function renameForm(s) {
    const input = h("input", { type: "text", value: s.title || "", "aria-label": "New title", testid: "session-title-input" });
    const form = h("form", {
      class: "rename", onsubmit: (e) => {
        e.preventDefault();
        const title = input.value.trim();
        editing = null;
        if (!title || title === s.title) return render();
        act("Rename", () => api.patch(base + "session/" + encodeURIComponent(s.id), { title }));
      },
    }, input, h("button", { type: "submit", class: "primary", testid: "session-rename-save" }, "Save"),
    h("button", { type: "button", onclick: () => { editing = null; render(); } }, "Cancel"));
    queueMicrotask(() => input.focus());
    return form;
  }

  function row(s) {
    const st = status[s.id]?.type || "idle";
    const href = `#/i/${port}/s/${encodeURIComponent(s.id)}`;
    const id = encodeURIComponent(s.id);
    return h("article", { class: "row", testid: "session-row", "data-id": s.id, "data-status": st },
      editing === s.id ? renameForm(s) : h("div", { class: "row-main" },
        h("a", { class: "row-title", href }, s.title || s.id),
        h("span", { class: `state state-${st}`, testid: "session-status" }, st),
      ),
      h("div", { class: "row-sub muted" }, ago(s.time && s.time.updated), s.parentID ? " · fork" : "",
        s.summary && s.summary.files ? ` · ${s.summary.files} files, +${s.summary.additions} −${s.summary.deletions}` : ""),
      h("div", { class: "actions" },
        h("button", { type: "button", testid: "session-rename", onclick: () => { editing = s.id; render(); } }, "Rename"),
        h("button", {
          type: "button", testid: "session-fork", onclick: async (e) => {
            e.currentTarget.disabled = true;
            try {
              const f = await api.post(base + `session/${id}/fork`, {});
              navigate(`#/i/${port}/s/${encodeURIComponent(f.id)}`);
            } catch (err) {
              notify(`Fork: ${errorText(err)}`, "error");
              e.currentTarget.disabled = false;
            }
          },
        }, "Fork"),
        confirmButton("Delete", { class: "danger", testid: "session-delete" }, () => act("Delete", () => api.del(base + `session/${id}`))),
      ),
    );
  }

  // Rows that did not change stay as they are (an armed Delete), where they
  // are: a list rebuilt on each read (after a rename, on each session
  // event) took the row from under a finger, and its tap was lost.
  const render = () => show(sessions);
  const show = keyedRows(list, {
    id: (s) => s.id,
    key: (s) => JSON.stringify([s, status[s.id]?.type || "idle", editing === s.id, ago(s.time && s.time.updated)]),
    build: row,
    empty: () => h("p", { class: "muted", testid: "empty" }, "No sessions yet."),
  });

  let seq = 0;
  async function load() {
    const mine = ++seq;
    try {
      const [list, st] = await Promise.all([
        api.get(base + "sessions", { signal: abort.signal }),
        api.get(base + "session/status", { signal: abort.signal }),
      ]);
      if (mine !== seq) return; // a newer read is under way
      sessions = Array.isArray(list) ? list : [];
      status = st || {};
      if (editing === null) render(); // a rename being typed keeps its text

    } catch (err) {
      if (err.name === "AbortError") return;
      list.replaceChildren(h("p", { class: "error" }, errorText(err)));
    }
  }

  // Changes coming one after another are read once.
  let timer = 0;
  const reload = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 150);
  };
  events.on("session.created", reload);
  events.on("session.updated", reload);
  events.on("session.deleted", reload);
  // An instance that runs again is followed by a resync too.
  events.on("portal.resync", reload);
  events.on("session.status", (e) => {
    const { sessionID, status: st } = e.properties;
    if (!sessionID) return;
    status[sessionID] = st;
    const node = list.querySelector(`[data-testid="session-row"][data-id="${CSS.escape(sessionID)}"]`);
    if (!node) return;
    const type = st?.type || "idle";
    node.dataset.status = type;
    const badge = node.querySelector('[data-testid="session-status"]');
    if (badge) {
      badge.textContent = type;
      badge.className = `state state-${type}`;
    }
  });
  load();
  return () => {
    clearTimeout(timer);
    abort.abort();
  };
}
