package batchio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// slowWriter records writes and can be made to stall or fail.
type slowWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	delay  time.Duration
	err    error
}

func (s *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	s.writes++
	return s.buf.Write(p)
}

func TestWritesArriveInOrderAndCoalesce(t *testing.T) {
	under := &slowWriter{delay: time.Millisecond}
	w := NewWriter(under, 1<<20)
	var want bytes.Buffer
	for i := 0; i < 2000; i++ {
		line := fmt.Sprintf("packet %04d\n", i)
		want.WriteString(line)
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(under.buf.Bytes(), want.Bytes()) {
		t.Fatal("bytes differ or are out of order")
	}
	if under.writes >= 2000/4 {
		t.Fatalf("%d underlying writes for 2000 small ones: nothing was coalesced", under.writes)
	}
}

func TestConcurrentWritersKeepEachWriteWhole(t *testing.T) {
	under := &slowWriter{}
	w := NewWriter(under, 4096)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				w.Write(bytes.Repeat([]byte{byte('a' + g)}, 100))
			}
		}(g)
	}
	wg.Wait()
	w.Flush()
	data := under.buf.Bytes()
	if len(data) != 8*500*100 {
		t.Fatalf("got %d bytes", len(data))
	}
	for i := 0; i < len(data); i += 100 {
		if !bytes.Equal(data[i:i+100], bytes.Repeat(data[i:i+1], 100)) {
			t.Fatalf("write at %d was interleaved", i)
		}
	}
}

func TestErrorsSurfaceOnLaterWrites(t *testing.T) {
	boom := errors.New("boom")
	under := &slowWriter{err: boom}
	w := NewWriter(under, 1024)
	w.Write([]byte("first")) // accepted, fails in the background
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Fatalf("Flush = %v, want boom", err)
	}
	if _, err := w.Write([]byte("second")); !errors.Is(err, boom) {
		t.Fatalf("Write after failure = %v, want boom", err)
	}
}

func TestBackPressureBoundsPendingBytes(t *testing.T) {
	under := &slowWriter{delay: 20 * time.Millisecond}
	w := NewWriter(under, 1000)
	start := time.Now()
	for i := 0; i < 10; i++ {
		w.Write(make([]byte, 900)) // each nearly fills the bound
	}
	w.Close()
	// Ten writes that cannot share a batch wait for the slow writer.
	if time.Since(start) < 100*time.Millisecond {
		t.Fatal("writes did not wait for the underlying writer")
	}
	if under.buf.Len() != 9000 {
		t.Fatalf("wrote %d bytes", under.buf.Len())
	}
}

func TestClosedWriterRefuses(t *testing.T) {
	w := NewWriter(io.Discard, 64)
	w.Close()
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write after close succeeded")
	}
}
