// The app shell: hash router, top bar (back, title, connection state,
// pending badge), the instance's event stream, the pending sheet, toasts
// and the login redirect.

import { api, ApiError, UNAUTHORIZED_EVENT } from "./api.js";
import { EventStream } from "./events.js";
import { Pending, syncCards } from "./pending.js";
import { h, clear } from "./ui.js";
import { mountInstances } from "./instances.js";
import { mountSessions } from "./sessions.js";
import { mountSession } from "./session.js";
import { mountLogin } from "./login.js";

const $ = (sel) => document.querySelector(sel);
const view = $("#view");
const backButton = $('[data-testid="back"]');
const titleEl = $('[data-testid="title"]');
const connEl = $('[data-testid="connection-state"]');
const badge = $('[data-testid="pending-badge"]');
const sheet = $('[data-testid="pending-sheet"]');
const sheetBody = sheet.querySelector(".sheet-body");
const toasts = $(".toasts");

const app = {
  route: null,
  cleanup: null,
  stream: null, // the EventStream of the instance the route is in
  pending: null, // the Pending of that instance
  streamOff: [],
  afterLogin: "#/",
  auth: { required: false, signedIn: false },
};

/** parseRoute reads a hash route: #/, #/i/{port}, #/i/{port}/s/{id}, #/i/{port}/changes, #/i/{port}/files?path=, #/login. */
function parseRoute(hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const parts = path.split("/").filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts[0] === "login") return { name: "login", query, back: null };
  if (parts[0] === "i" && /^[0-9]{1,5}$/.test(parts[1] || "")) {
    const port = Number(parts[1]);
    const base = `#/i/${port}`;
    if (parts.length === 2) return { name: "sessions", port, query, back: "#/" };
    if (parts[2] === "s" && parts[3] && parts.length === 4) return { name: "session", port, sessionID: parts[3], query, back: base };
    if (parts[2] === "changes" && parts.length === 3) return { name: "changes", port, query, back: base };
    if (parts[2] === "files" && parts.length === 3) return { name: "files", port, query, back: base };
  }
  return { name: "instances", query, back: null };
}

function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function notify(message, kind = "info") {
  const toast = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status", testid: "toast", onclick: () => toast.remove() }, message);
  toasts.append(toast);
  setTimeout(() => toast.remove(), kind === "error" ? 8000 : 4000);
}

function setTitle(text) {
  titleEl.textContent = text;
  document.title = text === "Portal" ? "Portal" : `${text} · Portal`;
}

// useInstance keeps the event stream and the pending store of the route's
// instance, and drops those of the one before.
function useInstance(port) {
  if (app.stream && app.stream.port === port) return;
  for (const off of app.streamOff) off();
  app.streamOff = [];
  app.stream?.stop();
  app.stream = null;
  app.pending = null;
  closeSheet();
  badge.hidden = true;
  connEl.hidden = true;
  if (port === undefined) return;
  const stream = new EventStream(port);
  const pending = new Pending(port, stream, notify);
  app.stream = stream;
  app.pending = pending;
  app.streamOff.push(
    stream.onState((state) => {
      connEl.hidden = false;
      connEl.dataset.state = state;
      connEl.textContent = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…", stopped: "" }[state];
    }),
    pending.onChange((added) => {
      const n = pending.count();
      badge.hidden = n === 0;
      badge.textContent = String(n);
      if (!sheet.hidden) renderSheet();
      // A new request shows at once: inline in its session's screen, in the sheet elsewhere.
      const inline = added && app.route?.name === "session" && app.route.sessionID === added.sessionID;
      if (added && !inline) openSheet();
      if (n === 0) closeSheet();
    }),
  );
  // The instance's own state (a crash, a restart) shows in the connection chip and a toast.
  stream.on("portal.instance", (e) => {
    const state = e.properties && e.properties.state;
    if (!state) return;
    if (state === "running") {
      connEl.textContent = "live";
      notify("The instance runs again.");
    } else {
      connEl.textContent = state === "starting" ? "instance starting…" : `instance ${state}`;
      if (state !== "starting") notify(`The instance ${state}.`, state === "crashed" ? "error" : "info");
    }
  });
  stream.start();
  pending.start();
}

