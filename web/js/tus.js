// tus.js: one resumable upload over webfs's tus routes. The server's
// offset (HEAD) is the truth: after a cut connection, a pause or a page
// reload, sending goes on from there, never from zero.
import { encodePath } from './paths.js';
import { ApiError } from './api.js';

const CHUNK = 16 << 20;
// SMALL: files up to this size go in one POST (written aside and renamed
// into place by the server, so never half there): half the requests of
// tus, which matters when a dropped folder holds thousands of small files.
const SMALL = 1 << 20;
const RETRIES = 5;
// STALL: a request that sends nothing for this long is cut and retried
// (a dead connection may otherwise hang until the OS gives up).
const STALL = 30000;

/** recordKey names the resume record of an upload target. */
function recordKey(path) {
  return 'sa.up:' + path;
}

/** resumeRecords lists unfinished uploads remembered in this browser. */
export function resumeRecords() {
  const out = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k.startsWith('sa.up:')) out.push({ path: k.slice(6), ...JSON.parse(localStorage.getItem(k)) });
  }
  return out;
}

export class TusUpload {
  /** onProgress(sentBytes) is called as bytes are acknowledged or sent. */
  constructor(token, path, file, onProgress, onRetry = () => {}, onTrouble = () => {}) {
    this.token = token; // a function returning the current JWT
    this.path = path;
    this.url = '/api/tus' + encodePath(path);
    this.file = file;
    this.onProgress = onProgress;
    this.onRetry = onRetry; // (offset): a retry resumes from the server's offset
    this.onTrouble = onTrouble; // (error): a request failed; a retry will follow
    this.xhr = null;
    this.stopped = null; // 'pause' | 'cancel' while stopping
  }

  /** send makes one request with XHR (for upload progress). */
  send(method, headers = {}, body = null, progress = null) {
    return new Promise((resolve, reject) => {
      // A pause or cancel between two requests stops here: abort() on a
      // finished request would not.
      if (this.stopped) { reject(new DOMException('stopped', 'AbortError')); return; }
      const xhr = new XMLHttpRequest();
      this.xhr = xhr;
      xhr.open(method, this.url);
      xhr.setRequestHeader('X-Auth', this.token());
      xhr.setRequestHeader('Tus-Resumable', '1.0.0');
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      let stalled = false;
      let watchdog = 0;
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => { stalled = true; xhr.abort(); }, STALL);
      };
      if (progress) xhr.upload.onprogress = (e) => { arm(); progress(e.loaded); };
      xhr.onloadend = () => clearTimeout(watchdog);
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(new ApiError(0));
      xhr.onabort = () => reject(stalled ? new ApiError(0) : new DOMException('stopped', 'AbortError'));
      arm();
      xhr.send(body);
    });
  }

  /** offset asks the server how much it has; -1 if it knows no upload. */
  async offset() {
    const x = await this.send('HEAD');
    if (x.status === 404) return -1;
    if (x.status !== 200) throw new ApiError(x.status);
    if (Number(x.getResponseHeader('Upload-Length')) !== this.file.size) return -1;
    return Number(x.getResponseHeader('Upload-Offset'));
  }

  /** create starts the upload on the server; 409 means the name exists. */
  async create() {
    const x = await this.send('POST', { 'Upload-Length': String(this.file.size) }, null);
    if (x.status !== 201) throw new ApiError(x.status);
    localStorage.setItem(recordKey(this.path), JSON.stringify({ size: this.file.size, mtime: this.file.lastModified, name: this.file.name }));
    return 0;
  }

  /**
   * run uploads the file: resumes a remembered upload of the same file,
   * else creates one (override: replace an existing file). It retries
   * network failures and 5xx from the server's offset.
   */
  async run(override) {
    this.stopped = null;
    if (this.file.size <= SMALL) return this.sendWhole(override);
    let off = -1;
    const rec = JSON.parse(localStorage.getItem(recordKey(this.path)) || 'null');
    if (rec && rec.size === this.file.size && rec.mtime === this.file.lastModified) off = await this.offset();
    if (off < 0) {
      this.url = '/api/tus' + encodePath(this.path) + (override ? '?override=true' : '');
      try {
        off = await this.create();
      } finally {
        this.url = '/api/tus' + encodePath(this.path);
      }
    }
    this.onProgress(off);
    let failures = 0;
    while (off < this.file.size) {
      const end = Math.min(this.file.size, off + CHUNK);
      try {
        const x = await this.send('PATCH', { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(off) },
          this.file.slice(off, end), (n) => this.onProgress(off + n));
        if (x.status === 204) { off = Number(x.getResponseHeader('Upload-Offset')); failures = 0; this.onProgress(off); continue; }
        if (x.status === 409) {
          // Our offset and the server's disagree: take the server's, a
          // bounded number of times.
          if (++failures > RETRIES) throw new ApiError(409);
          await new Promise((r) => setTimeout(r, 250 * failures)); // a cut request may still be draining
          off = await this.offset();
          if (off < 0) throw new ApiError(404);
          continue;
        }
        if (x.status < 500 && x.status !== 429) throw new ApiError(x.status);
        throw Object.assign(new ApiError(x.status), { retry: true });
      } catch (e) {
        if (e.name === 'AbortError' || (e.status !== 0 && !e.retry) || ++failures > RETRIES) throw e;
        this.onTrouble(e);
        await new Promise((r) => setTimeout(r, Math.min(8000, 500 * 2 ** failures)));
        if (this.stopped) throw new DOMException('stopped', 'AbortError');
        off = await this.offset().catch(() => off);
        if (off < 0) throw new ApiError(404);
        this.onRetry(off);
      }
    }
    localStorage.removeItem(recordKey(this.path));
    return off;
  }

  /** sendWhole uploads a small file in one request. */
  async sendWhole(override) {
    const url = this.url;
    this.url = '/api/resources' + encodePath(this.path) + (override ? '?override=true' : '');
    try {
      const x = await this.send('POST', {}, this.file, (n) => this.onProgress(Math.min(n, this.file.size - 1)));
      if (x.status !== 200) throw new ApiError(x.status);
    } finally {
      this.url = url;
    }
    this.onProgress(this.file.size);
    return this.file.size;
  }

  /** pause stops after aborting the request in flight; run rejects. */
  pause() {
    this.stopped = 'pause';
    this.xhr?.abort();
  }

  /** cancel stops and drops the partial upload on the server. */
  async cancel() {
    this.stopped = 'cancel';
    this.xhr?.abort();
    localStorage.removeItem(recordKey(this.path));
    await fetch(this.url, { method: 'DELETE', headers: { 'X-Auth': this.token(), 'Tus-Resumable': '1.0.0' } }).catch(() => {});
  }
}
