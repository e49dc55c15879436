// Package proxy is the storage node's manager-facing API: it opens and
// closes direct-access sessions (admission through a slot counter, one
// sandboxed worker per session, tokens bound to the agent and the session)
// and manages vfolders on vfs volumes using Backend.AI's on-disk layout.
//
// The SSH and web servers find sessions through Service.Lookup and
// Service.RedeemLoginToken and talk to a session's worker only through the
// *Session methods; they never see host paths.
//
// Lock order: Service.mu before admission.mu; a Session's mu is never held
// while calling into the Service, and Service.mu is never held while calling
// into a Session.
package proxy
