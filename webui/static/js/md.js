// Markdown as an agent writes it, rendered to DOM nodes.
//
// Safe for any input: every node is built with createElement and
// textContent, raw HTML is shown as text, a link's href is set only when its
// scheme is http:, https: or mailto: (anything else stays text), images
// become links (nothing remote is loaded). It runs in time linear in the
// input: no regular expression can backtrack over more than one line's
// bounded piece, every scan moves forward, and block and inline nesting
// are capped (deeper content is shown as text).
//
// What it reads: ATX and setext headings, paragraphs, emphasis and strong
// emphasis, code spans, fenced and indented code blocks, bullet and ordered
// lists (nested), blockquotes, inline, reference, autolinks (<...>) and bare
// http(s) URLs, GFM tables, thematic breaks, hard line breaks (two trailing
// spaces or a backslash). Entities are not decoded: `&amp;` shows as typed.

const MAX_DEPTH = 16; // nested blockquotes, lists, emphasis and links
const MAX_LABEL = 999;
const MAX_PARENS = 32;
const LINK_REL = "noopener noreferrer nofollow";

/**
 * Renders markdown text as a DocumentFragment.
 * @param {string} text
 * @returns {DocumentFragment}
 */
export function renderMarkdown(text) {
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n").map(expandIndent);
  const refs = new Map();
  const blocks = parseBlocks(lines, 0, refs);
  const frag = document.createDocumentFragment();
  renderBlocks(frag, blocks, refs);
  return frag;
}

// ---- blocks ----

// expandIndent turns the tabs of a line's indentation, and of the list and
// quote markers in it, into spaces (tab stops of 4), so indentation is
// counted in one unit.
function expandIndent(line) {
  let i = 0;
  while (i < line.length && " \t>-*+0123456789.)".includes(line[i])) i++;
  if (line.lastIndexOf("\t", i - 1) < 0) return line;
  let prefix = "";
  for (let k = 0; k < i; k++) prefix += line[k] === "\t" ? " ".repeat(4 - (prefix.length % 4)) : line[k];
  return prefix + line.slice(i);
}

function indentOf(line) {
  let i = 0;
  while (i < line.length && line[i] === " ") i++;
  return i;
}

function isBlank(line) {
  return indentOf(line) === line.length || line.trim() === "";
}

function fenceOpen(rest) {
  const ch = rest[0];
  if (ch !== "`" && ch !== "~") return null;
  let n = 0;
  while (rest[n] === ch) n++;
  if (n < 3) return null;
  const info = rest.slice(n).trim();
  if (ch === "`" && info.includes("`")) return null;
  return { ch, n, info };
}

function isFenceClose(line, fence) {
  const ind = indentOf(line);
  if (ind > 3) return false;
  let n = 0;
  while (line[ind + n] === fence.ch) n++;
  return n >= fence.n && line.slice(ind + n).trim() === "";
}

function atxHeading(rest) {
  let n = 0;
  while (rest[n] === "#") n++;
  if (n < 1 || n > 6) return null;
  if (n < rest.length && rest[n] !== " " && rest[n] !== "\t") return null;
  let content = rest.slice(n).trim();
  // A closing sequence of #s, preceded by a space (or alone), is dropped.
  let end = content.length;
  while (end > 0 && content[end - 1] === "#") end--;
  if (end === 0) content = "";
  else if (end < content.length && (content[end - 1] === " " || content[end - 1] === "\t")) content = content.slice(0, end).trim();
  return { level: n, text: content };
}

function isThematicBreak(rest) {
  const ch = rest[0];
  if (ch !== "-" && ch !== "*" && ch !== "_") return false;
  let n = 0;
  for (const c of rest) {
    if (c === ch) n++;
    else if (c !== " " && c !== "\t") return false;
  }
  return n >= 3;
}

