// tus.js: one resumable upload over webfs's tus routes. The server's
// offset (HEAD) is the truth: after a cut connection, a pause or a page
// reload, sending goes on from there, never from zero.
import { encodePath } from './paths.js';
import { ApiError } from './api.js';

const CHUNK = 16 << 20;
// MAX_STRIPES: parts of one file sent side by side (see stripesFor).
const MAX_STRIPES = 4;
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

/**
 * Lanes shares a number of connections among the uploads of a page: a
 * PATCH holds a lane while it sends, first come first served. Chromium
 * keeps at most 6 HTTP/1.1 connections to a host, and a request queued
 * behind them would look stalled to its watchdog.
 */
export class Lanes {
  constructor(n) {
    this.n = n;
    this.busy = 0;
    this.queue = [];
  }

  resize(n) {
    this.n = n;
    this.pump();
  }

  acquire() {
    return new Promise((resolve) => { this.queue.push(resolve); this.pump(); });
  }

  release() {
    this.busy--;
    this.pump();
  }

  pump() {
    while (this.busy < this.n && this.queue.length) {
      this.busy++;
      this.queue.shift()();
    }
  }
}

/**
 * stripesFor is how many parts of a file go side by side. One browser
 * connection is bound by the browser's own request pipeline (it hands the
 * body to the network 16 KiB at a time), far below what the server takes;
 * four connections on one file are not.
 */
export function stripesFor(size) {
  return Math.max(1, Math.min(MAX_STRIPES, Math.floor(size / CHUNK)));
}

/** stripeBounds is [start, end) of each stripe, as the server cuts them. */
export function stripeBounds(size, n) {
  const s = Math.ceil(size / n);
  return Array.from({ length: n }, (_, k) => [k * s, Math.min(size, (k + 1) * s)]);
}

export class TusUpload {
  /** onProgress(sentBytes) is called as bytes are acknowledged or sent. */
  constructor(token, path, file, onProgress, onRetry = () => {}, onTrouble = () => {}, lanes = new Lanes(1)) {
    this.token = token; // a function returning the current JWT
    this.path = path;
    this.url = '/api/tus' + encodePath(path);
    this.file = file;
    this.onProgress = onProgress;
    this.onRetry = onRetry; // (sent): a retry resumes from the server's offsets
    this.onTrouble = onTrouble; // (error): a request failed; a retry will follow
    this.lanes = lanes;
    this.xhrs = new Set();
    this.stopped = null; // 'pause' | 'cancel' | 'fail' while stopping
  }

  /** send makes one request with XHR (for upload progress). */
  send(method, headers = {}, body = null, progress = null) {
    return new Promise((resolve, reject) => {
      // A pause or cancel between two requests stops here: abort() on a
      // finished request would not.
      if (this.stopped) { reject(new DOMException('stopped', 'AbortError')); return; }
      const xhr = new XMLHttpRequest();
      this.xhrs.add(xhr);
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
      xhr.onloadend = () => { clearTimeout(watchdog); this.xhrs.delete(xhr); };
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(new ApiError(0));
      xhr.onabort = () => reject(stalled ? new ApiError(0) : new DOMException('stopped', 'AbortError'));
      arm();
      xhr.send(body);
    });
  }

  /**
   * offsets asks the server how far each stripe has come (one stripe:
   * the plain tus offset); null if it knows no upload of this file.
   */
  async offsets() {
    const x = await this.send('HEAD');
    if (x.status === 404) return null;
    if (x.status !== 200) throw new ApiError(x.status);
    if (Number(x.getResponseHeader('Upload-Length')) !== this.file.size) return null;
    const stripes = x.getResponseHeader('Upload-Stripe-Offsets');
    if (!stripes) return [Number(x.getResponseHeader('Upload-Offset'))];
    return stripes.split(',').map(Number);
  }

  /** create starts the upload on the server; 409 means the name exists. */
  async create(n) {
    const headers = { 'Upload-Length': String(this.file.size) };
    if (n > 1) headers['Upload-Stripes'] = String(n);
    const x = await this.send('POST', headers, null);
    if (x.status !== 201) throw new ApiError(x.status);
    localStorage.setItem(recordKey(this.path), JSON.stringify({ size: this.file.size, mtime: this.file.lastModified, name: this.file.name }));
    return stripeBounds(this.file.size, n).map(([start]) => start);
  }

  /** report tells onProgress the bytes acknowledged plus those in flight. */
  report() {
    let n = 0;
    this.bounds.forEach(([start], k) => { n += this.offs[k] - start + this.inflight[k]; });
    this.onProgress(n);
    return n;
  }

