// menu.js: a context menu at a point, keyboard-usable (arrows, Enter, Esc).
import { h } from './dom.js';

/** openMenu shows items [{label, run, disabled}] at x, y. */
export function openMenu(x, y, items, onClose = () => {}) {
  document.querySelector('.menu')?.dispatchEvent(new Event('close'));
  const menu = h('ul', { class: 'menu', role: 'menu' });
  const close = () => {
    menu.remove();
    document.removeEventListener('pointerdown', outside, true);
    onClose();
  };
  const outside = (e) => { if (!menu.contains(e.target)) close(); };
  for (const it of items) {
    menu.append(h('li', { role: 'none' }, h('button', {
      role: 'menuitem', type: 'button', text: it.label, disabled: !!it.disabled, dataset: { action: it.id || '' },
      onclick: () => { close(); it.run(); },
    })));
  }
  menu.addEventListener('close', close);
  menu.addEventListener('keydown', (e) => {
    const btns = [...menu.querySelectorAll('button:not([disabled])')];
    const i = btns.indexOf(document.activeElement);
    if (e.key === 'Escape') close();
    else if (e.key === 'ArrowDown') btns[(i + 1) % btns.length]?.focus();
    else if (e.key === 'ArrowUp') btns[(i - 1 + btns.length) % btns.length]?.focus();
    else return;
    e.preventDefault();
    e.stopPropagation();
  });
  document.body.append(menu);
  const r = menu.getBoundingClientRect();
  menu.style.left = Math.max(0, Math.min(x, innerWidth - r.width)) + 'px';
  menu.style.top = Math.max(0, Math.min(y, innerHeight - r.height)) + 'px';
  document.addEventListener('pointerdown', outside, true);
  menu.querySelector('button:not([disabled])')?.focus();
  return close;
}
