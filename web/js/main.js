// main.js: start-up: find a JWT (this tab's, or the login link's cookie
// traded for one), then show the file manager or the login form.
import { Api } from './api.js';
import { storedToken, keepToken, exchangeCookie } from './auth.js';
import { applyTheme } from './theme.js';
import { setLang, currentLang } from './i18n.js';
import { App } from './app.js';
import { showLogin } from './login.js';

async function start() {
  applyTheme();
  setLang(currentLang());
  const root = document.getElementById('app');
  const api = new Api();
  for (const tok of [storedToken(), await exchangeCookie()]) {
    if (!tok) continue;
    api.token = tok;
    try {
      const info = await api.session();
      keepToken(tok);
      new App(root, api, info).start();
      return;
    } catch {
      api.token = '';
    }
  }
  keepToken('');
  showLogin(root, () => start());
}

start();
