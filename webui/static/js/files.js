// The Files screen: browse the instance's folder (files/list) and open a
// file (files/read): text with line numbers, an image through the raw
// route, any other binary file as its size and a download link.

import { h, humanSize, isAbort } from "./views-dom.js";

// Image types a browser shows in an <img> (which runs no script, even for
// SVG; the raw route also sends a sandboxing CSP).
const IMAGE_TYPES = new Set([
  "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif",
  "image/bmp", "image/x-icon", "image/vnd.microsoft.icon", "image/svg+xml",
]);

/**
 * mountFiles renders the folder or file ctx.query's "path" names (none:
 * the instance's folder) into el and returns its cleanup.
 */
export function mountFiles(el, ctx) {
  const ac = new AbortController();
  const port = encodeURIComponent(ctx.port);
  const path = ctx.query?.get("path") ?? "";
  const route = (p) => `opencode/${port}/files/${p}`;
  const hashFor = (p) => `#/i/${port}/files` + (p ? "?" + new URLSearchParams({ path: p }) : "");
  const body = h("div", { class: "files-body" }, h("p", { class: "muted" }, "Loading…"));
  el.replaceChildren(h("div", { class: "files" }, breadcrumbs(), body));
  load();
  return () => ac.abort();

  function link(p, attrs, ...children) {
    return h("a", {
      ...attrs,
      href: hashFor(p),
      onclick: (ev) => { ev.preventDefault(); ctx.navigate(hashFor(p)); },
    }, ...children);
  }

  function breadcrumbs() {
    const nav = h("nav", { class: "breadcrumbs", "aria-label": "Folder" });
    nav.append(link("", { testid: "breadcrumb", "data-path": "" }, "Files"));
    const parts = path.split("/").filter(Boolean);
    parts.forEach((name, i) => {
      const p = parts.slice(0, i + 1).join("/");
      nav.append(" / ", link(p, { testid: "breadcrumb", "data-path": p }, name));
    });
    return nav;
  }

  async function load() {
    const q = "?" + new URLSearchParams({ path });
    try {
      let entries;
      try {
        entries = await ctx.api.get(route("list") + q, { signal: ac.signal });
      } catch (err) {
        // A file is not a folder (400): read it instead.
        if (err.status !== 400 || !path) throw err;
        const file = await ctx.api.get(route("read") + q, { signal: ac.signal });
        body.replaceChildren(fileView(file));
        return;
      }
      body.replaceChildren(folderView(entries));
    } catch (err) {
      if (isAbort(err)) return;
      body.replaceChildren(h("p", { class: "error", testid: "files-error" }, err.message));
      ctx.notify(err.message, "error");
    }
  }

  function folderView(entries) {
    if (!entries?.length) return h("p", { class: "muted", testid: "folder-empty" }, "This folder is empty");
    return h("ul", { class: "file-list", testid: "file-list" }, entries.map((e) => {
      const kind = e.type === "symlink" && e.target ? e.target : e.type;
      const label = [h("span", { class: `file-icon ${kind}`, "aria-hidden": "true" }, kind === "directory" ? "📁" : "📄"), " ", e.name];
      const meta = kind === "file" ? h("span", { class: "muted size" }, humanSize(e.size)) : null;
      const attrs = { class: "file-entry" + (e.ignored ? " ignored" : ""), testid: "file-entry", "data-path": e.path, "data-type": e.type };
      const item = kind === "directory" || kind === "file" ? link(e.path, attrs, ...label) : h("span", attrs, ...label);
      return h("li", {}, item, meta);
    }));
  }

  function fileView(file) {
    const head = h("div", { class: "file-head" },
      h("span", { class: "file-path" }, file.path), " ",
      h("span", { class: "muted" }, `${humanSize(file.size)} · ${file.mimeType ?? ""}`));
    const raw = ctx.api.url(route("read") + "?" + new URLSearchParams({ path: file.path, raw: "1" }));
    if (file.type === "text") {
      const lines = file.content.endsWith("\n") ? file.content.slice(0, -1).split("\n") : file.content.split("\n");
      return h("div", { class: "file" }, head,
        h("div", { class: "file-text code", testid: "file-view" }, lines.map((line, i) =>
          h("div", { class: "file-line", testid: "file-line" },
            h("span", { class: "line-number", "aria-hidden": "true" }, String(i + 1)),
            h("span", { class: "line-text" }, line)))));
    }
    const name = file.path.split("/").pop();
    const download = h("a", { href: raw, download: name, testid: "file-download" }, "Download");
    if (IMAGE_TYPES.has(String(file.mimeType).split(";")[0].trim().toLowerCase())) {
      return h("div", { class: "file" }, head,
        h("div", { class: "file-binary", testid: "file-view" }, h("img", { src: raw, alt: file.path, testid: "file-image" }), download));
    }
    return h("div", { class: "file" }, head,
      h("div", { class: "file-binary", testid: "file-view" }, h("p", {}, `Binary file, ${humanSize(file.size)}`), download));
  }
}