function setextLevel(rest) {
  const t = rest.trimEnd();
  if (t.length === 0) return 0;
  const ch = t[0];
  if (ch !== "=" && ch !== "-") return 0;
  for (const c of t) if (c !== ch) return 0;
  return ch === "=" ? 1 : 2;
}

// listMarker reads a list item's marker at the start of rest (indentation
// removed): its kind, number, and the width up to the item's content.
function listMarker(rest) {
  let i = 0;
  let ordered = false;
  let start = 1;
  let ch = rest[0];
  if (ch === "-" || ch === "*" || ch === "+") {
    i = 1;
  } else {
    while (i < rest.length && i < 10 && rest[i] >= "0" && rest[i] <= "9") i++;
    if (i === 0 || i > 9 || (rest[i] !== "." && rest[i] !== ")")) return null;
    ordered = true;
    start = Number(rest.slice(0, i));
    ch = rest[i];
    i++;
  }
  if (i < rest.length && rest[i] !== " ") return null;
  let sp = 0;
  while (rest[i + sp] === " ") sp++;
  const empty = i + sp >= rest.length;
  const offset = empty ? i + 1 : sp > 4 ? i + 1 : i + sp;
  return { ordered, start, ch, offset, empty };
}

function sameList(a, b) {
  return a.ordered === b.ordered && a.ch === b.ch;
}

// startsBlock tells whether a line (not indented as code) begins a block
// that ends a paragraph.
function startsBlock(line) {
  const ind = indentOf(line);
  if (ind > 3) return false;
  const rest = line.slice(ind);
  if (rest[0] === ">" || fenceOpen(rest) || atxHeading(rest) || isThematicBreak(rest)) return true;
  const m = listMarker(rest);
  return m !== null && !m.empty && (!m.ordered || m.start === 1);
}

function splitRow(line) {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells = [];
  let cur = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === "|") {
      cells.push(s.slice(cur, i).trim());
      cur = i + 1;
    }
  }
  cells.push(s.slice(cur).trim());
  return cells;
}

function delimiterRow(line) {
  const cells = splitRow(line);
  const align = [];
  for (const c of cells) {
    let a = 0;
    let b = c.length;
    const left = c[a] === ":";
    if (left) a++;
    const right = b > a && c[b - 1] === ":";
    if (right) b--;
    if (b <= a) return null;
    for (let k = a; k < b; k++) if (c[k] !== "-") return null;
    align.push(left && right ? "center" : left ? "left" : right ? "right" : "");
  }
  return align;
}

// tableAt reads a GFM table whose header is lines[i], or returns null.
function tableAt(lines, i) {
  const head = lines[i];
  if (i + 1 >= lines.length || !head.includes("|") || indentOf(head) > 3) return null;
  const delim = lines[i + 1];
  if (indentOf(delim) > 3 || !delim.includes("|")) return null;
  const align = delimiterRow(delim);
  const cols = splitRow(head);
  if (!align || align.length !== cols.length) return null;
  const rows = [];
  let j = i + 2;
  while (j < lines.length && !isBlank(lines[j]) && !startsBlock(lines[j])) {
    const cells = splitRow(lines[j]).slice(0, cols.length);
    while (cells.length < cols.length) cells.push("");
    rows.push(cells);
    j++;
  }
  return { block: { type: "table", align, head: cols, rows }, end: j };
}

// linkDefinition reads `[label]: destination "title"` on one line.
function linkDefinition(line) {
  const m = /^ {0,3}\[([^\]\\]{1,999})\]:[ \t]*(<[^<>\n]*>|\S+)(?:[ \t]+("[^"]*"|'[^']*'|\([^()]*\)))?[ \t]*$/.exec(line);
  if (!m) return null;
  let dest = m[2];
  if (dest.startsWith("<")) dest = dest.slice(1, -1);
  const href = safeHref(dest);
  if (!href || normalizeLabel(m[1]) === "") return null;
  return { label: normalizeLabel(m[1]), href, title: m[3] ? m[3].slice(1, -1) : "" };
}

