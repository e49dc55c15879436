// login.js: the login form (session id + session token).
import { h, clear } from './dom.js';
import { t } from './i18n.js';
import { login, keepToken } from './auth.js';
import { messageFor } from './api.js';

/** showLogin renders the form in root; done() runs after a login. */
export function showLogin(root, done, notice = '') {
  clear(root);
  delete root.dataset.ready;
  delete root.dataset.path;
  const sid = h('input', { id: 'login-session', name: 'session', autocomplete: 'username', required: true });
  const tok = h('input', { id: 'login-token', name: 'token', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'login-msg', role: 'alert', text: notice });
  const form = h('form', { class: 'login', onsubmit: async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      keepToken(await login(sid.value.trim(), tok.value.trim()));
      done();
    } catch (status) {
      msg.textContent = status === 403 ? t('login.failed') : messageFor(typeof status === 'number' ? status : 0);
    }
  } },
  h('h1', { text: t('login.title') }),
  h('p', { class: 'hint', text: t('login.hint') }),
  h('label', { for: 'login-session', text: t('login.session') }), sid,
  h('label', { for: 'login-token', text: t('login.token') }), tok,
  h('button', { type: 'submit', class: 'primary', text: t('login.submit') }), msg);
  root.append(form);
  sid.focus();
}
