// DOM helpers. Text always goes in as text nodes: nothing here parses HTML.

/**
 * h(tag, props, ...children) makes an element. props: class, testid
 * (data-testid), text (textContent), on{Event} listeners (onclick, ...;
 * only functions: anything else throws, as it would be an inline handler),
 * hidden/disabled/value/checked/open/type as properties, and any other key
 * as an attribute (null or false leaves it out). Children are nodes,
 * strings (text) or arrays of them; null and false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "testid") node.dataset.testid = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) {
      // Only a function listens; a string would be an inline handler.
      if (typeof value !== "function") throw new Error("h: no inline handlers: " + key);
      node.addEventListener(key.slice(2), value);
    }
    else if (["hidden", "disabled", "value", "checked", "open", "type", "placeholder", "title"].includes(key)) node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

/** append adds children to node as h does: nodes, strings, arrays; null and false skipped. */
export function add(node, ...children) {
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

/** clear removes every child of node. */
export function clear(node) {
  node.replaceChildren();
  return node;
}

/**
 * keyedRows shows items as the rows of list, keeping every row that did
 * not change: id(item) names an item's row, key(item) is what the row
 * shows (a row whose key is as before keeps its node, with any state the
 * user gave it: an armed button, an open panel), build(item) makes a row
 * and empty() what shows when there is none. The rows that stay are left
 * where they are, and the others are put in or taken out around them: a
 * row taken out and put back while a finger is on it loses the tap. It
 * returns the function that shows a new read.
 */
export function keyedRows(list, { id, key, build, empty }) {
  let shown = new Map(); // id -> {key, node}
  return (items) => {
    const next = new Map();
    for (const item of items) {
      const k = key(item);
      const old = shown.get(id(item));
      next.set(id(item), old && old.key === k ? old : { key: k, node: build(item) });
    }
    shown = next;
    const rows = items.length ? [...next.values()].map((r) => r.node) : [empty()];
    const keep = new Set(rows);
    for (const child of [...list.children]) if (!keep.has(child)) child.remove();
    rows.forEach((row, i) => {
      if (list.children[i] !== row) list.insertBefore(row, list.children[i] || null);
    });
  };
}

/** ago says how long ago a time in epoch milliseconds was. */
export function ago(ms) {
  if (!ms) return "";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}

/** errorText is the message of an error for the user. */
export function errorText(err) {
  return (err && err.message) || String(err);
}

/**
 * confirmButton is a button that asks once more in place ("Sure?") before
 * it calls action: no browser dialog, one more tap.
 */
export function confirmButton(label, props, action) {
  let armed = false;
  let timer = 0;
  const button = h("button", {
    type: "button",
    ...props,
    onclick: async () => {
      if (!armed) {
        armed = true;
        button.textContent = "Sure? " + label;
        button.classList.add("armed");
        timer = setTimeout(() => {
          armed = false;
          button.textContent = label;
          button.classList.remove("armed");
        }, 4000);
        return;
      }
      clearTimeout(timer);
      armed = false;
      button.textContent = label;
      button.classList.remove("armed");
      await action();
    },
  }, label);
  return button;
}
