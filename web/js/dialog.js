// dialog.js: modal prompts on <dialog> (focus trapped, Esc cancels).
import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * open shows a modal with body nodes and buttons [{label, value}]; it
 * resolves with the value of the button pressed (null for Esc). The first
 * button is the default (Enter in a text field).
 */
export function open(title, body, buttons) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'dlg', 'aria-label': title });
    const finish = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    const row = h('div', { class: 'dlg-buttons' },
      buttons.map((b, i) => h('button', { type: 'button', class: i === 0 ? 'primary' : '', text: b.label,
        dataset: { value: String(b.value) }, onclick: () => finish(typeof b.value === 'function' ? b.value() : b.value) })));
    dlg.append(h('h2', { text: title }), ...body, row);
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(null); });
    dlg.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && e.target.tagName === 'INPUT') { e.preventDefault(); row.firstChild.click(); }
      e.stopPropagation(); // keys typed here never reach the listing
    });
    document.body.append(dlg);
    dlg.showModal();
    (dlg.querySelector('input,textarea') || row.firstChild).focus();
  });
}

/** ask prompts for a line of text; resolves with it, or null. */
export async function ask(title, value = '') {
  const input = h('input', { type: 'text', value, class: 'dlg-input', 'aria-label': title });
  const v = await open(title, [input], [{ label: t('ok'), value: () => input.value }, { label: t('cancel'), value: null }]);
  return v === null ? null : v;
}

/** confirm asks yes/no; resolves true or false. */
export async function confirm(message) {
  return (await open(message, [], [{ label: t('ok'), value: true }, { label: t('cancel'), value: false }])) === true;
}

/** choose asks among choices [{label, value}] with an "every time" box. */
export async function choose(message, choices, allLabel) {
  const box = h('input', { type: 'checkbox', id: 'dlg-all' });
  const label = h('label', { class: 'dlg-all' }, box, ' ', allLabel);
  const v = await open(message, allLabel ? [label] : [], choices);
  return { value: v, all: box.checked };
}

/** show displays content with a Close button. */
export function show(title, nodes) {
  return open(title, nodes, [{ label: t('close'), value: null }]);
}
