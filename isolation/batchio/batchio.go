package batchio

import (
	"io"
	"sync"
)

// Writer is an io.WriteCloser that batches writes to an underlying writer.
// Write copies p and returns before the bytes reach the underlying writer;
// an error of the underlying writer is returned by a later Write or Close.
// It is safe for concurrent use.
type Writer struct {
	w   io.Writer
	max int // pending bytes beyond which Write blocks (back-pressure)

	mu       sync.Mutex
	cond     *sync.Cond
	pending  []byte // bytes not yet handed to the flusher
	spare    []byte // the flusher's previous batch, reused
	flushing bool   // the flusher goroutine is running
	closed   bool
	err      error
}

// NewWriter returns a Writer over w that holds at most max pending bytes.
func NewWriter(w io.Writer, max int) *Writer {
	b := &Writer{w: w, max: max}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// Write queues p for writing.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.err == nil && !b.closed && len(b.pending) > 0 && len(b.pending)+len(p) > b.max {
		b.cond.Wait()
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.closed {
		return 0, io.ErrClosedPipe
	}
	b.pending = append(b.pending, p...)
	if !b.flushing {
		b.flushing = true
		go b.flush()
	}
	return len(p), nil
}

// flush writes batches until nothing is pending, then exits; Write starts
// it again. Running only while there is work keeps idle streams free.
func (b *Writer) flush() {
	b.mu.Lock()
	for len(b.pending) > 0 && b.err == nil {
		batch := b.pending
		b.pending = b.spare[:0]
		b.mu.Unlock()
		_, err := b.w.Write(batch)
		b.mu.Lock()
		b.spare = batch
		if err != nil {
			b.err = err
		}
		b.cond.Broadcast()
	}
	b.flushing = false
	b.cond.Broadcast()
	b.mu.Unlock()
}

// Flush waits until every queued byte has been written (or failed).
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.err == nil && (b.flushing || len(b.pending) > 0) {
		b.cond.Wait()
	}
	return b.err
}

// Close flushes and refuses further writes; it does not close the
// underlying writer.
func (b *Writer) Close() error {
	err := b.Flush()
	b.mu.Lock()
	b.closed = true
	b.cond.Broadcast()
	b.mu.Unlock()
	return err
}
