// The test page's driver: renders markdown and mounts the Changes and Files
// screens with a stub ctx whose API answers what a test gives it, and
// reports what the DOM holds. The Go tests call the functions on window.
import { api } from "../js/api.js";
import { renderMarkdown } from "../js/md.js";
import { mountChanges } from "../js/changes.js";
import { mountFiles } from "../js/files.js";

// Every way a payload could run ends here.
const trap = () => { window.__pwned = 1; };
window.alert = trap;
window.confirm = trap;
window.prompt = trap;
window.print = trap;

const out = document.getElementById("out");

// settle waits until every image in the page has loaded or failed (a
// listener added now runs after any handler the image came with, such as
// an injected onerror), then for one more image of its own.
async function settle() {
  const done = (img) => new Promise((resolve) => {
    if (img.complete) resolve();
    img.addEventListener("load", resolve, { once: true });
    img.addEventListener("error", resolve, { once: true });
  });
  await Promise.all([...document.images].map(done));
  const img = document.createElement("img");
  img.src = "settle-" + Math.random() + ".png";
  document.body.append(img);
  await done(img);
  img.remove();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

const ALLOWED_TAGS = new Set(["P", "H1", "H2", "H3", "H4", "H5", "H6", "EM", "STRONG", "CODE", "PRE", "A", "UL", "OL", "LI",
  "BLOCKQUOTE", "HR", "BR", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "DIV", "SPAN", "BUTTON", "SELECT", "OPTION",
  "OPTGROUP", "TEXTAREA", "SECTION", "NAV", "IMG"]);
const ALLOWED_ATTRS = new Set(["class", "href", "rel", "target", "title", "start", "style", "data-testid", "data-path",
  "data-type", "data-kind", "type", "aria-label", "aria-hidden", "role", "value", "selected", "disabled", "label",
  "placeholder", "rows", "hidden", "download", "src", "alt"]);

// violations lists what in root could run or load something: an element or
// attribute outside the lists above, an href or src the rules do not allow.
function violations(root, hrefOK, srcOK, styleOK) {
  const found = [];
  for (const e of root.querySelectorAll("*")) {
    if (!ALLOWED_TAGS.has(e.tagName)) found.push(`element <${e.tagName.toLowerCase()}>`);
    for (const a of e.attributes) {
      if (!ALLOWED_ATTRS.has(a.name)) found.push(`attribute ${a.name}="${a.value}" on <${e.tagName.toLowerCase()}>`);
    }
    if (e.hasAttribute("href") && !hrefOK(e.getAttribute("href"))) found.push(`href ${e.getAttribute("href")}`);
    if (e.hasAttribute("src") && !srcOK(e.getAttribute("src"))) found.push(`src ${e.getAttribute("src")}`);
    if (e.tagName === "IMG" && e.dataset.testid !== "file-image") found.push("an <img> that is not the file view's");
    if (e.hasAttribute("style") && !styleOK(e.getAttribute("style"))) found.push(`style ${e.getAttribute("style")}`);
  }
  return found;
}

// renderMarkdown sets only a table cell's alignment; the screens set no
// style at all (their looks are the style sheet's).
const mdStyle = (s) => /^text-align: (left|center|right);$/.test(s);
const viewStyle = () => false;
const mdHref = (h) => /^(https?:\/\/|mailto:)/i.test(h);
const viewHref = (h) => h.startsWith("#/i/") || h.startsWith("api/");
const viewSrc = (s) => s.startsWith("api/opencode/");

// mdHTML renders each input and returns the HTML each gives.
window.mdHTML = (inputs) => inputs.map((text) => {
  const div = document.createElement("div");
  div.append(renderMarkdown(text));
  return div.innerHTML;
});

// mdHostile renders each input into the page and reports, per input, its
// violations and visible text; then whether anything ran.
window.mdHostile = async (inputs) => {
  const results = inputs.map((text) => {
    const div = document.createElement("div");
    out.append(div);
    div.append(renderMarkdown(text));
    return { violations: violations(div, mdHref, () => false, mdStyle), text: div.textContent };
  });
  await settle();
  out.replaceChildren();
  return { results, pwned: window.__pwned ?? null };
};

// control puts a payload in the page the unsafe way (innerHTML): without
// the CSP it must run, which shows the trap and settle() catch it.
window.control = async () => {
  const div = document.createElement("div");
  out.append(div);
  div.innerHTML = '<img src="x" onerror="window.__pwned=1">';
  await settle();
  const pwned = window.__pwned ?? null;
  delete window.__pwned;
  out.replaceChildren();
  return pwned;
};

class StubError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// stubCtx answers from answers: {"<path end>": answer}, the longest key
// that ends the request's path, with its query decoded ("files/read?path=a b")
// or without it ("git/status"); an answer
// {error, status} rejects. It records every request.
function stubCtx(answers, query) {
  const calls = [];
  let inFlight = 0;
  const answer = (method, path, body) => {
    calls.push({ method, path, body: body ?? null });
    inFlight++;
    const [bare, query] = path.split("?");
    const decoded = query === undefined ? bare : bare + "?" + [...new URLSearchParams(query)].map(([k, v]) => `${k}=${v}`).join("&");
    const key = Object.keys(answers).filter((k) => decoded.endsWith(k) || bare.endsWith(k)).sort((a, b) => b.length - a.length)[0];
    const a = key === undefined ? { error: "no answer for " + path, status: 404 } : answers[key];
    const found = typeof a === "function" ? a(path) : a;
    return new Promise((resolve, reject) => setTimeout(() => {
      inFlight--;
      if (found && found.error) reject(new StubError(found.error, found.status));
      else resolve(structuredClone(found));
    }, 0));
  };
  const navigations = [];
  const notes = [];
  return {
    calls, navigations, notes,
    inFlight: () => inFlight,
    ctx: {
      api: {
        get: (p) => answer("GET", p),
        post: (p, body) => answer("POST", p, body),
        patch: (p, body) => answer("PATCH", p, body),
        del: (p) => answer("DELETE", p),
        url: (p) => "api/" + p,
      },
      port: 3101,
      query: new URLSearchParams(query ?? ""),
      navigate: (hash) => navigations.push(hash),
      notify: (message, kind) => notes.push({ message, kind }),
      events: { on: () => () => {} },
    },
  };
}

// idle waits until no request is in flight and none was made for a turn
// of 10 ms (the screen renders an answer before it asks anything more).
async function idle(stub) {
  for (let seen = -1; seen !== stub.calls.length || stub.inFlight() > 0;) {
    seen = stub.calls.length;
    await new Promise((r) => setTimeout(r, 10));
  }
}

// views mounts the Changes screen and the Files screen for each query
// with answers, opens every diff and discard prompt, and reports.
window.viewsHostile = async (answers, fileQueries) => {
  const reports = [];
  const report = (name, div, stub) => reports.push({
    name,
    violations: violations(div, viewHref, viewSrc, viewStyle),
    text: div.textContent + " " + [...div.querySelectorAll("option, textarea")].map((o) => o.label || o.value).join(" "),
    notes: stub.notes.map((n) => n.message),
  });

  {
    const stub = stubCtx(answers);
    const div = document.createElement("div");
    out.append(div);
    const cleanup = mountChanges(div, stub.ctx);
    await idle(stub);
    for (const b of div.querySelectorAll("[data-testid=changes-file] .file-name")) {
      b.click();
      await idle(stub);
      report("changes diff", div, stub);
    }
    for (const b of div.querySelectorAll("[data-testid=discard]")) b.click();
    report("changes", div, stub);
    cleanup();
  }
  for (const q of fileQueries) {
    const stub = stubCtx(answers, q);
    const div = document.createElement("div");
    out.append(div);
    const cleanup = mountFiles(div, stub.ctx);
    await idle(stub);
    report("files " + q, div, stub);
    cleanup();
  }
  await settle();
  out.replaceChildren();
  return { reports, pwned: window.__pwned ?? null };
};



// mdTime renders text reps times and returns the milliseconds it took.
window.mdTime = (text, reps) => {
  const start = performance.now();
  for (let i = 0; i < reps; i++) renderMarkdown(text);
  return performance.now() - start;
};

// script mounts the screen ("changes" or "files", with query) on a stub
// API, runs steps ({click: selector}, {choose: [selector, value]},
// {type: [selector, text]}) each once the screen is idle, and reports the
// requests, notices and navigations.
window.script = async (screen, answers, query, steps) => {
  const stub = stubCtx(answers, query);
  const div = document.createElement("div");
  out.append(div);
  const cleanup = (screen === "changes" ? mountChanges : mountFiles)(div, stub.ctx);
  await idle(stub);
  for (const step of steps ?? []) {
    const sel = step.click ?? step.choose?.[0] ?? step.type?.[0];
    const e = div.querySelector(sel);
    if (!e) throw new Error("no element " + sel + " in " + div.innerHTML);
    if (step.click) e.click();
    if (step.choose) {
      e.value = step.choose[1];
      e.dispatchEvent(new Event("change"));
    }
    if (step.type) e.value = step.type[1];
    await idle(stub);
  }
  const found = (sel) => [...div.querySelectorAll(sel)].map((e) => e.getAttribute("href") ?? e.getAttribute("src") ?? e.textContent);
  const report = {
    calls: stub.calls, notes: stub.notes, navigations: stub.navigations, links: found("a[href], img[src]"),
    diff: [...div.querySelectorAll("[data-testid=diff-view] > *")].map((e) => `${e.className}: ${e.textContent}`),
  };
  cleanup();
  out.replaceChildren();
  return report;
};

// apiErrors has api.get meet each answer in turn (a Response's body, status
// and JSON or not; or null: the network fails) and returns the message of
// each error it throws.
window.apiErrors = async (answers) => {
  const real = window.fetch;
  const messages = [];
  try {
    for (const a of answers) {
      window.fetch = async () => {
        if (a === null) throw new TypeError("Failed to fetch");
        return new Response(a.body, { status: a.status, headers: { "Content-Type": a.json ? "application/json" : "text/plain" } });
      };
      try {
        await api.get("anything");
        messages.push("(no error)");
      } catch (err) {
        messages.push(err.message);
      }
    }
  } finally {
    window.fetch = real;
  }
  return messages;
};

window.harnessReady = true;
