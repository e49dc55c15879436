// listing.js: one folder's entries in a virtual list or grid: sorting,
// filtering, selection by pointer, touch and keyboard, the context menu
// and drag-and-drop. What the actions do is up to the app (handlers).
import { h } from './dom.js';
import { t } from './i18n.js';
import { sortEntries } from './sort.js';
import { VirtualList } from './vlist.js';
import { Selection } from './selection.js';
import { formatSize, formatDate } from './format.js';
import { handleKey } from './keys.js';
import { previewURL } from './api.js';
import { join } from './paths.js';

const ROW = 36;
const CELL_H = 150;
const CELL_W = 140;

/** iconOf is the icon class of an entry (drawn by CSS from web/icons). */
function iconOf(e) {
  if (e.isDir) return 'k-dir';
  return { image: 'k-image', video: 'k-media', audio: 'k-media', text: 'k-text', textImmutable: 'k-text' }[e.type] || 'k-file';
}

/** toEntry keeps what the UI needs of an API item. */
export function toEntry(dir, it) {
  return { name: it.name, path: join(dir, it.name), size: it.size || 0, mtime: Date.parse(it.modified) || 0,
    isDir: !!it.isDir, type: it.type || '' };
}

export class Listing {
  /** handlers: open(entry), menu(x, y, entries), moveInto(dirEntry, entries, copy), dropFiles(dirPath, dataTransfer), changed() */
  constructor(handlers) {
    this.handlers = handlers;
    this.path = '/';
    this.all = [];
    this.view = [];
    this.sortKey = localStorage.getItem('sa.sort') || 'name';
    this.asc = localStorage.getItem('sa.asc') !== 'false';
    this.filterText = '';
    this.mode = localStorage.getItem('sa.view') === 'grid' ? 'grid' : 'list';
    this.sel = new Selection();
    this.typed = { text: '', at: 0 };
    this.el = h('div', { class: 'listing', role: 'listbox', tabindex: '0', 'aria-multiselectable': 'true', 'aria-label': t('app.title') });
    this.empty = h('p', { class: 'empty', hidden: true });
    this.vl = new VirtualList(this.el, {
      create: () => this.createCell(), render: (el, i) => this.renderCell(el, i), itemHeight: ROW,
    });
    this.applyMode();
    this.wire();
  }

  /** setItems shows a folder's entries (API items) at path. */
  setItems(path, items) {
    this.path = path;
    this.all = items.map((it) => toEntry(path, it));
    this.sel.clear();
    this.sel.cursor = this.all.length ? 0 : -1;
    this.sel.anchor = -1;
    this.el.scrollTop = 0;
    this.refresh();
  }

  /** refresh re-sorts and re-filters after a change of data or settings. */
  refresh() {
    const f = this.filterText.toLowerCase();
    const sorted = sortEntries(this.all.slice(), this.sortKey, this.asc);
    this.view = f ? sorted.filter((e) => e.name.toLowerCase().includes(f)) : sorted;
    this.sel.keepOnly(this.view);
    if (this.sel.cursor >= this.view.length) this.sel.cursor = this.view.length - 1;
    this.empty.hidden = this.view.length > 0;
    this.empty.textContent = this.all.length ? t('nomatch') : t('empty');
    this.vl.setCount(this.view.length);
    this.handlers.changed();
  }

  setSort(key) {
    if (this.sortKey === key) this.asc = !this.asc;
    else { this.sortKey = key; this.asc = true; }
    localStorage.setItem('sa.sort', this.sortKey);
    localStorage.setItem('sa.asc', String(this.asc));
    this.refresh();
  }

  setFilter(text) {
    this.filterText = text;
    this.sel.cursor = 0;
    this.refresh();
  }

  setMode(mode) {
    this.mode = mode;
    localStorage.setItem('sa.view', mode);
    this.applyMode();
  }

  applyMode() {
    this.el.classList.toggle('grid', this.mode === 'grid');
    if (this.mode === 'grid') this.vl.setLayout(CELL_H, CELL_W);
    else this.vl.setLayout(ROW, 0);
  }

  createCell() {
    const el = h('div', { class: 'cell', role: 'option', draggable: 'true' },
      h('span', { class: 'icon', 'aria-hidden': 'true' }), h('img', { class: 'thumb', alt: '', loading: 'lazy', hidden: true }),
      h('span', { class: 'name' }), h('span', { class: 'size' }), h('span', { class: 'date' }));
    return el;
  }

  renderCell(el, i) {
    const e = this.view[i];
    const [icon, thumb, name, size, date] = el.children;
    icon.className = 'icon ' + iconOf(e);
    name.textContent = e.name; // text, never HTML: hostile names stay names
    name.title = e.name;
    size.textContent = e.isDir ? '' : formatSize(e.size);
    date.textContent = formatDate(e.mtime);
    el.dataset.name = e.name;
    el.dataset.dir = e.isDir ? '1' : '';
    el.id = 'cell-' + i;
    el.setAttribute('aria-selected', String(this.sel.has(e.name)));
    el.classList.toggle('cursor', i === this.sel.cursor);
    const showThumb = this.mode === 'grid' && e.type === 'image';
    thumb.hidden = !showThumb;
    icon.hidden = showThumb;
    const src = showThumb ? previewURL(e.path) : '';
    if (thumb.dataset.src !== src) { thumb.dataset.src = src; if (src) thumb.src = src; else thumb.removeAttribute('src'); }
    // An image the server will not preview (too big, not decodable) keeps its icon.
    thumb.onerror = () => { thumb.hidden = true; icon.hidden = false; };
  }