function normalizeLabel(label) {
  return label.trim().replace(/\s+/g, " ").toLowerCase();
}

function paragraph(lines, refs) {
  let k = 0;
  while (k < lines.length) {
    const def = linkDefinition(lines[k]);
    if (!def) break;
    if (!refs.has(def.label)) refs.set(def.label, def);
    k++;
  }
  if (k === lines.length) return null;
  return { type: "para", text: lines.slice(k).join("\n").trim() };
}

function literal(lines) {
  return { type: "para", text: lines.join("\n").trim(), literal: true };
}

function parseBlocks(lines, depth, refs) {
  const out = [];
  let para = null;
  const flush = () => {
    if (para) {
      const p = paragraph(para, refs);
      if (p) out.push(p);
      para = null;
    }
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      flush();
      i++;
      continue;
    }
    const ind = indentOf(line);
    if (ind >= 4) {
      if (para) {
        para.push(line.slice(ind));
        i++;
        continue;
      }
      const code = [];
      while (i < lines.length && (isBlank(lines[i]) || indentOf(lines[i]) >= 4)) {
        code.push(lines[i].slice(Math.min(4, indentOf(lines[i]))));
        i++;
      }
      while (code.length && isBlank(code[code.length - 1])) code.pop();
      out.push({ type: "code", lang: "", text: code.join("\n") });
      continue;
    }
    const rest = line.slice(ind);
    const fence = fenceOpen(rest);
    if (fence) {
      flush();
      const code = [];
      i++;
      while (i < lines.length && !isFenceClose(lines[i], fence)) {
        const l = lines[i];
        code.push(l.slice(Math.min(ind, indentOf(l))));
        i++;
      }
      i++; // the closing fence, or past the end
      const word = fence.info.split(/[ \t]/, 1)[0].toLowerCase();
      out.push({ type: "code", lang: /^[a-z0-9+-]+$/.test(word) ? word : "", text: code.join("\n") });
      continue;
    }
    const h = atxHeading(rest);
    if (h) {
      flush();
      out.push({ type: "heading", level: h.level, text: h.text });
      i++;
      continue;
    }
    if (para) {
      const level = setextLevel(rest);
      if (level) {
        const p = paragraph(para, refs);
        para = null;
        out.push(p ? { type: "heading", level, text: p.text } : literal([rest]));
        i++;
        continue;
      }
    }
    if (isThematicBreak(rest)) {
      flush();
      out.push({ type: "hr" });
      i++;
      continue;
    }
    if (rest[0] === ">") {
      flush();
      const inner = [];
      let lazyOK = false;
      while (i < lines.length) {
        const l = lines[i];
        const li = indentOf(l);
        if (li <= 3 && l[li] === ">") {
          let s = l.slice(li + 1);
          if (s[0] === " ") s = s.slice(1);
          inner.push(s);
          lazyOK = !isBlank(s) && !fenceOpen(s.trimStart());
        } else if (lazyOK && !isBlank(l) && !startsBlock(l)) {
          inner.push(l);
        } else break;
        i++;
      }
      out.push(depth + 1 >= MAX_DEPTH ? literal(inner) : { type: "quote", children: parseBlocks(inner, depth + 1, refs) });
      continue;
    }
    const marker = listMarker(rest);
    if (marker && (!para || (!marker.empty && (!marker.ordered || marker.start === 1)))) {
      flush();
      i = parseList(lines, i, depth, refs, out);
      continue;
    }
    const table = tableAt(lines, i);
    if (table) {
      flush();
      out.push(table.block);
      i = table.end;
      continue;
    }
    if (para) para.push(rest);
    else para = [rest];
    i++;
  }
  flush();
  return out;
}

