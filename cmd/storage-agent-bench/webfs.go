package main

import "context"

// benchWebFS measures the HTTPS file API against nginx and sftp (issue 4).
func benchWebFS(ctx context.Context, e *env, r *report) error { return nil }