  /** redraw repaints the cells in view (after a selection change). */
  redraw() {
    if (this.sel.cursor >= 0) this.el.setAttribute('aria-activedescendant', 'cell-' + this.sel.cursor);
    this.vl.draw();
    this.handlers.changed();
  }

  /** moveCursor moves to index i, extending the selection with shift. */
  moveCursor(i, { extend = false } = {}) {
    if (!this.view.length) return;
    i = Math.max(0, Math.min(this.view.length - 1, i));
    if (extend) {
      if (this.sel.anchor < 0) this.sel.anchor = Math.max(0, this.sel.cursor);
      this.sel.click(this.view, i, { range: true });
    } else this.sel.cursor = i;
    this.vl.scrollIntoView(i);
    this.redraw();
  }

  /** typeAhead jumps to the next name starting with what was typed. */
  typeAhead(ch) {
    const now = performance.now();
    this.typed.text = now - this.typed.at < 800 ? this.typed.text + ch : ch;
    this.typed.at = now;
    const q = this.typed.text.toLowerCase();
    const n = this.view.length;
    const start = this.typed.text.length > 1 ? Math.max(0, this.sel.cursor) : this.sel.cursor + 1;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      if (this.view[i].name.toLowerCase().startsWith(q)) { this.moveCursor(i); return; }
    }
  }

  picked() {
    return this.sel.picked(this.view);
  }

  wire() {
    const el = this.el;
    let longPress = null;
    let suppressClick = false;
    let touch = false; // the last pointer was a finger
    el.addEventListener('click', (ev) => {
      if (suppressClick) { suppressClick = false; return; }
      const i = this.vl.indexOf(ev.target);
      if (i < 0) { if (!ev.ctrlKey && !ev.metaKey && !ev.shiftKey) { this.sel.clear(); this.redraw(); } return; }
      if (touch) {
        // On a touch screen a tap opens; once something is selected (by a
        // long press) taps add to or remove from the selection.
        if (this.sel.size) this.sel.click(this.view, i, { toggle: true });
        else { this.handlers.open(this.view[i]); return; }
        this.redraw();
        return;
      }
      this.sel.click(this.view, i, { toggle: ev.ctrlKey || ev.metaKey, range: ev.shiftKey });
      this.redraw();
    });
    el.addEventListener('dblclick', (ev) => {
      const i = this.vl.indexOf(ev.target);
      if (i >= 0) this.handlers.open(this.view[i]);
    });
    el.addEventListener('contextmenu', (ev) => {
      ev.preventDefault();
      const i = this.vl.indexOf(ev.target);
      if (i >= 0 && !this.sel.has(this.view[i].name)) this.sel.click(this.view, i);
      this.redraw();
      this.handlers.menu(ev.clientX, ev.clientY, i >= 0 ? this.picked() : []);
    });
    el.addEventListener('pointerdown', (ev) => {
      touch = ev.pointerType === 'touch';
      suppressClick = false; // only the click ending a long press is eaten
      if (!touch) return;
      const i = this.vl.indexOf(ev.target);
      if (i < 0) return;
      longPress = setTimeout(() => {
        suppressClick = true;
        this.sel.click(this.view, i, { toggle: true });
        this.redraw();
      }, 500);
    });
    for (const type of ['pointerup', 'pointercancel', 'pointermove']) {
      el.addEventListener(type, () => clearTimeout(longPress));
    }
    el.addEventListener('keydown', (ev) => handleKey(this, ev));
    this.wireDrag();
  }

  wireDrag() {
    const el = this.el;
    el.addEventListener('dragstart', (ev) => {
      const i = this.vl.indexOf(ev.target);
      if (i < 0) return;
      if (!this.sel.has(this.view[i].name)) { this.sel.click(this.view, i); this.redraw(); }
      ev.dataTransfer.setData('application/x-sa-paths', JSON.stringify(this.picked().map((e) => e.path)));
      ev.dataTransfer.effectAllowed = 'copyMove';
    });
    const target = (ev) => {
      const i = this.vl.indexOf(ev.target);
      return i >= 0 && this.view[i].isDir ? this.view[i] : null;
    };
    el.addEventListener('dragover', (ev) => {
      const dir = target(ev);
      const internal = ev.dataTransfer.types.includes('application/x-sa-paths');
      if (internal && !dir) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = internal && !(ev.ctrlKey || ev.metaKey) ? 'move' : 'copy';
      el.querySelectorAll('.drop').forEach((c) => c.classList.remove('drop'));
      if (dir) ev.target.closest('.cell').classList.add('drop');
    });
    el.addEventListener('dragleave', (ev) => ev.target.closest?.('.cell')?.classList.remove('drop'));
    el.addEventListener('drop', (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      el.querySelectorAll('.drop').forEach((c) => c.classList.remove('drop'));
      const dir = target(ev);
      const moved = ev.dataTransfer.getData('application/x-sa-paths');
      if (moved) {
        if (dir) this.handlers.moveInto(dir.path, JSON.parse(moved), ev.ctrlKey || ev.metaKey);
        return;
      }
      this.handlers.dropFiles(dir ? dir.path : this.path, ev.dataTransfer);
    });
  }
}
