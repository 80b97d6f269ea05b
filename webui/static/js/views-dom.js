// DOM helpers of the Changes and Files screens: every element is built with
// createElement, every piece of text goes in as a text node.

// h is the page's one element builder (ui.js), which the screens use too.
export { h } from "./ui.js";

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
