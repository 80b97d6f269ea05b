// The composer of a session: the text, the model and agent pickers, "@"
// file mentions, send (prompt_async) and abort.

import { h, clear, errorText } from "./ui.js";

const MENTION = /(^|\s)@([^\s@]*)$/;

export function mountComposer({ api, port, sessionID, notify, onSent, onAbort }) {
  const base = `opencode/${port}/`;
  let sending = false;
  let searchAbort = null;
  let searchTimer = 0;

  const text = h("textarea", {
    testid: "composer", rows: "2", placeholder: "Ask the agent… (@ to mention a file, Ctrl+Enter to send)",
    "aria-label": "Message", autocapitalize: "sentences",
  });
  const send = h("button", { type: "submit", class: "primary", testid: "send" }, "Send");
  const abort = h("button", { type: "button", class: "danger", testid: "abort", hidden: true, onclick: () => onAbort() }, "Stop");
  const model = h("select", { testid: "model-picker", "aria-label": "Model" }, h("option", { value: "" }, "Default model"));
  const agent = h("select", { testid: "agent-picker", "aria-label": "Agent" }, h("option", { value: "" }, "Default agent"));
  const mentions = h("div", { class: "mentions", testid: "mentions", role: "listbox", hidden: true });
  const form = h("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); submit(); } },
    mentions,
    text,
    h("div", { class: "composer-bar" }, model, agent, abort, send),
  );

  async function submit() {
    const value = text.value;
    if (!value.trim() || sending) return;
    sending = true;
    send.disabled = true;
    text.disabled = true;
    const body = { text: value };
    if (model.value) {
      const [providerID, ...rest] = model.value.split("/");
      body.model = { providerID, modelID: rest.join("/") };
    }
    if (agent.value) body.agent = agent.value;
    try {
      await api.post(`${base}session/${encodeURIComponent(sessionID)}/prompt_async`, body);
      text.value = "";
      onSent();
    } catch (err) {
      notify(`Send: ${errorText(err)}`, "error");
    } finally {
      sending = false;
      send.disabled = false;
      text.disabled = false;
      hideMentions();
      text.focus();
    }
  }

  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape") {
      hideMentions();
    }
  });
  text.addEventListener("input", () => {
    const before = text.value.slice(0, text.selectionStart);
    const m = MENTION.exec(before);
    clearTimeout(searchTimer);
    if (!m) {
      hideMentions();
      return;
    }
    searchTimer = setTimeout(() => search(m[2]), 150);
  });

  function hideMentions() {
    searchAbort?.abort();
    mentions.hidden = true;
    clear(mentions);
  }

  async function search(q) {
    searchAbort?.abort();
    searchAbort = new AbortController();
    let paths;
    try {
      paths = q ? await api.get(`${base}files/search?q=${encodeURIComponent(q)}&limit=8`, { signal: searchAbort.signal }) : [];
    } catch (err) {
      if (err.name !== "AbortError") console.warn("file search", err);
      return;
    }
    clear(mentions);
    const found = (paths || []).filter((p) => p && p !== "/");
    for (const path of found) {
      mentions.append(h("button", { type: "button", class: "mention", role: "option", testid: "mention-option", onclick: () => insert(path) }, path));
    }
    mentions.hidden = found.length === 0;
  }

  // insert replaces the "@query" before the caret with "@path ".
  function insert(path) {
    const caret = text.selectionStart;
    const before = text.value.slice(0, caret);
    const m = MENTION.exec(before);
    if (!m) return;
    const start = caret - m[2].length - 1;
    const mention = "@" + path + " ";
    text.value = text.value.slice(0, start) + mention + text.value.slice(caret);
    const at = start + mention.length;
    text.setSelectionRange(at, at);
    hideMentions();
    text.focus();
  }

  async function loadChoices(signal) {
    try {
      const [providers, agents] = await Promise.all([
        api.get(base + "providers", { signal }),
        api.get(base + "agents", { signal }),
      ]);
      const defaults = (providers && providers.default) || {};
      for (const p of (providers && providers.providers) || []) {
        const group = h("optgroup", { label: p.name || p.id });
        for (const [id, m] of Object.entries(p.models || {})) {
          const isDefault = defaults[p.id] === id;
          group.append(h("option", { value: `${p.id}/${id}` }, (m && m.name) || id, isDefault ? " (default)" : ""));
        }
        if (group.children.length) model.append(group);
      }
      for (const a of Array.isArray(agents) ? agents : []) {
        if (a.mode === "subagent" || a.hidden) continue;
        agent.append(h("option", { value: a.name }, a.name));
      }
    } catch (err) {
      if (err.name !== "AbortError") console.warn("reading models and agents", err);
    }
  }

  return {
    node: form,
    loadChoices,
    setBusy(busy) {
      abort.hidden = !busy;
    },
    destroy() {
      clearTimeout(searchTimer);
      searchAbort?.abort();
    },
  };
}
