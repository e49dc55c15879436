package batchio

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

// recordingConn is a net.Conn that records each Write as one call.
type recordingConn struct {
	net.Conn
	writes [][]byte
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func TestRecordConn(t *testing.T) {
	tests := []struct {
		name  string
		steps string // w=write a record, h=hold, r=release
		want  []string
	}{
		{"writes through when not held", "ww", []string{"1", "2"}},
		{"held records leave in one write", "hwwwr", []string{"123"}},
		{"release without writes writes nothing", "hr", nil},
		{"release twice is harmless", "hwrr", []string{"1"}},
		{"through, held, through", "whwwrw", []string{"1", "23", "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			under := &recordingConn{}
			b := &RecordConn{Conn: under, bufs: newRecordBuffers()}
			n := 0
			for _, step := range tt.steps {
				switch step {
				case 'w':
					n++
					if _, err := b.Write([]byte{byte('0' + n)}); err != nil {
						t.Fatal(err)
					}
				case 'h':
					b.Hold()
				case 'r':
					if err := b.Release(); err != nil {
						t.Fatal(err)
					}
				}
			}
			var got []string
			for _, w := range under.writes {
				got = append(got, string(w))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("writes %q, want %q", got, tt.want)
			}
		})
	}
}
