package main

import "context"

// benchSCPRsync measures scp -O and rsync against OpenSSH (issue 3).
func benchSCPRsync(ctx context.Context, e *env, r *report) error { return nil }
