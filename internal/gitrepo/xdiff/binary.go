package xdiff

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// WriteBinaryLiteral writes data as a "literal" hunk of a git binary patch:
// zlib-deflated, base85-encoded, 52 bytes per line.
func WriteBinaryLiteral(sb *strings.Builder, data []byte) {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(data)
	zw.Close()
	fmt.Fprintf(sb, "literal %d\n", len(data))
	buf := z.Bytes()
	for len(buf) > 0 {
		n := min(len(buf), 52)
		if n <= 26 {
			sb.WriteByte(byte('A' + n - 1))
		} else {
			sb.WriteByte(byte('a' + n - 27))
		}
		encode85(sb, buf[:n])
		sb.WriteByte('\n')
		buf = buf[n:]
	}
	sb.WriteByte('\n')
}

const base85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"

func encode85(sb *strings.Builder, data []byte) {
	for len(data) > 0 {
		var acc uint32
		for i := 0; i < 4; i++ {
			acc <<= 8
			if i < len(data) {
				acc |= uint32(data[i])
			}
		}
		var out [5]byte
		for i := 4; i >= 0; i-- {
			out[i] = base85[acc%85]
			acc /= 85
		}
		sb.Write(out[:])
		data = data[min(4, len(data)):]
	}
}
