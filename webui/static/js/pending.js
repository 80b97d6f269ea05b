// Permission requests and questions waiting for the user, for one
// instance: read from api on start and after every resync, kept up to date
// from the event stream, answered in one tap.

import { api } from "./api.js";
import { h, add, errorText } from "./ui.js";

export class Pending {
  constructor(port, stream, notify) {
    this.port = port;
    this.stream = stream;
    this.notify = notify;
    this.items = new Map(); // request id -> {kind: "permission"|"question", req}
    this.listeners = new Set();
    this.loading = null;
  }

  start() {
    const s = this.stream;
    s.on("permission.asked", (e) => this.add("permission", e.properties));
    s.on("question.asked", (e) => this.add("question", e.properties));
    for (const type of ["permission.replied", "question.replied", "question.rejected"]) {
      s.on(type, (e) => this.remove(e.properties.requestID));
    }
    // An instance that runs again is followed by a resync too.
    s.on("portal.resync", () => this.load());
    this.load();
  }

  async load() {
    const base = `opencode/${this.port}/`;
    try {
      const [permissions, questions] = await Promise.all([api.get(base + "permissions"), api.get(base + "questions")]);
      const next = new Map();
      for (const req of permissions || []) next.set(req.id, { kind: "permission", req });
      for (const req of questions || []) next.set(req.id, { kind: "question", req });
      const added = [...next.keys()].filter((id) => !this.items.has(id));
      this.items = next;
      this.changed(added.length ? next.get(added[0]).req : null);
    } catch (err) {
      console.warn("reading pending requests", err);
    }
  }

  add(kind, req) {
    if (!req || !req.id) return;
    const known = this.items.has(req.id);
    this.items.set(req.id, { kind, req });
    this.changed(known ? null : req);
  }

  remove(id) {
    if (this.items.delete(id)) this.changed(null);
  }

  count() {
    return this.items.size;
  }

  /** list returns the pending items, oldest first (ids sort by time). */
  list(sessionID) {
    return [...this.items.values()]
      .filter((it) => !sessionID || it.req.sessionID === sessionID)
      .sort((a, b) => (a.req.id < b.req.id ? -1 : 1));
  }

  /** onChange calls fn(addedRequestOrNull) after every change; returns an unsubscribe function. */
  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(added) {
    for (const fn of this.listeners) fn(added);
  }

  async replyPermission(id, reply) {
    await api.post(`opencode/${this.port}/permission/${encodeURIComponent(id)}/reply`, { reply });
    this.remove(id);
  }

  async replyQuestion(id, answers) {
    await api.post(`opencode/${this.port}/question/${encodeURIComponent(id)}/reply`, { answers });
    this.remove(id);
  }

  async rejectQuestion(id) {
    await api.post(`opencode/${this.port}/question/${encodeURIComponent(id)}/reject`);
    this.remove(id);
  }
}

/**
 * syncCards makes container hold a card per item, in order, keeping the
 * cards it already holds (a half-typed answer, a reply under way survive
 * every other change).
 */
export function syncCards(container, pending, items, opts) {
  const old = new Map([...container.children].map((n) => [n.dataset.request, n]));
  const cards = items.map((item) => old.get(item.req.id) || pendingCard(pending, item, opts));
  container.replaceChildren(...cards);
}

/** pendingCard renders one pending item as a card answered in one tap. */
function pendingCard(pending, item, { showSession = false, port } = {}) {
  const card = item.kind === "permission" ? permissionCard(pending, item.req) : questionCard(pending, item.req);
  if (showSession && item.req.sessionID) {
    card.prepend(h("a", { class: "card-session", href: `#/i/${port}/s/${encodeURIComponent(item.req.sessionID)}` }, "Open the session"));
  }
  return card;
}

// act disables the card's buttons while fn runs, and says why it failed.
async function act(card, fn, notify) {
  const buttons = card.querySelectorAll("button, input, textarea");
  buttons.forEach((b) => (b.disabled = true));
  try {
    await fn();
    card.classList.add("answered");
  } catch (err) {
    buttons.forEach((b) => (b.disabled = false));
    notify(errorText(err), "error");
  }
}

function permissionCard(pending, req) {
  const card = h("section", { class: "card pending-card", testid: "permission-card", "data-request": req.id });
  const what = req.metadata && typeof req.metadata.command === "string" ? req.metadata.command : (req.patterns || []).join(", ");
  const reply = (r) => act(card, () => pending.replyPermission(req.id, r), pending.notify);
  add(card,
    h("h3", {}, `Allow ${req.permission || "this"}?`),
    what ? h("pre", { class: "code" }, what) : null,
    req.always && req.always.length ? h("p", { class: "muted small" }, "Always allows: " + req.always.join(", ")) : null,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", testid: "permission-once", onclick: () => reply("once") }, "Allow once"),
      h("button", { type: "button", testid: "permission-always", onclick: () => reply("always") }, "Always"),
      h("button", { type: "button", class: "danger", testid: "permission-reject", onclick: () => reply("reject") }, "Reject"),
    ),
  );
  return card;
}

function questionCard(pending, req) {
  const card = h("section", { class: "card pending-card", testid: "question-card", "data-request": req.id });
  const questions = req.questions || [];
  const chosen = questions.map(() => new Set());
  const customs = [];
  const submit = () => {
    const answers = questions.map((q, i) => {
      const labels = [...chosen[i]];
      const custom = customs[i]?.value.trim();
      if (custom) labels.push(custom);
      return labels;
    });
    return act(card, () => pending.replyQuestion(req.id, answers), pending.notify);
  };
  // One question with one answer: a tap on an option answers it.
  const oneTap = questions.length === 1 && !questions[0].multiple;
  questions.forEach((q, i) => {
    const options = h("div", { class: "options" });
    for (const opt of q.options || []) {
      const button = h("button", {
        type: "button", class: "option", testid: "question-option", "aria-pressed": "false",
        onclick: () => {
          if (!q.multiple) {
            chosen[i].clear();
            options.querySelectorAll(".option").forEach((b) => b.setAttribute("aria-pressed", "false"));
          }
          if (chosen[i].has(opt.label)) chosen[i].delete(opt.label);
          else chosen[i].add(opt.label);
          button.setAttribute("aria-pressed", String(chosen[i].has(opt.label)));
          if (oneTap && !customs[i]?.value.trim()) submit();
        },
      }, h("span", { class: "option-label" }, opt.label), opt.description ? h("span", { class: "option-desc" }, opt.description) : null);
      options.append(button);
    }
    const custom = q.custom === false ? null : h("input", { type: "text", class: "custom", placeholder: "Or type an answer", "aria-label": "Your answer" });
    customs[i] = custom;
    add(card,
      q.header ? h("h3", {}, q.header) : null,
      h("p", {}, q.question || ""),
      q.multiple ? h("p", { class: "muted small" }, "Pick any number") : null,
      options,
      custom,
    );
  });
  card.append(h("div", { class: "actions" },
    h("button", { type: "button", class: "primary", testid: "question-submit", onclick: submit }, "Answer"),
    h("button", { type: "button", testid: "question-dismiss", onclick: () => act(card, () => pending.rejectQuestion(req.id), pending.notify) }, "Dismiss"),
  ));
  return card;
}