// parseList reads the list starting at lines[i] into out and returns the
// index of the first line after it.
function parseList(lines, i, depth, refs, out) {
  const first = listMarker(lines[i].slice(indentOf(lines[i])));
  const list = { type: "list", ordered: first.ordered, start: first.start, tight: true, items: [] };
  let blankBetween = false;
  while (i < lines.length) {
    const line = lines[i];
    const ind = indentOf(line);
    const m = ind <= 3 ? listMarker(line.slice(ind)) : null;
    if (!m || !sameList(m, first) || isThematicBreak(line.slice(ind))) break;
    if (blankBetween) list.tight = false;
    const contentIndent = ind + m.offset;
    const item = [line.slice(Math.min(line.length, contentIndent))];
    i++;
    let lazyOK = !m.empty;
    while (i < lines.length) {
      const l = lines[i];
      if (isBlank(l)) {
        item.push("");
        lazyOK = false;
        i++;
        continue;
      }
      const li = indentOf(l);
      if (li >= contentIndent) {
        item.push(l.slice(contentIndent));
        lazyOK = true;
      } else if (lazyOK && !startsBlock(l) && !(li <= 3 && listMarker(l.slice(li)))) {
        item.push(l.slice(li));
      } else break;
      i++;
    }
    let trailing = 0;
    while (item.length > 1 && item[item.length - 1] === "") {
      item.pop();
      trailing++;
    }
    blankBetween = trailing > 0;
    const children = depth + 1 >= MAX_DEPTH ? [literal(item)] : parseBlocks(item, depth + 1, refs);
    if (children.length > 1 && item.includes("")) list.tight = false;
    list.items.push(children);
  }
  out.push(list);
  return i;
}

// ---- inlines ----

