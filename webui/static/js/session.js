// A session (#/i/{port}/s/{id}): the conversation read from the messages
// route, then kept live from the event stream (messages keyed by id, parts
// keyed by id, updates merged), the pending requests of the session inline,
// and the composer.

import { h, clear, errorText } from "./ui.js";
import { syncCards } from "./pending.js";
import { mountComposer } from "./composer.js";

// renderMarkdown comes from md.js when the build has it; text shows as
// plain preformatted text until then, or without it.
let markdown = null;
const markdownLoaded = import("./md.js")
  .then((m) => {
    if (typeof m.renderMarkdown === "function") markdown = m.renderMarkdown;
  })
  .catch(() => {});

export function mountSession(el, ctx) {
  const { api, port, notify, navigate, events } = ctx;
  const sessionID = ctx.route.sessionID;
  const base = `opencode/${port}/session/${encodeURIComponent(sessionID)}`;
  const abort = new AbortController();
  ctx.setTitle("Session");

  const messages = new Map(); // message id -> {info, parts: Map(part id -> part), node, partNodes: Map}
  let touched = new Set(); // messages changed by events while a snapshot is read
  let scheduled = new Set(); // parts to draw on the next frame
  const nextDraw = new Map(); // part key -> earliest time to draw it again
  const waiting = new Set(); // part keys with a later drawing set up
  let frame = 0;

  const list = h("div", { class: "messages", testid: "messages" });
  const empty = h("p", { class: "muted", testid: "empty" }, "Loading…");
  const pendingEl = h("div", { class: "pending-inline" });
  const composer = mountComposer({ api, port, sessionID, notify, onSent: () => { setBusy(true); follow(true); }, onAbort: abortTurn });
  el.classList.add("session-view");
  // The pending cards sit on top of the composer, which stays in view.
  composer.node.prepend(pendingEl);
  el.append(empty, list, composer.node);

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 120;
  }
  function follow(wasNear) {
    if (wasNear) window.scrollTo(0, document.documentElement.scrollHeight);
  }

  function setBusy(b) {
    composer.setBusy(b);
    el.dataset.busy = String(b);
  }

  async function abortTurn() {
    try {
      await api.post(base + "/abort");
    } catch (err) {
      notify(`Abort: ${errorText(err)}`, "error");
    }
  }

  // --- state -----------------------------------------------------------

  function message(id, info) {
    let m = messages.get(id);
    if (!m) {
      m = { info: info || { id, sessionID, role: "assistant", time: {} }, parts: new Map(), node: null, partNodes: new Map() };
      messages.set(id, m);
    }
    return m;
  }

  function upsertInfo(info) {
    const m = message(info.id, info);
    m.info = info;
    touched.add(info.id);
    drawMessage(m);
  }

  function upsertPart(part) {
    const m = message(part.messageID);
    m.parts.set(part.id, part);
    touched.add(part.messageID);
    schedule(m, part.id);
  }

  function appendDelta({ messageID, partID, field, delta }) {
    const m = message(messageID);
    let part = m.parts.get(partID);
    if (!part) {
      part = { id: partID, messageID, sessionID, type: "text", text: "" };
      m.parts.set(partID, part);
    }
    part[field] = (typeof part[field] === "string" ? part[field] : "") + delta;
    touched.add(messageID);
    schedule(m, partID);
  }

  function removePart(messageID, partID) {
    const m = messages.get(messageID);
    if (!m) return;
    m.parts.delete(partID);
    m.partNodes.get(partID)?.remove();
    m.partNodes.delete(partID);
  }

  function removeMessage(id) {
    const m = messages.get(id);
    if (!m) return;
    m.node?.remove();
    messages.delete(id);
  }

  // applySnapshot merges the messages route's answer: it holds everything
  // up to when it was read; events that came meanwhile are newer, so a
  // text part streamed further than the snapshot keeps its text, and a
  // message the snapshot misses stays if an event touched it meanwhile.
  function applySnapshot(list) {
    const seen = new Set();
    for (const { info, parts } of list || []) {
      if (!info || !info.id) continue;
      seen.add(info.id);
      const m = message(info.id, info);
      m.info = info;
      const fresh = new Map();
      for (const p of parts || []) {
        const local = m.parts.get(p.id);
        if (local && typeof local.text === "string" && typeof p.text === "string" && local.text.length > p.text.length && local.text.startsWith(p.text)) {
          fresh.set(p.id, { ...p, text: local.text });
        } else {
          fresh.set(p.id, p);
        }
      }
      for (const [id, local] of m.parts) {
        if (!fresh.has(id) && touched.has(info.id)) fresh.set(id, local);
      }
      for (const id of m.partNodes.keys()) {
        if (!fresh.has(id)) {
          m.partNodes.get(id).remove();
          m.partNodes.delete(id);
        }
      }
      m.parts = fresh;
      drawMessage(m);
      for (const id of m.parts.keys()) drawPart(m, id);
    }
    for (const id of [...messages.keys()]) {
      if (!seen.has(id) && !touched.has(id)) removeMessage(id);
    }
  }

  // --- drawing ---------------------------------------------------------

  function schedule(m, partID) {
    if (abort.signal.aborted) return; // the screen is gone
    scheduled.add(m.info.id + "\u0000" + partID);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function flush() {
    frame = 0;
    const near = nearBottom();
    const todo = scheduled;
    scheduled = new Set();
    const now = performance.now();
    for (const key of todo) {
      const [mid, pid] = key.split("\u0000");
      const m = messages.get(mid);
      if (!m) continue;
      // A streaming text is drawn again at most every 4 times what its last
      // drawing took (markdown costs about a microsecond a byte): a long
      // reply does not take every frame.
      const due = nextDraw.get(key) || 0;
      if (now < due) {
        if (!waiting.has(key)) {
          waiting.add(key);
          setTimeout(() => {
            waiting.delete(key);
            schedule(m, pid);
          }, due - now);
        }
        continue;
      }
      const start = performance.now();
      drawPart(m, pid);
      const took = performance.now() - start;
      if (took > 4) nextDraw.set(key, start + 4 * took);
    }
    follow(near);
  }

  function drawMessage(m) {
    const near = nearBottom();
    const { info } = m;
    if (!m.node) {
      m.node = h("article", { class: "message", testid: "message", "data-id": info.id },
        h("div", { class: "message-parts" }),
        h("div", { class: "message-foot" }));
      // Ids sort by time: keep the list in id order.
      const after = [...list.children].find((n) => n.dataset.id > info.id);
      list.insertBefore(m.node, after || null);
      empty.hidden = true;
    }
    m.node.dataset.role = info.role || "assistant";
    m.node.classList.toggle("user", info.role === "user");
    m.node.dataset.done = String(!!(info.time && info.time.completed) || info.role === "user");
    const foot = m.node.querySelector(".message-foot");
    clear(foot);
    if (info.error) {
      const e = info.error;
      const text = e.name === "MessageAbortedError"
        ? "Stopped: the turn was aborted."
        : `${e.name || "Error"}: ${(e.data && e.data.message) || "the turn failed"}`;
      foot.append(h("div", { class: "turn-error", testid: "turn-error", role: "alert" }, text));
    }
    if (info.role === "assistant" && info.modelID) {
      foot.append(h("span", { class: "muted small" }, `${info.providerID}/${info.modelID}${info.agent ? " · " + info.agent : ""}`));
    }
    follow(near);
  }

  function drawPart(m, partID) {
    const part = m.parts.get(partID);
    if (!part) return;
    if (!m.node) drawMessage(m);
    const old = m.partNodes.get(partID);
    const node = renderPart(part, m.info.role, old);
    if (node === old) return;
    if (!node) {
      old?.remove();
      m.partNodes.delete(partID);
      return;
    }
    node.dataset.part = partID;
    if (old) old.replaceWith(node);
    else {
      const box = m.node.querySelector(".message-parts");
      const after = [...box.children].find((n) => n.dataset.part > partID);
      box.insertBefore(node, after || null);
    }
    m.partNodes.set(partID, node);
  }

  function textBlock(text) {
    if (markdown) {
      try {
        return h("div", { class: "md" }, markdown(text));
      } catch (err) {
        console.warn("renderMarkdown failed", err);
      }
    }
    return h("div", { class: "plain" }, text);
  }

  function renderPart(part, role, old) {
    switch (part.type) {
      case "text": {
        if (part.ignored || (part.synthetic && role === "user")) return null;
        return h("div", { class: "part part-text", testid: "part-text" }, textBlock(part.text || ""));
      }
      case "reasoning": {
        const open = old && old.open;
        return h("details", { class: "part part-reasoning", testid: "part-reasoning", open },
          h("summary", {}, "Thinking"), h("div", { class: "plain" }, part.text || ""));
      }
      case "tool":
        return toolPart(part, old);
      case "file":
        return h("div", { class: "part part-file" }, "Attached: ", part.filename || part.url || "a file");
      case "patch":
        return part.files && part.files.length
          ? h("div", { class: "part part-patch muted small", testid: "part-patch" }, `Changed ${part.files.length} file${part.files.length === 1 ? "" : "s"}`)
          : null;
      case "retry":
        return h("div", { class: "part part-retry muted small" }, `Retrying (attempt ${part.attempt}): ${(part.error && part.error.data && part.error.data.message) || ""}`);
      case "agent":
        return h("div", { class: "part muted small" }, `@${part.name}`);
      case "subtask":
        return h("div", { class: "part muted small" }, `Subtask (${part.agent}): ${part.description || ""}`);
      default:
        return null; // step-start, step-finish, snapshot, compaction: nothing to read
    }
  }

  function toolPart(part, old) {
    const st = part.state || {};
    const status = st.status || "pending";
    const open = old ? old.open : status === "error";
    const input = st.input && Object.keys(st.input).length ? JSON.stringify(st.input, null, 2) : "";
    const output = typeof st.output === "string" ? st.output
      : st.metadata && typeof st.metadata.output === "string" ? st.metadata.output : "";
    return h("details", { class: `part part-tool tool-${status}`, testid: "part-tool", "data-tool": part.tool, "data-status": status, open },
      h("summary", {},
        h("span", { class: "tool-name" }, part.tool),
        st.title ? h("span", { class: "tool-title" }, st.title) : null,
        h("span", { class: `state state-${status}` }, status)),
      input ? h("div", { class: "tool-section" }, h("div", { class: "muted small" }, "Input"), h("pre", { class: "code", testid: "tool-input" }, input)) : null,
      output ? h("div", { class: "tool-section" }, h("div", { class: "muted small" }, "Output"), h("pre", { class: "code", testid: "tool-output" }, output)) : null,
      st.error ? h("div", { class: "tool-section" }, h("pre", { class: "code error", testid: "tool-error" }, String(st.error))) : null,
    );
  }

  // --- pending requests of this session ---------------------------------

  function drawPending() {
    if (!ctx.pending) return;
    syncCards(pendingEl, ctx.pending, ctx.pending.list(sessionID));
  }
  const offPending = ctx.pending ? ctx.pending.onChange(drawPending) : () => {};
  drawPending();

  // --- loading ---------------------------------------------------------

  let seq = 0;
  async function load() {
    const mine = ++seq;
    touched = new Set();
    try {
      const [session, list, status] = await Promise.all([
        api.get(base, { signal: abort.signal }),
        api.get(base + "/messages", { signal: abort.signal }),
        api.get(`opencode/${port}/session/status`, { signal: abort.signal }),
      ]);
      if (mine !== seq) return;
      ctx.setTitle(session.title || "Session");
      const near = nearBottom();
      applySnapshot(list);
      setBusy(!!(status && status[sessionID] && status[sessionID].type !== "idle"));
      if (messages.size === 0) {
        empty.hidden = false;
        empty.textContent = "No messages yet. Say what to do below.";
      }
      follow(near || mine === 1);
    } catch (err) {
      if (err.name === "AbortError") return;
      if (err.status === 404) {
        notify("This session is gone.", "error");
        navigate(`#/i/${port}`);
        return;
      }
      empty.hidden = false;
      empty.textContent = errorText(err);
    }
  }

  const mine = (e) => e.properties && e.properties.sessionID === sessionID;
  events.on("message.updated", (e) => mine(e) && e.properties.info && upsertInfo(e.properties.info));
  events.on("message.removed", (e) => mine(e) && removeMessage(e.properties.messageID));
  events.on("message.part.updated", (e) => mine(e) && e.properties.part && upsertPart(e.properties.part));
  events.on("message.part.delta", (e) => mine(e) && appendDelta(e.properties));
  events.on("message.part.removed", (e) => mine(e) && removePart(e.properties.messageID, e.properties.partID));
  events.on("session.status", (e) => mine(e) && setBusy(!!e.properties.status && e.properties.status.type !== "idle"));
  events.on("session.idle", (e) => mine(e) && setBusy(false));
  events.on("session.updated", (e) => {
    if (mine(e) && e.properties.info) ctx.setTitle(e.properties.info.title || "Session");
  });
  events.on("session.deleted", (e) => {
    if (!mine(e)) return;
    notify("This session was deleted.", "info");
    navigate(`#/i/${port}`);
  });
  // A turn's error shows on its message; one that reaches no message (the
  // turn failed before its answer began) shows as a toast.
  events.on("session.error", (e) => {
    const err = e.properties && e.properties.error;
    if (!mine(e) || !err || err.name === "MessageAbortedError") return;
    setTimeout(() => {
      const last = [...messages.values()].filter((m) => m.info.role === "assistant").at(-1);
      if (!(last && last.info.error && last.info.error.name === err.name)) notify(`${err.name}: ${(err.data && err.data.message) || ""}`, "error");
    }, 1000);
  });
  // An instance that runs again is followed by a resync too.
  events.on("portal.resync", load);

  markdownLoaded.then(() => {
    if (!markdown) return;
    for (const m of messages.values()) for (const [id, p] of m.parts) if (p.type === "text") drawPart(m, id);
  });
  load();
  composer.loadChoices(abort.signal);

  return () => {
    abort.abort();
    cancelAnimationFrame(frame);
    offPending();
    composer.destroy();
    el.classList.remove("session-view");
    delete el.dataset.busy;
  };
}
