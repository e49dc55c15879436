// toast.js: short messages at the bottom; errors stay until dismissed, so
// a failure is never missed.
import { h } from './dom.js';
import { t } from './i18n.js';

function area() {
  let el = document.querySelector('.toasts');
  if (!el) {
    el = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(el);
  }
  return el;
}

/** toast shows message; kind "error" stays until closed. */
export function toast(message, kind = 'info') {
  const el = h('div', { class: 'toast ' + kind, role: kind === 'error' ? 'alert' : null },
    h('span', { text: message }),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': t('close'), text: '×', onclick: () => el.remove() }));
  area().append(el);
  if (kind !== 'error') setTimeout(() => el.remove(), 4000);
  return el;
}

/** report shows an error's readable message. */
export function report(err) {
  if (err && err.name === 'AbortError') return;
  toast(err && err.message ? err.message : String(err), 'error');
}