  /**
   * run uploads the file: resumes a remembered upload of the same file,
   * else creates one (override: replace an existing file), in stripes
   * sent side by side if it is big. It retries network failures and 5xx
   * from the server's offsets.
   */
  async run(override) {
    this.stopped = null;
    this.failure = null;
    if (this.file.size <= SMALL) return this.sendWhole(override);
    let offs = null;
    const rec = JSON.parse(localStorage.getItem(recordKey(this.path)) || 'null');
    if (rec && rec.size === this.file.size && rec.mtime === this.file.lastModified) offs = await this.offsets();
    if (!offs) {
      this.url = '/api/tus' + encodePath(this.path) + (override ? '?override=true' : '');
      try {
        offs = await this.create(stripesFor(this.file.size));
      } finally {
        this.url = '/api/tus' + encodePath(this.path);
      }
    }
    this.offs = offs;
    this.bounds = stripeBounds(this.file.size, offs.length);
    this.inflight = offs.map(() => 0);
    this.report();
    // Every stripe runs to its end or its failure before run settles, so
    // no stray request outlives a pause or a failed upload.
    const done = await Promise.allSettled(offs.map((_, k) => this.sendStripe(k)));
    const bad = done.find((d) => d.status === 'rejected');
    if (bad) throw this.failure || bad.reason;
    localStorage.removeItem(recordKey(this.path));
    return this.file.size;
  }

  /** fail stops the other stripes after stripe's error e. */
  fail(e) {
    if (!this.failure && e.name !== 'AbortError') this.failure = e;
    if (!this.stopped) this.stopped = 'fail';
    for (const x of this.xhrs) x.abort();
    throw e;
  }

  /** sendStripe sends stripe k from the server's offset to its end. */
  async sendStripe(k) {
    const end = this.bounds[k][1];
    let failures = 0;
    while (this.offs[k] < end) {
      const off = this.offs[k];
      const stop = Math.min(end, off + CHUNK);
      await this.lanes.acquire();
      let x;
      try {
        x = await this.send('PATCH', { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(off) },
          this.file.slice(off, stop), (n) => { this.inflight[k] = n; this.report(); });
      } catch (e) {
        this.lanes.release();
        this.inflight[k] = 0;
        // Only a network failure (status 0) is worth another try.
        if (e.name === 'AbortError' || e.status !== 0 || ++failures > RETRIES) this.fail(e);
        await this.recover(k, e, failures);
        continue;
      }
      this.lanes.release();
      this.inflight[k] = 0;
      if (x.status === 204) { this.offs[k] = Number(x.getResponseHeader('Upload-Offset')); failures = 0; this.report(); continue; }
      if (x.status === 409) {
        // Our offset and the server's disagree: take the server's, a
        // bounded number of times.
        if (++failures > RETRIES) this.fail(new ApiError(409));
        await new Promise((r) => setTimeout(r, 250 * failures)); // a cut request may still be draining
        await this.resync(k);
        continue;
      }
      if (x.status < 500 && x.status !== 429) this.fail(new ApiError(x.status));
      if (++failures > RETRIES) this.fail(new ApiError(x.status));
      await this.recover(k, new ApiError(x.status), failures);
    }
  }

  /** recover waits after a failed request, then asks for the offsets. */
  async recover(k, e, failures) {
    this.onTrouble(e);
    await new Promise((r) => setTimeout(r, Math.min(8000, 500 * 2 ** failures)));
    if (this.stopped) this.fail(new DOMException('stopped', 'AbortError'));
    await this.resync(k);
    this.onRetry(this.report());
  }

  /**
   * resync takes the server's offset of stripe k. While the network is
   * still down it keeps ours: the next PATCH will tell.
   */
  async resync(k) {
    let offs;
    try {
      offs = await this.offsets();
    } catch (e) {
      if (e.status === 0) return;
      this.fail(e);
    }
    if (!offs || offs.length !== this.offs.length) this.fail(new ApiError(404));
    this.offs[k] = offs[k];
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

  /** pause stops after aborting the requests in flight; run rejects. */
  pause() {
    this.stopped = 'pause';
    for (const x of this.xhrs) x.abort();
  }

  /** cancel stops and drops the partial upload on the server. */
  async cancel() {
    this.stopped = 'cancel';
    for (const x of this.xhrs) x.abort();
    localStorage.removeItem(recordKey(this.path));
    await fetch(this.url, { method: 'DELETE', headers: { 'X-Auth': this.token(), 'Tus-Resumable': '1.0.0' } }).catch(() => {});
  }
}
