// Helpers of the Changes and Files screens: every element is built with
// createElement, every piece of text goes in as a text node; their looks
// are the style sheet's (app.css), by class.

// h is the page's one element builder (ui.js), which the screens use too.
export { h } from "./ui.js";

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
