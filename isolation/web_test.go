package isolation

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// recordReader hands out its data 16 KiB at a time, as an HTTPS body does
// (one TLS record per read), and then fails with end.
type recordReader struct {
	data []byte
	end  error
}

func (r *recordReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.end
	}
	n := copy(p[:min(len(p), 16<<10)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// sizeWriter records the size of every write.
type sizeWriter struct {
	bytes.Buffer
	sizes []int
}

func (w *sizeWriter) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

func TestCopyCoalescedGathersRecords(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		end  error
		want error
	}{
		{"empty", 0, io.EOF, nil},
		{"one record", 100, io.EOF, nil},
		{"just under the minimum", coalesceMin - 1, io.EOF, nil},
		{"several megabytes", 5<<20 + 12345, io.EOF, nil},
		{"cut connection", 700 << 10, io.ErrUnexpectedEOF, nil},
		{"read error after data", 300 << 10, errors.New("reset"), errors.New("reset")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16+1)[:tc.size]
			var w sizeWriter
			err := copyCoalesced(&w, &recordReader{data: data, end: tc.end})
			if (err == nil) != (tc.want == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !bytes.Equal(w.Bytes(), data) {
				t.Fatalf("relayed %d bytes, want the %d read (every byte read is passed on)", w.Len(), len(data))
			}
			for i, n := range w.sizes {
				if n < coalesceMin && i != len(w.sizes)-1 {
					t.Fatalf("write %d of %d bytes before the last: %v", i, n, w.sizes)
				}
			}
		})
	}
}