function renderSheet() {
  const items = app.pending ? app.pending.list() : [];
  if (items.length === 0) {
    sheetBody.replaceChildren(h("p", { class: "muted" }, "Nothing is waiting for you."));
    return;
  }
  syncCards(sheetBody, app.pending, items, { showSession: true, port: app.pending.port });
}

function openSheet() {
  renderSheet();
  sheet.hidden = false;
}

function closeSheet() {
  sheet.hidden = true;
  clear(sheetBody);
}

async function render() {
  const route = parseRoute(location.hash);
  if (app.auth.required && !app.auth.signedIn && route.name !== "login") {
    app.afterLogin = location.hash || "#/";
    location.hash = "#/login";
    return;
  }
  app.cleanup?.();
  app.cleanup = null;
  app.route = route;
  closeSheet();
  clear(view);
  backButton.hidden = !route.back;
  useInstance(route.port);
  setTitle("Portal");

  // A view's listeners on the stream go when the view goes.
  const offs = [];
  const events = {
    on(type, fn) {
      if (!app.stream) return () => {};
      const off = app.stream.on(type, fn);
      offs.push(off);
      return off;
    },
  };
  const ctx = {
    api,
    port: route.port,
    query: route.query,
    navigate,
    notify,
    events,
    route,
    setTitle,
    pending: app.pending,
    stream: app.stream,
    auth: app.auth,
    signedIn: () => {
      app.auth.signedIn = true;
      navigate(app.afterLogin === "#/login" ? "#/" : app.afterLogin);
    },
  };
  let cleanup = null;
  try {
    switch (route.name) {
      case "login":
        cleanup = mountLogin(view, ctx);
        break;
      case "sessions":
        cleanup = mountSessions(view, ctx);
        break;
      case "session":
        cleanup = mountSession(view, ctx);
        break;
      case "changes":
        setTitle("Changes");
        cleanup = await mountOther(view, ctx, "./changes.js", "mountChanges", "Changes");
        break;
      case "files":
        setTitle("Files");
        cleanup = await mountOther(view, ctx, "./files.js", "mountFiles", "Files");
        break;
      default:
        cleanup = mountInstances(view, ctx);
    }
  } catch (err) {
    console.error(err);
    view.append(h("p", { class: "error" }, "This screen failed: " + err.message));
  }
  const stale = app.route !== route;
  app.cleanup = () => {
    for (const off of offs) off();
    if (typeof cleanup === "function") cleanup();
  };
  if (stale) app.cleanup(); // the route changed while a module loaded
}

// mountOther mounts a screen from a module that may not be there.
async function mountOther(el, ctx, path, name, label) {
  let mod;
  try {
    mod = await import(path);
  } catch (err) {
    console.warn(`${path} could not be loaded`, err);
  }
  if (!mod || typeof mod[name] !== "function") {
    el.append(h("p", { class: "muted", testid: "not-available" }, `${label} is not available in this build.`));
    return null;
  }
  if (app.route !== ctx.route) return null;
  return mod[name](el, ctx);
}

async function checkAuth() {
  try {
    const auth = await api.get("auth");
    app.auth.required = !!auth.required;
    app.auth.signedIn = !!auth.signedIn;
  } catch (err) {
    // A portal without login routes (404) needs none.
    if (!(err instanceof ApiError && err.status === 404)) console.warn("api/auth", err);
  }
}

window.addEventListener(UNAUTHORIZED_EVENT, () => {
  app.auth.required = true;
  app.auth.signedIn = false;
  if (app.route?.name !== "login") {
    app.afterLogin = location.hash || "#/";
    useInstance(undefined);
    location.hash = "#/login";
  }
});

backButton.addEventListener("click", () => {
  if (app.route?.back) navigate(app.route.back);
});
badge.addEventListener("click", () => (sheet.hidden ? openSheet() : closeSheet()));
sheet.querySelector(".sheet-close").addEventListener("click", closeSheet);
sheet.addEventListener("click", (e) => {
  if (e.target === sheet) closeSheet();
});
window.addEventListener("hashchange", render);

await checkAuth();
render();