function isAsciiPunct(c) {
  return c !== undefined && /^[!-/:-@[-`{-~]$/.test(c);
}

function isWhite(c) {
  return c === undefined || /^\s$/u.test(c);
}

function isPunct(c) {
  return c !== undefined && /^[\p{P}\p{S}]$/u.test(c);
}

// safeHref returns dest if a link may point there: an absolute http:,
// https: or mailto: URL without whitespace or control characters; else "".
function safeHref(dest) {
  if (typeof dest !== "string" || /[\x00-\x20\x7f-\x9f]/.test(dest)) return "";
  if (!/^(?:https?:\/\/|mailto:)/i.test(dest)) return "";
  let url;
  try {
    url = new URL(dest);
  } catch {
    return "";
  }
  return url.protocol === "http:" || url.protocol === "https:" || url.protocol === "mailto:" ? dest : "";
}

function unescapeText(s) {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && isAsciiPunct(s[i + 1])) i++;
    out += s[i];
  }
  return out;
}

function inode(type, props) {
  return { type, prev: null, next: null, first: null, last: null, ...props };
}

function append(parent, n) {
  n.prev = parent.last;
  n.next = null;
  if (parent.last) parent.last.next = n;
  else parent.first = n;
  parent.last = n;
}

function unlink(parent, n) {
  if (n.prev) n.prev.next = n.next;
  else parent.first = n.next;
  if (n.next) n.next.prev = n.prev;
  else parent.last = n.prev;
  n.prev = n.next = null;
}

// wrapBetween moves the nodes strictly between a and b (siblings, a
// first) into the new node w, which takes their place.
function wrapBetween(a, b, w) {
  const f = a.next;
  if (f !== b) {
    w.first = f;
    w.last = b.prev;
    f.prev = null;
    w.last.next = null;
  }
  a.next = w;
  w.prev = a;
  w.next = b;
  b.prev = w;
}

// backtickRuns indexes the runs of backticks of s by length, for code
// spans: each length keeps a cursor that only moves forward.
function backtickRuns(s) {
  const runs = new Map();
  for (let i = s.indexOf("`"); i >= 0; i = s.indexOf("`", i)) {
    let j = i;
    while (s[j] === "`") j++;
    const n = j - i;
    if (!runs.has(n)) runs.set(n, { at: [], cur: 0 });
    runs.get(n).at.push(i);
    i = j;
  }
  return runs;
}

function isEmail(s) {
  const at = s.indexOf("@");
  if (at < 1 || at !== s.lastIndexOf("@")) return false;
  if (!/^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+$/.test(s.slice(0, at))) return false;
  const labels = s.slice(at + 1).split(".");
  return labels.every((l) => l.length > 0 && l.length <= 63 && /^[a-zA-Z0-9-]+$/.test(l) && l[0] !== "-" && l[l.length - 1] !== "-");
}

// linkTail reads `(destination "title")` at s[i] === "(".
function linkTail(s, i) {
  const n = s.length;
  i++;
  const skip = () => {
    while (i < n && (s[i] === " " || s[i] === "\t" || s[i] === "\n")) i++;
  };
  skip();
  let dest = "";
  if (s[i] === "<") {
    const start = ++i;
    while (i < n && s[i] !== ">" && s[i] !== "<" && s[i] !== "\n") i += s[i] === "\\" ? 2 : 1;
    if (s[i] !== ">") return null;
    dest = s.slice(start, i++);
  } else {
    const start = i;
    let depth = 0;
    while (i < n) {
      const c = s[i];
      if (c === "\\" && isAsciiPunct(s[i + 1])) i++;
      else if (c === "(") {
        if (++depth > MAX_PARENS) return null;
      } else if (c === ")") {
        if (depth === 0) break;
        depth--;
      } else if (c <= " " || c === "\x7f") break;
      i++;
    }
    if (depth !== 0) return null;
    dest = s.slice(start, i);
  }
  const afterDest = i;
  skip();
  let title = "";
  const open = s[i];
  if (i > afterDest && (open === '"' || open === "'" || open === "(")) {
    const close = open === "(" ? ")" : open;
    const start = ++i;
    while (i < n && s[i] !== close) i += s[i] === "\\" ? 2 : 1;
    if (i >= n) return null;
    title = s.slice(start, i++);
    skip();
  }
  if (s[i] !== ")") return null;
  return { dest: unescapeText(dest), title: unescapeText(title), end: i + 1 };
}

// bareURL reads an http(s) URL written without brackets at s[i].
function bareURL(s, i) {
  let j = i;
  while (j < s.length && s[j] > " " && s[j] !== "<" && s[j] !== "\x7f") j++;
  let end = j;
  while (end > i && /[?!.,:*_~'"]/.test(s[end - 1])) end--;
  // A trailing ")" belongs to the URL only when it closes one of its own.
  let opens = 0;
  let closes = 0;
  for (let k = i; k < end; k++) {
    if (s[k] === "(") opens++;
    else if (s[k] === ")") closes++;
  }
  while (end > i && s[end - 1] === ")" && closes > opens) {
    end--;
    closes--;
  }
  const url = s.slice(i, end);
  const scheme = url.indexOf("://") + 3;
  return url.length > scheme ? url : "";
}

// parseInlines turns one block's text into a tree of inline nodes: the
// CommonMark delimiter algorithm over a linked list of nodes.
function parseInlines(s, refs) {
  const root = inode("root");
  const runs = backtickRuns(s);
  let delims = null; // the top of the delimiter stack (a linked list)
  let brackets = null;
  let links = 0; // links made so far: a "[" before one of them cannot open another
  let trailingSpaces = 0; // spaces the last text run dropped before a line end
  let pos = 0;
  const n = s.length;
  const text = (t) => {
    if (t) append(root, inode("text", { text: t }));
  };

  while (pos < n) {
    const c = s[pos];
    if (c === "\\") {
      if (s[pos + 1] === "\n") {
        append(root, inode("br"));
        pos += 2;
        while (s[pos] === " ") pos++;
      } else if (isAsciiPunct(s[pos + 1])) {
        text(s[pos + 1]);
        pos += 2;
      } else {
        text("\\");
        pos++;
      }
    } else if (c === "`") {
      let e = pos;
      while (s[e] === "`") e++;
      const len = e - pos;
      const r = runs.get(len);
      while (r && r.cur < r.at.length && r.at[r.cur] <= pos) r.cur++;
      if (r && r.cur < r.at.length) {
        const close = r.at[r.cur];
        let code = s.slice(e, close).replace(/\n/g, " ");
        if (code.length > 2 && code[0] === " " && code[code.length - 1] === " " && code.trim() !== "") code = code.slice(1, -1);
        append(root, inode("code", { text: code }));
        pos = close + len;
      } else {
        text(s.slice(pos, e));
        pos = e;
      }
    } else if (c === "*" || c === "_") {
      let e = pos;
      while (s[e] === c) e++;
      const before = pos > 0 ? s[pos - 1] : undefined;
      const after = s[e];
      const lf = !isWhite(after) && (!isPunct(after) || isWhite(before) || isPunct(before));
      const rf = !isWhite(before) && (!isPunct(before) || isWhite(after) || isPunct(after));
      const canOpen = c === "*" ? lf : lf && (!rf || isPunct(before));
      const canClose = c === "*" ? rf : rf && (!lf || isPunct(after));
      const node = inode("text", { text: s.slice(pos, e) });
      append(root, node);
      if (canOpen || canClose) {
        const d = { ch: c, count: e - pos, orig: e - pos, node, canOpen, canClose, prev: delims, next: null };
        if (delims) delims.next = d;
        delims = d;
      }
      pos = e;
    } else if (c === "[" || (c === "!" && s[pos + 1] === "[")) {
      const image = c === "!";
      const node = inode("text", { text: image ? "![" : "[" });
      append(root, node);
      pos += image ? 2 : 1;
      brackets = { node, image, start: pos, links, prev: brackets, delims };
    } else if (c === "]") {
      pos = closeBracket(pos);
    } else if (c === "<") {
      // An autolink holds no whitespace and no "<": the scan stops there.
      let end = pos + 1;
      while (end < n && s[end] > " " && s[end] !== "<" && s[end] !== ">" && s[end] !== "\x7f") end++;
      const inner = s[end] === ">" ? s.slice(pos + 1, end) : "";
      const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]{1,31}:/.test(inner);
      if (scheme && safeHref(inner)) {
        const a = inode("link", { href: inner, title: "" });
        append(a, inode("text", { text: inner }));
        append(root, a);
        pos = end + 1;
      } else if (!scheme && isEmail(inner)) {
        const a = inode("link", { href: "mailto:" + inner, title: "" });
        append(a, inode("text", { text: inner }));
        append(root, a);
        pos = end + 1;
      } else {
        text("<");
        pos++;
      }
    } else if (c === "\n") {
      append(root, inode(trailingSpaces >= 2 ? "br" : "softbreak"));
      pos++;
      while (s[pos] === " ") pos++;
    } else if (c === "h" && atBareURL(pos)) {
      const url = bareURL(s, pos);
      const a = inode("link", { href: safeHref(url) ? url : "", title: "" });
      if (a.href) {
        append(a, inode("text", { text: url }));
        append(root, a);
        pos += url.length;
      } else {
        text("h");
        pos++;
      }
    } else {
      let e = pos + 1;
      while (e < n && !"\\`*_[]!<\n".includes(s[e]) && !(s[e] === "h" && atBareURL(e))) e++;
      let t = s.slice(pos, e);
      trailingSpaces = 0;
      if (s[e] === "\n" || e === n) {
        const trimmed = t.replace(/ +$/, "");
        trailingSpaces = t.length - trimmed.length;
        t = trimmed;
      }
      text(t);
      pos = e;
      continue;
    }
    trailingSpaces = 0;
  }
  processEmphasis(null);
  return root;

  // (function declarations below share the parser's state)
  function atBareURL(p) {
    if (!(s.startsWith("http://", p) || s.startsWith("https://", p))) return false;
    return p === 0 || !/[a-zA-Z0-9]/.test(s[p - 1]);
  }

  function removeDelim(d) {
    if (d.prev) d.prev.next = d.next;
    if (d.next) d.next.prev = d.prev;
    else delims = d.prev;
  }

  function processEmphasis(bottom) {
    const openersBottom = new Map();
    let closer = null; // the lowest delimiter above bottom
    for (let d = delims; d && d !== bottom; d = d.prev) closer = d;
    while (closer) {
      if (!closer.canClose) {
        closer = closer.next;
        continue;
      }
      const key = closer.ch + (closer.canOpen ? "1" : "0") + (closer.orig % 3);
      const floor = openersBottom.has(key) ? openersBottom.get(key) : bottom;
      let opener = closer.prev;
      let found = false;
      while (opener && opener !== bottom && opener !== floor) {
        if (opener.ch === closer.ch && opener.canOpen) {
          const odd = (closer.canOpen || opener.canClose) && closer.orig % 3 !== 0 && (opener.orig + closer.orig) % 3 === 0;
          if (!odd) {
            found = true;
            break;
          }
        }
        opener = opener.prev;
      }
      const old = closer;
      if (found) {
        const use = closer.count >= 2 && opener.count >= 2 ? 2 : 1;
        opener.count -= use;
        closer.count -= use;
        opener.node.text = opener.node.text.slice(0, opener.count);
        closer.node.text = closer.node.text.slice(0, closer.count);
        wrapBetween(opener.node, closer.node, inode(use === 2 ? "strong" : "em"));
        // The delimiters between them are used up.
        opener.next = closer;
        closer.prev = opener;
        if (opener.count === 0) {
          unlink(root, opener.node);
          removeDelim(opener);
        }
        if (closer.count === 0) {
          const next = closer.next;
          unlink(root, closer.node);
          removeDelim(closer);
          closer = next;
        }
      } else {
        closer = closer.next;
        openersBottom.set(key, old.prev);
        if (!old.canOpen) removeDelim(old);
      }
    }
    // Drop the delimiters above bottom: they are plain text now.
    while (delims && delims !== bottom) removeDelim(delims);
  }

  function closeBracket(p) {
    const opener = brackets;
    if (!opener) {
      text("]");
      return p + 1;
    }
    brackets = opener.prev;
    if (!opener.image && opener.links !== links) {
      text("]");
      return p + 1;
    }
    let href = "";
    let title = "";
    let end = p + 1;
    const tail = s[p + 1] === "(" ? linkTail(s, p + 1) : null;
    if (tail) {
      href = safeHref(tail.dest);
      title = tail.title;
      end = tail.end;
    } else if (refs.size > 0) {
      let label = p - opener.start <= MAX_LABEL ? s.slice(opener.start, p) : "";
      if (s[p + 1] === "[") {
        const close = s.indexOf("]", p + 2);
        const explicit = close > 0 ? s.slice(p + 2, close) : null;
        if (explicit !== null && explicit.length <= MAX_LABEL && !explicit.includes("[")) {
          if (explicit.trim() !== "") label = explicit;
          end = close + 1;
        }
      }
      const def = label.length <= MAX_LABEL ? refs.get(normalizeLabel(label)) : undefined;
      if (def) {
        href = def.href;
        title = def.title;
      } else end = p + 1;
    }
    if (!href) {
      text("]");
      return p + 1;
    }
    const link = inode("link", { href, title, image: opener.image });
    processEmphasis(opener.delims);
    // Everything after the opener's "[" is the link's text.
    if (opener.node.next) {
      link.first = opener.node.next;
      link.last = root.last;
      link.first.prev = null;
      opener.node.next = null;
      root.last = opener.node;
    }
    unlink(root, opener.node);
    append(root, link);
    if (!opener.image) links++;
    return end;
  }
}

// ---- rendering ----

function el(tag, ...children) {
  const e = document.createElement(tag);
  for (const c of children) e.append(c);
  return e;
}

function renderBlocks(parent, blocks, refs) {
  for (const b of blocks) parent.append(renderBlock(b, refs));
}

function renderBlock(b, refs) {
  switch (b.type) {
    case "para": {
      const p = el("p");
      if (b.literal) p.textContent = b.text;
      else renderInlines(p, b.text, refs);
      return p;
    }
    case "heading": {
      const h = el("h" + b.level);
      renderInlines(h, b.text, refs);
      return h;
    }
    case "code": {
      const code = el("code");
      if (b.lang) code.className = "language-" + b.lang;
      code.textContent = b.text;
      return el("pre", code);
    }
    case "hr":
      return el("hr");
    case "quote": {
      const q = el("blockquote");
      renderBlocks(q, b.children, refs);
      return q;
    }
    case "list": {
      const list = el(b.ordered ? "ol" : "ul");
      if (b.ordered && b.start !== 1) list.setAttribute("start", String(b.start));
      for (const item of b.items) {
        const li = el("li");
        for (const c of item) {
          if (b.tight && c.type === "para" && !c.literal) renderInlines(li, c.text, refs);
          else li.append(renderBlock(c, refs));
        }
        list.append(li);
      }
      return list;
    }
    case "table": {
      const row = (cells, tag) => {
        const tr = el("tr");
        cells.forEach((cell, k) => {
          const td = el(tag);
          if (b.align[k]) td.style.textAlign = b.align[k];
          renderInlines(td, cell, refs);
          tr.append(td);
        });
        return tr;
      };
      const table = el("table", el("thead", row(b.head, "th")));
      if (b.rows.length) table.append(el("tbody", ...b.rows.map((r) => row(r, "td"))));
      return table;
    }
  }
  throw new Error("unknown block " + b.type);
}

// renderInlines appends text's inline nodes to parent, without recursion
// (emphasis may nest as deep as the text is long): past MAX_DEPTH levels,
// and for a link inside a link, the nodes' content is appended flat.
function renderInlines(parent, text, refs) {
  const root = parseInlines(text, refs);
  // Adjacent text goes in as one text node: buf holds it until an element
  // comes or the level ends.
  const stack = [{ node: root.first, into: parent, depth: 0, inLink: false, buf: "" }];
  const flush = (top) => {
    if (top.buf) top.into.append(top.buf);
    top.buf = "";
  };
  while (stack.length) {
    const top = stack[stack.length - 1];
    const n = top.node;
    if (!n) {
      flush(top);
      stack.pop();
      continue;
    }
    top.node = n.next;
    if (n.type === "text" || n.type === "softbreak") {
      top.buf += n.type === "text" ? n.text : "\n";
      continue;
    }
    flush(top);
    let e = null;
    switch (n.type) {
      case "br":
        top.into.append(el("br"));
        continue;
      case "code":
        top.into.append(el("code", n.text));
        continue;
      case "em":
      case "strong":
        if (top.depth < MAX_DEPTH) e = el(n.type);
        break;
      case "link":
        if (!top.inLink && top.depth < MAX_DEPTH) {
          e = el("a");
          e.setAttribute("href", n.href);
          e.setAttribute("rel", LINK_REL);
          e.setAttribute("target", "_blank");
          if (n.title) e.setAttribute("title", n.title);
          if (n.image) e.className = "md-image";
        }
        break;
    }
    if (e) top.into.append(e);
    if (n.image && !n.first) (e ?? top.into).append(n.href);
    stack.push({ node: n.first, into: e ?? top.into, depth: top.depth + (e ? 1 : 0), inLink: top.inLink || n.type === "link", buf: "" });
  }
}
