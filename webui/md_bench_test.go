package webui_test

import (
	"fmt"
	"strings"
	"testing"
)

// mdShapes are inputs built to make a markdown parser slow (nested
// openers that never close, long runs of one delimiter), next to an
// ordinary agent reply, each repeated to about n bytes.
var mdShapes = []struct {
	name string
	unit func(i int) string
}{
	{"agent reply", func(int) string {
		return "## Plan\n\nI changed `main.go` so that **every** request is *checked*; see [the docs](https://example.com/docs).\n\n- first\n- second\n  1. nested\n\n```go\nfunc main() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
	}},
	{"emphasis openers", func(int) string { return "*a _b " }},
	{"link openers", func(int) string { return "[a](" }},
	{"brackets", func(int) string { return "[" }},
	{"image openers", func(int) string { return "![" }},
	{"backtick runs", func(i int) string { return strings.Repeat("`", i%50+1) + " " }},
	{"angle brackets", func(int) string { return "<a:" }},
	{"unclosed titles", func(int) string { return "[a](b \"" }},
	{"nested quotes", func(int) string { return ">" }},
	{"nested lists", func(int) string { return "- " }},
	{"table columns", func(int) string { return "|a" }},
	{"url closing parens", func(i int) string {
		if i == 0 {
			return "https://a.test/"
		}
		return ")"
	}},
	{"reference links", func(i int) string {
		if i == 0 {
			return "[r]: https://r.test/\n\n"
		}
		return "[r]"
	}},
	{"link definitions", func(i int) string { return fmt.Sprintf("[l%d]: https://x.test/%d\n", i, i) }},
}

// BenchmarkRenderMarkdown times renderMarkdown in Chromium on each of
// mdShapes at 25 KB and 100 KB: a linear renderer takes about four times
// as long for four times the input ("ms/render" and "ns/byte").
func BenchmarkRenderMarkdown(b *testing.B) {
	tab := openViewsPage(b, newBrowser(b), viewsPage(b, true))
	for _, s := range mdShapes {
		for _, n := range []int{25_000, 100_000} {
			var sb strings.Builder
			for i := 0; sb.Len() < n; i++ {
				sb.WriteString(s.unit(i))
			}
			text := sb.String()
			b.Run(fmt.Sprintf("%s/%dKB", s.name, n/1000), func(b *testing.B) {
				ms := evalPage[float64](b, tab, fmt.Sprintf("window.mdTime(%s, %d)", jsArg(b, text), b.N))
				b.ReportMetric(ms/float64(b.N), "ms/render")
				b.ReportMetric(ms*1e6/float64(b.N)/float64(len(text)), "ns/byte")
			})
		}
	}
}
