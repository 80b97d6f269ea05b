// The live event stream of one instance (api/opencode/{port}/events), read
// with fetch() so that the X-Portal-Client header and the session cookie go
// with it. Events are objects {id, type, properties}. The stream reconnects
// with backoff, and at once when the page resumes from being frozen or shows
// again after a long absence (a phone that slept); after every reconnection
// it delivers a portal.resync of its own ({reason: "client-reconnect"}), as
// events may have been missed.

import { api, UNAUTHORIZED_EVENT } from "./api.js";

// The portal sends portal.heartbeat every 15 s: a stream silent for longer
// than this is dead, whatever the socket says.
const SILENCE_MS = 40000;
// A page hidden for longer than a heartbeat's interval (a phone that slept)
// may hold a stream whose connection died meanwhile without a word: it is
// not trusted when the page shows again.
const AWAY_MS = 15000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

export class EventStream {
  constructor(port) {
    this.port = port;
    this.state = "connecting"; // connecting | live | reconnecting | stopped
    this.listeners = new Map(); // type ("*" for all) -> Set of functions
    this.stateListeners = new Set();
    this.failures = 0;
    this.connectedOnce = false;
    this.lastByte = 0;
    this.controller = null;
    this.retryTimer = 0;
    this.watchdog = 0;
    this.hiddenAt = document.visibilityState === "visible" ? 0 : Date.now();
    this.onVisibility = () => {
      if (document.visibilityState !== "visible") {
        this.hiddenAt ||= Date.now();
        return;
      }
      const away = this.hiddenAt !== 0 && Date.now() - this.hiddenAt > AWAY_MS;
      this.hiddenAt = 0;
      if (away) this.renew();
      else this.check();
    };
    // The browser froze the page (a background tab, a phone asleep): no
    // byte was read meanwhile, the connection may be gone.
    this.onResume = () => this.renew();
  }

  /** on(type, fn) calls fn(event) for each event of type ("*": every event); returns an unsubscribe function. */
  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type)?.delete(fn);
  }

  /** onState(fn) calls fn(state) on every change of the connection state; returns an unsubscribe function. */
  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  start() {
    document.addEventListener("visibilitychange", this.onVisibility);
    document.addEventListener("resume", this.onResume);
    this.watchdog = setInterval(() => this.check(), 5000);
    this.connect();
  }

  stop() {
    document.removeEventListener("visibilitychange", this.onVisibility);
    document.removeEventListener("resume", this.onResume);
    clearInterval(this.watchdog);
    clearTimeout(this.retryTimer);
    this.setState("stopped");
    this.controller?.abort();
    this.controller = null;
  }

  /** check reconnects at once a stream that went silent, or that waits for its next try. */
  check() {
    if (this.state === "stopped") return;
    if (this.state === "live" && Date.now() - this.lastByte > SILENCE_MS) {
      this.controller?.abort(); // the read loop notices and reconnects
    } else if (this.state === "reconnecting" && this.retryTimer && document.visibilityState === "visible") {
      clearTimeout(this.retryTimer);
      this.retryTimer = 0;
      this.connect();
    }
  }

  /** renew replaces the stream at once: a live one may be dead without knowing it, a waiting one tries now. */
  renew() {
    if (this.state === "stopped") return;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.controller?.abort(); // its read loop sees it was replaced, and ends
    this.setState("reconnecting");
    this.connect();
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    for (const fn of this.stateListeners) fn(state);
  }

  emit(event) {
    for (const key of [event.type, "*"]) {
      for (const fn of this.listeners.get(key) || []) {
        try {
          fn(event);
        } catch (err) {
          console.error("event listener failed", event.type, err);
        }
      }
    }
  }

  async connect() {
    this.retryTimer = 0;
    const controller = new AbortController();
    this.controller = controller;
    try {
      const res = await fetch(api.url(`opencode/${this.port}/events`), {
        headers: { "X-Portal-Client": "web", "Accept": "text/event-stream" },
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
      });
      if (res.status === 401) {
        window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
      }
      if (!res.ok || !res.body) throw new Error(`event stream: ${res.status}`);
      this.lastByte = Date.now();
      this.failures = 0;
      this.setState("live");
      if (this.connectedOnce) this.emit({ id: "", type: "portal.resync", properties: { reason: "client-reconnect" } });
      this.connectedOnce = true;
      await this.read(res.body, controller.signal);
    } catch (err) {
      if (this.state !== "stopped") console.debug("event stream ended", err);
    }
    if (this.state === "stopped" || this.controller !== controller) return;
    this.setState("reconnecting");
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
    this.failures++;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  // read parses text/event-stream: "data:" lines joined by "\n", dispatched
  // at a blank line; other fields and comments are ignored.
  async read(body, signal) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
    // The unfinished line is kept in pieces: a long line over many chunks
    // is joined once, when its end comes, and searched for line ends once.
    const eol = /\r\n|\r|\n/g;
    let pieces = [];
    let scanned = 0; // the joined pieces hold no line end before this
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (!done) this.lastByte = Date.now();
      // A chunk without a line end, after no CR, only lengthens the line.
      if (!done && !/[\r\n]/.test(value) && !pieces.at(-1)?.endsWith("\r")) {
        pieces.push(value);
        continue;
      }
      let buffer = pieces.join("") + (done ? "" : value);
      // At the end a last CR ends its line: it cannot be half of a CRLF any more.
      if (done && buffer.endsWith("\r")) buffer += "\n";
      let start = 0;
      eol.lastIndex = scanned;
      for (;;) {
        const m = eol.exec(buffer);
        // A CR at the end may be the first half of a CRLF: wait for more.
        if (!m || (m[0] === "\r" && m.index === buffer.length - 1)) break;
        const line = buffer.slice(start, m.index);
        start = eol.lastIndex;
        if (line === "") {
          if (data.length > 0) this.dispatch(data.join("\n"));
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
        }
      }
      const rest = buffer.slice(start);
      pieces = [rest];
      // The rest holds no line end, but for a last CR that waits for its LF.
      scanned = Math.max(0, rest.length - 1);
      if (done) return;
    }
  }

  dispatch(text) {
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    if (event && typeof event.type === "string") this.emit({ properties: {}, ...event });
  }
}
