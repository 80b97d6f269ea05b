package webui_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const rel = `rel="noopener noreferrer nofollow" target="_blank"`

// mdCases are markdown inputs and the HTML renderMarkdown must build,
// written from the markdown rules (CommonMark, GFM tables) and md.js's
// own: links only to http(s) and mailto, images as links, raw HTML and
// entities as text, soft breaks kept as newlines.
var mdCases = []struct{ name, md, html string }{
	{"empty", "", ""},
	{"paragraphs", "one\ntwo\n\nthree", "<p>one\ntwo</p><p>three</p>"},
	{"headings", "# One\n###### Six #####\n#7 no\n####### seven", "<h1>One</h1><h6>Six</h6><p>#7 no\n####### seven</p>"},
	{"setext headings", "Title\n=====\nSub\n---", "<h1>Title</h1><h2>Sub</h2>"},
	{"emphasis", "*em* _em_ **strong** __strong__ ***both***", "<p><em>em</em> <em>em</em> <strong>strong</strong> <strong>strong</strong> <em><strong>both</strong></em></p>"},
	{"intraword underscore", "snake_case_name and a*b*c", "<p>snake_case_name and a<em>b</em>c</p>"},
	{"unmatched emphasis", "**open and * alone", "<p>**open and * alone</p>"},
	{"nested emphasis", "*a **b** c*", "<p><em>a <strong>b</strong> c</em></p>"},
	{"code span", "use `a < b` and `` x ` y ``", "<p>use <code>a &lt; b</code> and <code>x ` y</code></p>"},
	{"code span beats emphasis", "*a `*` b*", "<p><em>a <code>*</code> b</em></p>"},
	{"unclosed code span", "``a`", "<p>``a`</p>"},
	{"escapes", `\*not em\* \[not link\] \\`, `<p>*not em* [not link] \</p>`},
	{"fenced code", "```go\nfunc x() {}\n\n<b>\n```\nafter", `<pre><code class="language-go">func x() {}` + "\n\n" + `&lt;b&gt;</code></pre><p>after</p>`},
	{"fence language checked", "~~~ C++ extra\nx\n~~~\n```\"x\n`y\n```", `<pre><code class="language-c++">x</code></pre><pre><code>` + "`y</code></pre>"},
	{"fence of four closes only with four", "````\n```\n````", "<pre><code>```</code></pre>"},
	{"unclosed fence", "```\na\n\nb", "<pre><code>a\n\nb</code></pre>"},
	{"indented code", "    code\n      more\n\ntext", "<pre><code>code\n  more</code></pre><p>text</p>"},
	{"bullet list", "- a\n- b\n* c", "<ul><li>a</li><li>b</li></ul><ul><li>c</li></ul>"},
	{"ordered list", "3. three\n4. four", `<ol start="3"><li>three</li><li>four</li></ol>`},
	{"nested list", "1. a\n   - b\n     - c\n2. d", "<ol><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li><li>d</li></ol>"},
	{"loose list", "- a\n\n- b", "<ul><li><p>a</p></li><li><p>b</p></li></ul>"},
	{"list item paragraphs", "- a\n\n  b", "<ul><li><p>a</p><p>b</p></li></ul>"},
	{"lazy continuation", "- a\nb", "<ul><li>a\nb</li></ul>"},
	{"list interrupts paragraph", "text\n- a", "<p>text</p><ul><li>a</li></ul>"},
	{"number interrupts only as 1", "text\n2. no", "<p>text\n2. no</p>"},
	{"blockquote", "> quote\n> **b**\n\n> > nested", "<blockquote><p>quote\n<strong>b</strong></p></blockquote><blockquote><blockquote><p>nested</p></blockquote></blockquote>"},
	{"blockquote lazy line", "> a\nb", "<blockquote><p>a\nb</p></blockquote>"},
	{"blockquote with list and code", "> - x\n> ```\n> y\n> ```", "<blockquote><ul><li>x</li></ul><pre><code>y</code></pre></blockquote>"},
	{"thematic breaks", "***\n- - -\n___", "<hr><hr><hr>"},
	{"link", "[site](https://example.com/a?b=c \"Title\")", `<p><a href="https://example.com/a?b=c" ` + rel + ` title="Title">site</a></p>`},
	{"link with parens", "[x](https://e.com/a_(b))", `<p><a href="https://e.com/a_(b)" ` + rel + `>x</a></p>`},
	{"mailto link", "[me](mailto:me@example.com)", `<p><a href="mailto:me@example.com" ` + rel + `>me</a></p>`},
	{"relative link is text", "[file](src/main.go)", "<p>[file](src/main.go)</p>"},
	{"emphasis in link", "[*a*](http://x.test/)", `<p><a href="http://x.test/" ` + rel + `><em>a</em></a></p>`},
	{"reference links", "[one][r] [R][] [r]\n\n[r]: https://r.test/ 'T'", `<p><a href="https://r.test/" ` + rel + ` title="T">one</a> <a href="https://r.test/" ` + rel + ` title="T">R</a> <a href="https://r.test/" ` + rel + ` title="T">r</a></p>`},
	{"undefined reference", "[x][nope]", "<p>[x][nope]</p>"},
	{"autolinks", "<https://a.test/x> <me@mail.test>", `<p><a href="https://a.test/x" ` + rel + `>https://a.test/x</a> <a href="mailto:me@mail.test" ` + rel + `>me@mail.test</a></p>`},
	{"bare url", "see https://b.test/p?q=1. and (http://c.test/)", `<p>see <a href="https://b.test/p?q=1" ` + rel + `>https://b.test/p?q=1</a>. and (<a href="http://c.test/" ` + rel + `>http://c.test/</a>)</p>`},
	{"image as link", "![alt text](https://i.test/a.png) ![](https://i.test/b.png)", `<p><a href="https://i.test/a.png" ` + rel + ` class="md-image">alt text</a> <a href="https://i.test/b.png" ` + rel + ` class="md-image">https://i.test/b.png</a></p>`},
	{"image inside link", "[![badge](https://i.test/b.svg)](https://ci.test/)", `<p><a href="https://ci.test/" ` + rel + `>badge</a></p>`},
	{"no link inside link", "[a [b](https://b.test/) c](https://a.test/)", `<p>[a <a href="https://b.test/" ` + rel + `>b</a> c](<a href="https://a.test/" ` + rel + `>https://a.test/</a>)</p>`},
	{"hard breaks", "a  \nb\\\nc", "<p>a<br>b<br>c</p>"},
	{"raw html is text", "<b>x</b> &amp; <div>", "<p>&lt;b&gt;x&lt;/b&gt; &amp;amp; &lt;div&gt;</p>"},
	{"table", "| a | b | c |\n|:--|:-:|--:|\n| 1 | **2** | `|` |\n| 4 |", `<table><thead><tr><th style="text-align: left;">a</th><th style="text-align: center;">b</th><th style="text-align: right;">c</th></tr></thead>` +
		`<tbody><tr><td style="text-align: left;">1</td><td style="text-align: center;"><strong>2</strong></td><td style="text-align: right;">` + "`" + `</td></tr><tr><td style="text-align: left;">4</td><td style="text-align: center;"></td><td style="text-align: right;"></td></tr></tbody></table>`},
	{"table without body", "a | b\n--|--", "<table><thead><tr><th>a</th><th>b</th></tr></thead></table>"},
	{"table escaped pipe", "| a |\n|---|\n| x \\| y |", "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>x | y</td></tr></tbody></table>"},
	{"not a table", "a | b\n--|--|--", "<p>a | b\n--|--|--</p>"},
	{"crlf", "a\r\nb\r\n\r\n# h", "<p>a\nb</p><h1>h</h1>"},
	{"tab indentation", "-\tone\n\n\tmore\n\n\t\tcode\n>\tquote", "<ul><li><p>one</p><p>more</p><pre><code>code</code></pre></li></ul><blockquote><p>quote</p></blockquote>"},
}

// TestRenderMarkdown checks the HTML renderMarkdown builds for each of
// mdCases, in Chromium.
func TestRenderMarkdown(t *testing.T) {
	t.Parallel()
	tab := openViewsPage(t, newBrowser(t), viewsPage(t, true))
	inputs := make([]string, len(mdCases))
	for i, c := range mdCases {
		inputs[i] = c.md
	}
	got := evalPage[[]string](t, tab, "window.mdHTML("+jsArg(t, inputs)+")")
	if len(got) != len(mdCases) {
		t.Fatalf("got %d answers for %d inputs", len(got), len(mdCases))
	}
	for i, c := range mdCases {
		if diff := cmp.Diff(c.html, got[i]); diff != "" {
			t.Errorf("%s: renderMarkdown(%q) (-want +got):\n%s", c.name, c.md, diff)
		}
	}
}
