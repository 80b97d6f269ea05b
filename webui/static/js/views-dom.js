// DOM helpers of the Changes and Files screens: every element is built with
// createElement, every piece of text goes in as a text node.

/**
 * h builds an element. attrs: "class", "testid" (data-testid), "text"
 * (textContent), "on" ({event: handler}), and plain attributes, which must
 * never be URLs or handlers built from untrusted text. children: nodes or
 * strings (text nodes); null and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "testid") e.dataset.testid = v;
    else if (k === "text") e.textContent = v;
    else if (k === "on") for (const [type, fn] of Object.entries(v)) e.addEventListener(type, fn);
    else if (k.startsWith("on")) throw new Error("h: no inline handlers: " + k);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c);
  }
  return e;
}

/**
 * Looks of the Changes and Files screens that they need whatever the style
 * sheet says, set through the CSSOM (which the page's CSP allows), in the
 * colours the style sheet defines.
 */
export const looks = {
  lineNumber: { display: "inline-block", minWidth: "3ch", marginRight: "1ch", textAlign: "right", opacity: "0.6", userSelect: "none" },
  add: { color: "var(--ok, #1a7f37)" },
  del: { color: "var(--danger, #cf222e)" },
  hunk: { color: "var(--accent, #0969da)" },
  meta: { color: "var(--muted, #57606a)" },
};

/** styled sets e's style properties from props (one of looks) and returns e. */
export function styled(e, props) {
  if (props) Object.assign(e.style, props);
  return e;
}

/** humanSize writes a byte count for people: 0 B, 12.3 KiB, 4.0 MiB. */
export function humanSize(n) {
  if (!Number.isFinite(n) || n < 0) return "";
  const units = ["B", "KiB", "MiB", "GiB"];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${units[u]}`;
}

/** isAbort tells whether err is a fetch stopped by an AbortController. */
export function isAbort(err) {
  return err?.name === "AbortError";
}
