// The instances screen (#/): every instance with its state; start one for
// a folder, stop, restart, read its log.

import { h, clear, errorText, confirmButton, keyedRows } from "./ui.js";

const POLL_MS = 5000;

export function mountInstances(el, ctx) {
  const { api, notify } = ctx;
  ctx.setTitle("Instances");
  const abort = new AbortController();
  const dir = h("input", {
    type: "text", testid: "instance-start-dir", placeholder: "/path/to/project", "aria-label": "Project folder",
    autocomplete: "off", autocapitalize: "off", spellcheck: "false",
  });
  const startButton = h("button", { type: "submit", class: "primary", testid: "instance-start" }, "Start");
  const form = h("form", { class: "start-form", onsubmit: (e) => { e.preventDefault(); start(); } },
    h("label", { class: "field" }, h("span", {}, "Start OpenCode in a folder"), dir), startButton);
  const list = h("div", { class: "list", testid: "instance-list" }, h("p", { class: "muted" }, "Loading…"));
  const logs = new Map(); // instance id -> open log panel
  el.append(form, list);
  if (ctx.auth.required) {
    el.append(h("div", { class: "footer-actions" }, h("button", { type: "button", onclick: signOut }, "Sign out")));
  }

  async function signOut() {
    try {
      await api.post("auth/logout");
    } catch (err) {
      notify(errorText(err), "error");
      return;
    }
    ctx.auth.signedIn = false;
    ctx.navigate("#/login");
  }

  async function start() {
    const directory = dir.value.trim();
    if (!directory) {
      notify("Type the folder of a project first.", "error");
      return;
    }
    startButton.disabled = true;
    startButton.textContent = "Starting…";
    try {
      const inst = await api.post("instances", { directory }, { signal: abort.signal });
      dir.value = "";
      notify(`Started ${inst.name} on port ${inst.port}.`);
      await load();
    } catch (err) {
      if (err.name !== "AbortError") notify(errorText(err), "error");
    } finally {
      startButton.disabled = false;
      startButton.textContent = "Start";
    }
  }

  async function run(button, label, fn) {
    button.disabled = true;
    try {
      await fn();
      await load();
    } catch (err) {
      notify(`${label}: ${errorText(err)}`, "error");
    } finally {
      button.disabled = false;
    }
  }

  async function toggleLogs(inst, panel) {
    if (!panel.hidden) {
      panel.hidden = true;
      logs.delete(inst.id);
      return;
    }
    panel.hidden = false;
    logs.set(inst.id, true);
    panel.textContent = "Loading…";
    try {
      const { lines } = await api.get(`instances/${encodeURIComponent(inst.id)}/logs?tail=200`, { signal: abort.signal });
      panel.textContent = (lines || []).join("\n") || "(no output yet)";
      panel.scrollTop = panel.scrollHeight;
    } catch (err) {
      if (err.name !== "AbortError") panel.textContent = errorText(err);
    }
  }

  function row(inst) {
    const running = inst.state === "running";
    const down = inst.state === "stopped" || inst.state === "crashed";
    const panel = h("pre", { class: "logs", testid: "instance-log", hidden: true });
    const name = running ? h("a", { href: `#/i/${inst.port}`, class: "row-title" }, inst.name) : h("span", { class: "row-title" }, inst.name);
    const stop = confirmButton(down ? "Remove" : "Stop", { class: "danger", testid: "instance-stop" },
      () => run(stop, "Stop", () => api.del(`instances/${encodeURIComponent(inst.id)}`)));
    const restart = h("button", { type: "button", testid: "instance-restart",
      onclick: () => run(restart, "Restart", () => api.post(`instances/${encodeURIComponent(inst.id)}/restart`)) }, down ? "Start again" : "Restart");
    const logsButton = h("button", { type: "button", testid: "instance-logs", onclick: () => toggleLogs(inst, panel) }, "Logs");
    const node = h("article", { class: "row", testid: "instance-row", "data-id": inst.id, "data-port": inst.port, "data-state": inst.state, "data-pid": inst.opencodePid ?? "" },
      h("div", { class: "row-main" },
        name,
        h("span", { class: `state state-${inst.state}`, testid: "instance-state" }, inst.state),
      ),
      h("div", { class: "row-sub muted" }, inst.directory, ` · port ${inst.port}`, inst.restarts ? ` · ${inst.restarts} restarts` : "", inst.lastExit ? ` · ${inst.lastExit}` : ""),
      h("div", { class: "actions" }, running ? h("a", { class: "button primary", href: `#/i/${inst.port}` }, "Open") : null, restart, stop, logsButton),
      panel,
    );
    if (logs.has(inst.id)) {
      panel.hidden = true;
      toggleLogs(inst, panel);
    }
    return node;
  }

  let loadedOnce = false;
  // Rows that did not change stay as they are (an armed Stop, an open log).
  const show = keyedRows(list, {
    id: (inst) => inst.id,
    key: (inst) => JSON.stringify(inst),
    build: row,
    empty: () => h("p", { class: "muted", testid: "empty" }, "No instances yet. Start one for a project folder above."),
  });
  async function load() {
    try {
      const data = await api.get("instances?all=1", { signal: abort.signal });
      show((data && data.instances) || []);
      loadedOnce = true;
    } catch (err) {
      if (err.name === "AbortError") return;
      if (!loadedOnce) {
        clear(list);
        list.append(h("p", { class: "error" }, errorText(err)));
      }
    }
  }

  load();
  // Instances have no event stream of their own: their states are read again while the screen shows.
  const timer = setInterval(() => {
    if (document.visibilityState === "visible") load();
  }, POLL_MS);
  return () => {
    clearInterval(timer);
    abort.abort();
  };
}
