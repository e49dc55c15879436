// auth.js: getting, keeping and ending the UI's JWT.
//
// After the login link, the browser holds only the HttpOnly auth cookie.
// The UI trades it for a JWT at POST /api/ui/token (same-origin only: the
// server checks Sec-Fetch-Site and a custom header; see webfs/webui.go).
// After a login by form, it asks the server to set that cookie, so plain
// GETs (downloads, media) authenticate too. The JWT lives in
// sessionStorage: this tab only, gone when the tab closes.

const KEY = 'sa.jwt';

/** storedToken is the tab's JWT, if any. */
export function storedToken() {
  return sessionStorage.getItem(KEY) || '';
}

/** keepToken remembers the JWT for reloads of this tab. */
export function keepToken(tok) {
  if (tok) sessionStorage.setItem(KEY, tok);
  else sessionStorage.removeItem(KEY);
}

/** exchangeCookie trades the login link's cookie for a JWT ('' if none). */
export async function exchangeCookie() {
  const res = await fetch('/api/ui/token', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'X-Requested-With': 'storage-agent-ui' },
  }).catch(() => null);
  return res && res.ok ? res.text() : '';
}

/** login checks a session id and token; returns a JWT or throws the status. */
export async function login(session, token) {
  const res = await fetch('/api/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: session, password: token }),
  });
  if (!res.ok) throw res.status;
  const jwt = await res.text();
  await fetch('/api/ui/cookie', { method: 'POST', headers: { 'X-Auth': jwt } });
  return jwt;
}

/** claims decodes a JWT's payload (no check: the server checks). */
export function claims(jwt) {
  try {
    const b = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}
