// api.js: the webfs (Filebrowser-compatible) API as the UI uses it. Every
// write carries X-Auth; GETs the browser makes itself (downloads, media)
// use the HttpOnly cookie instead.
import { encodePath } from './paths.js';
import { t } from './i18n.js';

/** ApiError is a failed request; message is readable and says what to do. */
export class ApiError extends Error {
  constructor(status, detail = '') {
    super(messageFor(status));
    this.status = status;
    this.detail = detail;
  }
}

/** messageFor turns an HTTP status (0 = network) into advice. */
export function messageFor(status) {
  if (status === 0) return t('err.network');
  const key = 'err.' + status;
  const msg = t(key);
  return msg === key ? t('err.generic', { status }) : msg;
}

/** Api holds the JWT and sends requests with it. */
export class Api {
  constructor(token = '') {
    this.token = token;
    this.onUnauthorized = () => {};
    this.onToken = () => {};
  }

  async request(method, url, { body, headers = {}, signal } = {}) {
    const h = { ...headers };
    if (this.token) h['X-Auth'] = this.token;
    let res;
    try {
      res = await fetch(url, { method, body, headers: h, signal, credentials: 'same-origin' });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, String(e));
    }
    if (res.status === 401 && this.token) this.onUnauthorized();
    if (!res.ok) throw new ApiError(res.status, await res.text().catch(() => ''));
    if (res.headers.get('X-Renew-Token') === 'true' && !url.endsWith('/api/renew')) this.renew();
    return res;
  }

  async renew() {
    const res = await this.request('POST', '/api/renew').catch(() => null);
    if (res) { this.token = await res.text(); this.onToken(this.token); }
  }

  async list(path) {
    const res = await this.request('GET', '/api/resources' + encodePath(path.endsWith('/') ? path : path + '/'));
    return res.json();
  }

  async info(path, checksum = '') {
    const q = checksum ? '?checksum=' + checksum : '';
    return (await this.request('GET', '/api/resources' + encodePath(path) + q)).json();
  }

  async readText(path) {
    return (await this.request('GET', '/api/resources' + encodePath(path), { headers: { 'X-Encoding': 'true' } })).text();
  }

  mkdir(path) {
    return this.request('POST', '/api/resources' + encodePath(path) + '/');
  }

  createFile(path, body = '') {
    return this.request('POST', '/api/resources' + encodePath(path), { body });
  }

  save(path, body) {
    return this.request('PUT', '/api/resources' + encodePath(path), { body });
  }

  /** patch copies or moves (action "copy" | "rename") src to dst. */
  patch(action, src, dst, { override = false, rename = false } = {}) {
    const q = `?action=${action}&destination=${encodeURIComponent(encodePath(dst))}&override=${override}&rename=${rename}`;
    return this.request('PATCH', '/api/resources' + encodePath(src) + q);
  }

  remove(path) {
    return this.request('DELETE', '/api/resources' + encodePath(path));
  }

  async usage(path) {
    return (await this.request('GET', '/api/usage' + encodePath(path))).json();
  }

  async session() {
    return (await this.request('GET', '/api/ui/session')).json();
  }

  logout() {
    return this.request('POST', '/api/ui/logout');
  }

  /** search streams NDJSON matches to onHit until done or signal aborts. */
  async search(dir, query, onHit, signal) {
    const res = await this.request('GET', '/api/search' + encodePath(dir.endsWith('/') ? dir : dir + '/') +
      '?query=' + encodeURIComponent(query), { signal });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) onHit(JSON.parse(line));
      }
    }
    if (buf.trim()) onHit(JSON.parse(buf));
  }
}

/** rawURL is the download (or inline) URL of a file, cookie-authenticated. */
export function rawURL(path, inline = false) {
  return '/api/raw' + encodePath(path) + (inline ? '?inline=true' : '');
}

/** previewURL is a small JPEG of an image, scaled by the server. */
export function previewURL(path, size = 'thumb') {
  return '/api/preview/' + size + encodePath(path);
}

/** archiveURL downloads names of dir as one streamed archive. */
export function archiveURL(dir, names, algo) {
  const files = names.map((n) => encodeURIComponent(n)).join(',');
  return '/api/raw' + encodePath(dir.endsWith('/') ? dir : dir + '/') + `?algo=${algo}` + (names.length ? '&files=' + encodeURIComponent(files) : '');
}
