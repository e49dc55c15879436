// viewer.js: opening a file: previews (image, video, audio, PDF, text,
// Markdown), the text editor, the info panel and the recursive search.
import { h } from './dom.js';
import { t } from './i18n.js';
import { open, show, confirm } from './dialog.js';
import { report, toast } from './toast.js';
import { rawURL } from './api.js';
import { renderMarkdown } from './markdown.js';
import { formatSize, formatDate } from './format.js';
import { join, parent } from './paths.js';

/** EDIT_MAX: bigger files are never loaded into the editor. */
export const EDIT_MAX = 2 << 20;

/** openEntry previews a file, or edits it if it is text. */
export async function openEntry(app, entry) {
  const src = rawURL(entry.path, true);
  const media = {
    image: () => h('img', { class: 'preview-img', src, alt: entry.name }),
    video: () => h('video', { class: 'preview-media', src, controls: true, preload: 'metadata' }),
    audio: () => h('audio', { class: 'preview-media', src, controls: true, preload: 'metadata' }),
  }[entry.type];
  if (media) return show(entry.name, [media()]);
  if (entry.type === 'pdf') {
    // PDFs open in the browser's own viewer, in a tab of their own: this
    // page may not frame anything (CSP frame-ancestors 'none').
    return show(entry.name, [h('a', { href: src, target: '_blank', rel: 'noopener', text: t('act.open') })]);
  }
  if (/\.(md|markdown)$/i.test(entry.name) && entry.size <= EDIT_MAX) {
    try {
      const text = await app.api.readText(entry.path);
      return show(entry.name, [renderMarkdown(text), h('button', { type: 'button', id: 'md-edit', text: t('act.edit'),
        onclick: () => { document.querySelector('dialog')?.close(); editFile(app, entry); } })]);
    } catch (e) {
      return report(e);
    }
  }
  if (entry.type === 'text' || entry.type === 'textImmutable') return editFile(app, entry);
  return show(entry.name, [h('p', { text: t('preview.none') }),
    h('a', { href: rawURL(entry.path), download: '', text: t('act.download') })]);
}

/**
 * editFile opens the editor, only for a file it could load whole: a
 * truncated buffer must never be saved over the file.
 */
export async function editFile(app, entry) {
  if (entry.size > EDIT_MAX) return toast(t('edit.toobig', { size: formatSize(entry.size), max: formatSize(EDIT_MAX) }), 'error');
  let text;
  try {
    text = await app.api.readText(entry.path);
  } catch (e) {
    return report(e);
  }
  if (new TextEncoder().encode(text).length !== entry.size) return toast(t('edit.notext'), 'error');
  const area = h('textarea', { class: 'editor', spellcheck: false, 'aria-label': entry.name });
  area.value = text;
  let saved = text;
  const save = async () => {
    // What was sent is what is saved: typing during the request stays unsaved.
    const sent = area.value;
    try {
      await app.api.save(entry.path, sent);
      saved = sent;
      toast(t('saved'));
    } catch (e) {
      report(e);
    }
  };
  area.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') { e.preventDefault(); save(); }
  });
  for (;;) {
    const v = await open(entry.name, [area], [{ label: t('save'), value: 'save' }, { label: t('close'), value: 'close' }]);
    if (v === 'save') { await save(); if (area.value === saved) break; continue; }
    if (area.value === saved || (await confirm(t('edit.unsaved')))) break;
  }
  app.reload();
}

/** showInfo shows a file's details, with a checksum on request. */
export function showInfo(app, entry) {
  const sum = h('output', { class: 'checksum', id: 'info-sum' });
  const rows = [[t('info.path'), entry.path], [t('col.size'), entry.isDir ? '' : formatSize(entry.size) + ` (${entry.size} B)`],
    [t('col.modified'), formatDate(entry.mtime)], [t('info.type'), entry.isDir ? '📁' : entry.type]];
  const dl = h('dl', { class: 'info' }, rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
  const btn = h('button', { type: 'button', id: 'info-compute', text: t('info.compute'), disabled: entry.isDir, onclick: async () => {
    try {
      const r = await app.api.info(entry.path, 'sha256');
      sum.textContent = t('info.sha256', { sum: r.checksums.sha256 });
    } catch (e) {
      report(e);
    }
  } });
  return show(t('info.title'), [dl, btn, sum]);
}

/** startSearch streams matches below the open folder, with a Stop button. */
export function startSearch(app) {
  const dir = app.listing.path;
  const input = h('input', { type: 'search', id: 'search-q', placeholder: t('search.placeholder'), 'aria-label': t('search.placeholder') });
  const state = h('p', { class: 'search-state', id: 'search-state', role: 'status' });
  const list = h('ul', { class: 'search-results', id: 'search-results' });
  let ctl = null;
  const stop = h('button', { type: 'button', id: 'search-stop', text: t('search.cancel'), onclick: () => ctl?.abort() });
  const go = async () => {
    ctl?.abort();
    ctl = new AbortController();
    list.replaceChildren();
    let n = 0;
    const mine = ctl;
    try {
      await app.api.search(dir, input.value, (hit) => {
        n++;
        state.textContent = t('search.found', { n });
        if (n > 500) return; // the count goes on; the list stays light
        const p = join(dir, hit.path);
        list.append(h('li', {}, h('a', { href: '#', text: hit.path + (hit.dir ? '/' : ''), onclick: (e) => {
          e.preventDefault();
          ctl?.abort();
          [...document.querySelectorAll('dialog.dlg[open] .dlg-buttons button')].pop()?.click(); // Close
          app.go(hit.dir ? p : parent(p));
        } })));
      }, mine.signal);
      state.textContent = t('search.done', { n });
    } catch (e) {
      if (e.name === 'AbortError') state.textContent = t('search.found', { n }) + ' · ' + t('search.cancel');
      else report(e);
    }
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); e.stopPropagation(); go(); } });
  return open(t('act.search'), [input, stop, state, list], [{ label: t('close'), value: null }]).then(() => ctl?.abort());
}
