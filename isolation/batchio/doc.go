// Package batchio coalesces many small writes into few large ones. A
// protocol stack that flushes every packet (x/crypto/ssh does, and so does
// pkg/sftp for each reply) costs one syscall per ~32 KiB; a Writer hands
// the bytes to a flusher goroutine that writes whatever has gathered while
// its previous write was in flight. Nothing waits for a timer: an idle
// stream flushes at once, a busy one batches by itself.
//
// It may import only the standard library.
package batchio
