// uploads.js: the upload queue and the transfer panel. Several files go
// at once (4 by default), each with its own row: progress, speed, state,
// and pause / resume / cancel / retry. Rows sit in a virtual list, so a
// drop of 10,000 files costs no more DOM than a drop of ten.
import { h } from './dom.js';
import { t } from './i18n.js';
import { VirtualList } from './vlist.js';
import { Lanes, TusUpload, resumeRecords } from './tus.js';
import { choose } from './dialog.js';
import { entriesOf, walk } from './scan.js';
import { formatSize, formatSpeed, formatDuration } from './format.js';
import { join, parent, base } from './paths.js';

const ROW = 44;
const ACTIVE = new Set(['queued', 'running']);

/** keepBothName is "a (k).txt" for "a.txt". */
export function keepBothName(name, k) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (${k})${name.slice(dot)}` : `${name} (${k})`;
}

export class Uploads {
  constructor(app) {
    this.app = app;
    this.items = [];
    this.limit = Number(localStorage.getItem('sa.parallel')) || 4;
    // As many connections as files in flight: one big file alone sends
    // its stripes over all of them.
    this.lanes = new Lanes(this.limit);
    this.running = 0;
    this.scanning = 0;
    this.next = 0; // no queued item sits before this index
    this.conflictChoice = null; // 'overwrite' | 'skip' | 'keepboth' for all
    this.madeDirs = new Map(); // folder path -> its mkdir, shared by the files inside
    this.totals = { at: performance.now(), bytes: 0, speed: 0 };
    this.summary = h('span', { class: 'up-summary', id: 'up-summary' });
    this.note = h('p', { class: 'up-note', hidden: true });
    this.list = h('div', { class: 'up-list', role: 'list' });
    this.el = h('section', { class: 'transfers', id: 'transfers', hidden: true, 'aria-label': t('up.title') },
      h('div', { class: 'up-head' }, h('h2', { text: t('up.title') }), this.summary,
        h('label', { class: 'up-parallel' }, t('up.parallel') + ' ',
          h('select', { id: 'up-parallel', onchange: (e) => this.setLimit(Number(e.target.value)) },
            [1, 2, 3, 4, 6, 8].map((n) => h('option', { value: String(n), text: String(n), selected: n === this.limit })))),
        h('button', { type: 'button', id: 'up-clear', text: t('up.clear'), onclick: () => this.clearFinished() }),
        h('button', { type: 'button', id: 'up-hide', text: t('up.hide'), onclick: () => this.el.classList.toggle('min') })),
      this.note, this.list);
    this.vl = new VirtualList(this.list, { create: () => this.createRow(), render: (el, i) => this.renderRow(el, i), itemHeight: ROW });
    this.list.addEventListener('click', (e) => this.rowAction(e));
    addEventListener('beforeunload', (e) => {
      if (this.items.some((it) => ACTIVE.has(it.state))) { e.preventDefault(); e.returnValue = t('up.leave'); }
    });
    const old = resumeRecords();
    if (old.length) {
      this.note.hidden = false;
      this.note.textContent = t('up.incomplete') + ' ' + old.map((r) => r.path).join(', ');
      this.el.hidden = false;
    }
    setInterval(() => this.tick(), 250);
  }

  /** addFiles queues [{file, rel}] below the folder dir. */
  addFiles(dir, files) {
    for (const f of files) this.enqueue(dir, f.file, f.rel);
  }

  /** addDataTransfer queues a drop: files and whole folders, read lazily. */
  async addDataTransfer(dir, dt) {
    const entries = entriesOf(dt);
    if (!entries.length) return;
    this.scanning++;
    let n = 0;
    this.el.hidden = false;
    try {
      for await (const x of walk(entries)) {
        if (x.dir !== undefined) { this.ensureDirLater(join(dir, x.dir)); continue; }
        this.enqueue(dir, x.file, x.rel);
        if (++n % 100 === 0) { this.note.hidden = false; this.note.textContent = t('up.scanning', { n }); }
      }
    } finally {
      this.scanning--;
      if (!this.scanning) this.note.hidden = true;
      this.app.reload();
    }
  }

  /** ensureDirLater makes empty dropped folders exist too. */
  ensureDirLater(path) {
    this.ensureDir(path).catch(() => {});
  }

  ensureDir(path) {
    if (path === '/') return Promise.resolve();
    let p = this.madeDirs.get(path);
    if (!p) {
      p = this.app.api.mkdir(path).catch((e) => { this.madeDirs.delete(path); throw e; });
      this.madeDirs.set(path, p);
    }
    return p;
  }

  enqueue(dir, file, rel) {
    const it = { retries: 0, retryFrom: -1, file, path: join(dir, rel), name: rel, size: file.size, sent: 0, state: 'queued',
      error: '', speed: 0, last: { at: 0, sent: 0 }, tus: null, resumedFrom: -1 };
    this.items.push(it);
    this.el.hidden = false;
    this.vl.count = this.items.length;
    this.vl.schedule();
    this.pump();
  }

  pump() {
    while (this.running < this.limit) {
      while (this.next < this.items.length && this.items[this.next].state !== 'queued') this.next++;
      const it = this.items[this.next];
      if (!it) break;
      this.running++;
      it.state = 'running';
      this.send(it).finally(() => { this.running--; this.pump(); this.vl.schedule(); this.maybeReload(); });
    }
  }

  maybeReload() {
    if (!this.items.some((x) => ACTIVE.has(x.state))) this.app.reload();
  }

  async send(it, override = false) {
    it.error = '';
    it.resumedFrom = -1; // set by the first progress report: the server's offset
    it.last = { at: performance.now(), sent: it.sent };
    try {
      if (parent(it.path) !== this.app.listing.path || it.name.includes('/')) await this.ensureDir(parent(it.path));
      it.tus = new TusUpload(() => this.app.api.token, it.path, it.file,
        (n) => { it.sent = n; if (it.resumedFrom < 0) it.resumedFrom = n; },
        (off) => { it.retries++; it.retryFrom = off; it.sent = off; it.error = ''; },
        (e) => { it.error = e.message; }, this.lanes);
      await it.tus.run(override);
      it.sent = it.size;
      it.state = 'done';
      // Marks (for tests and curious users) that files finished while a
      // drop was still being read: the scan never holds uploads back.
      if (this.scanning) this.el.dataset.doneWhileScanning = '1';
    } catch (e) {
      if (e.name === 'AbortError') { it.state = it.tus?.stopped === 'cancel' ? 'canceled' : 'paused'; return; }
      if (e.status === 409 && !override) return this.conflict(it);
      it.state = 'failed';
      it.error = e.message;
    }
  }

  /** conflict asks what to do about an existing name (or applies "all"). */
  async conflict(it) {
    let choice = this.conflictChoice;
    if (!choice) {
      const r = await choose(t('up.exists', { name: it.name }),
        [{ label: t('up.overwrite'), value: 'overwrite' }, { label: t('up.skip'), value: 'skip' }, { label: t('up.keepboth'), value: 'keepboth' }],
        t('up.applyall'));
      choice = r.value || 'skip';
      if (r.all) this.conflictChoice = choice;
    }
    if (choice === 'skip') { it.state = 'skipped'; return; }
    if (choice === 'overwrite') return this.send(it, true);
    const names = new Set(this.app.listing.all.map((e) => e.name));
    let k = 1;
    while (names.has(keepBothName(base(it.path), k))) k++;
    it.path = join(parent(it.path), keepBothName(base(it.path), k));
    it.name = keepBothName(it.name, k);
    return this.send(it, false);
  }

  rowAction(e) {
    const b = e.target.closest('button[data-act]');
    const i = this.vl.indexOf(e.target);
    if (!b || i < 0) return;
    const it = this.items[i];
    const act = b.dataset.act;
    if (act === 'pause' && it.state === 'running') it.tus?.pause();
    else if (act === 'pause' && it.state === 'queued') it.state = 'paused';
    else if ((act === 'resume' || act === 'retry') && !ACTIVE.has(it.state)) this.requeue(i);
    else if (act === 'cancel' && it.state === 'running') it.tus?.cancel();
    else if (act === 'cancel' && it.state !== 'done') {
      if (it.tus) it.tus.cancel();
      it.state = 'canceled';
    }
    this.vl.draw();
  }

  /** setLimit changes how many files go up at once (remembered). */
  setLimit(n) {
    this.limit = n;
    this.lanes.resize(n);
    localStorage.setItem('sa.parallel', String(n));
    this.pump();
  }

  requeue(i) {
    this.items[i].state = 'queued';
    this.next = Math.min(this.next, i);
    this.pump();
  }

  createRow() {
    return h('div', { class: 'up-row', role: 'listitem' },
      h('span', { class: 'up-name' }), h('progress', { max: 100, value: 0 }),
      h('span', { class: 'up-info' }),
      h('span', { class: 'up-btns' },
        h('button', { type: 'button', class: 'up-pause', dataset: { act: 'pause' }, text: t('up.pause') }),
        h('button', { type: 'button', class: 'up-resume', dataset: { act: 'resume' }, text: t('up.resume') }),
        h('button', { type: 'button', class: 'up-retry', dataset: { act: 'retry' }, text: t('up.retry') }),
        h('button', { type: 'button', class: 'up-cancel', dataset: { act: 'cancel' }, text: t('up.cancel') })));
  }

  renderRow(el, i) {
    const it = this.items[i];
    const [name, bar, info, btns] = el.children;
    name.textContent = it.name;
    name.title = it.error || it.name;
    // A failed file never shows 100 %: its bar is what the server took.
    const pct = it.size ? Math.floor((100 * it.sent) / it.size) : (it.state === 'done' ? 100 : 0);
    bar.value = it.state === 'done' ? 100 : Math.min(pct, 99);
    let text = `${it.state === 'done' ? 100 : Math.min(pct, 99)}% · ${t('up.state.' + it.state)}`;
    if (it.state === 'running') text += ' · ' + formatSpeed(it.speed);
    if (it.error) text += ' · ' + it.error;
    info.textContent = text;
    el.dataset.state = it.state;
    el.dataset.name = it.name;
    el.dataset.resumedFrom = String(it.resumedFrom);
    el.dataset.retryFrom = String(it.retryFrom);
    const [pause, resume, retry, cancel] = btns.children;
    pause.hidden = !ACTIVE.has(it.state);
    resume.hidden = it.state !== 'paused';
    retry.hidden = !['failed', 'canceled'].includes(it.state);
    cancel.hidden = !(ACTIVE.has(it.state) || it.state === 'paused');
  }

  /** tick updates speeds and the summary at most 4 times a second. */
  tick() {
    if (this.el.hidden) return;
    const now = performance.now();
    let sent = 0;
    let size = 0;
    let done = 0;
    let speed = 0;
    for (const it of this.items) {
      if (it.state === 'running') {
        const dt = (now - it.last.at) / 1000;
        if (dt >= 0.5) { it.speed = Math.max(0, (it.sent - it.last.sent) / dt); it.last = { at: now, sent: it.sent }; }
        speed += it.speed;
      }
      if (ACTIVE.has(it.state) || it.state === 'paused') { sent += it.sent; size += it.size; }
      if (it.state === 'done') done++;
    }
    const n = this.items.length;
    // The list is as tall as its rows, up to a limit (it scrolls past it).
    this.list.style.height = Math.min(this.maxListHeight(), Math.max(1, n) * ROW) + 'px';
    this.summary.textContent = this.running
      ? t('up.total', { done, n, speed: formatSpeed(speed), eta: formatDuration(speed ? (size - sent) / speed : Infinity) })
      : t('up.totalidle', { done, n });
    this.vl.draw();
  }

  maxListHeight() {
    return innerWidth < 640 ? 3 * ROW : 5 * ROW;
  }

  clearFinished() {
    this.items = this.items.filter((it) => ACTIVE.has(it.state) || it.state === 'paused' || it.state === 'failed');
    this.next = 0;
    this.vl.setCount(this.items.length);
    this.tick();
  }

  stopAll() {
    for (const it of this.items) if (it.state === 'running') it.tus?.pause();
  }
}
