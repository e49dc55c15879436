// app.js: the file manager's page: header, toolbar, breadcrumbs, filter,
// listing, status bar and transfer panel, and the wiring between them.
import { h, clear } from './dom.js';
import { t, setLang, currentLang } from './i18n.js';
import { keepToken, claims } from './auth.js';
import { toggleTheme } from './theme.js';
import { Listing } from './listing.js';
import { Ops } from './ops.js';
import { openMenu } from './menu.js';
import { show } from './dialog.js';
import { report } from './toast.js';
import { crumbs, encodePath, parent } from './paths.js';
import { formatDate, formatSize } from './format.js';
import { showLogin } from './login.js';
import { Uploads } from './uploads.js';
import { openEntry, showInfo, startSearch } from './viewer.js';

const WARN_BEFORE = 10 * 60 * 1000;

export class App {
  constructor(root, api, info) {
    this.root = root;
    this.api = api;
    this.info = info;
    this.ops = new Ops(this);
    this.loadSeq = 0;
    api.onToken = (tok) => keepToken(tok);
    api.onUnauthorized = () => this.loggedOut(t('err.401'));
  }

  start() {
    this.build();
    addEventListener('hashchange', () => this.load(this.hashPath()));
    this.timer = setInterval(() => this.checkExpiry(), 30000);
    this.checkExpiry();
    this.load(this.hashPath());
  }

  hashPath() {
    try {
      return decodeURIComponent(location.hash.slice(1)) || '/';
    } catch {
      return '/';
    }
  }

  /** go opens a folder (kept in the URL, so reload and Back work). */
  go(path) {
    const hash = '#' + encodePath(path);
    if (location.hash === hash) this.load(path);
    else location.hash = hash;
  }

  async load(path) {
    if (!this.api.token) return;
    const seq = ++this.loadSeq;
    this.status.textContent = t('loading');
    try {
      const res = await this.api.list(path);
      if (seq !== this.loadSeq) return; // a later navigation won
      this.listing.setItems(path, res.items || []);
      this.renderCrumbs(path);
      this.api.usage(path).then((u) => this.showUsage(u), () => {});
      this.root.dataset.path = path;
      this.root.dataset.ready = String(seq);
    } catch (e) {
      if (seq === this.loadSeq) { report(e); this.updateStatus(); }
    }
  }

  reload() {
    return this.load(this.listing.path);
  }

  build() {
    clear(this.root);
    // The listing and the uploads outlive a rebuild (language, view, sort).
    this.listing ||= new Listing({
      open: (e) => this.open(e),
      menu: (x, y, entries) => this.menu(x, y, entries),
      moveInto: (dir, paths, copy) => this.ops.transfer(paths, dir, copy),
      dropFiles: (dir, dt) => this.uploads.addDataTransfer(dir, dt),
      changed: () => this.updateStatus(),
      action: (name) => this.action(name),
    });
    this.uploads ||= new Uploads(this);
    this.crumbs = h('nav', { class: 'crumbs', 'aria-label': t('crumbs.root') });
    this.filter = h('input', { type: 'search', class: 'filter', placeholder: t('filter'), 'aria-label': t('filter'),
      oninput: () => this.listing.setFilter(this.filter.value),
      onkeydown: (e) => { if (e.key === 'ArrowDown' || e.key === 'Enter') { e.preventDefault(); this.listing.el.focus(); } } });
    this.status = h('span', { class: 'count' });
    this.usage = h('span', { class: 'usage', id: 'usage' });
    this.usageBar = h('meter', { class: 'usage-bar', min: 0, max: 1, value: 0, hidden: true });
    this.expiry = h('span', { class: 'expiry' });
    this.banner = h('div', { class: 'banner', role: 'alert', hidden: true });
    const fileInput = h('input', { type: 'file', multiple: true, hidden: true, id: 'upload-files',
      onchange: () => { this.uploads.addFiles(this.listing.path, [...fileInput.files].map((f) => ({ file: f, rel: f.name }))); fileInput.value = ''; } });
    const dirInput = h('input', { type: 'file', multiple: true, webkitdirectory: true, hidden: true, id: 'upload-folder',
      onchange: () => { this.uploads.addFiles(this.listing.path, [...dirInput.files].map((f) => ({ file: f, rel: f.webkitRelativePath || f.name }))); dirInput.value = ''; } });
    // icon: a glyph, optionally after a picture from web/icons ("folder+").
    const btn = (id, label, fn, icon) => {
      const [glyph, pic] = icon.split('|');
      return h('button', { type: 'button', class: 'tool', id: 'btn-' + id, title: label, 'aria-label': label, onclick: fn },
        pic ? h('span', { class: 'ico k-' + pic, 'aria-hidden': 'true' }) : null,
        glyph ? h('span', { 'aria-hidden': 'true', text: glyph }) : null, h('span', { class: 'label', text: label }));
    };
    const header = h('header', { class: 'top' },
      h('h1', { text: t('app.title') }),
      h('span', { class: 'user', id: 'user', text: this.info.user }), this.expiry,
      h('span', { class: 'spacer' }),
      btn('theme', t('theme.toggle'), () => toggleTheme(), '◐'),
      btn('lang', t('lang.toggle'), () => { setLang(currentLang() === 'ko' ? 'en' : 'ko'); this.build(); this.listing.redraw(); this.renderCrumbs(this.listing.path); }, '|globe'),
      btn('logout', t('logout'), () => this.logout(), '⎋'));
    const tools = h('div', { class: 'toolbar', role: 'toolbar' },
      btn('up', t('act.up'), () => this.action('up'), '↑'),
      btn('newfolder', t('act.newfolder'), () => this.ops.newFolder(), '+|dir'),
      btn('newfile', t('act.newfile'), () => this.ops.newFile(), '+|file'),
      btn('upload', t('act.upload'), () => fileInput.click(), '⤒'),
      btn('uploadfolder', t('act.uploadfolder'), () => dirInput.click(), '⤒|dir'),
      btn('view', this.listing.mode === 'grid' ? t('view.list') : t('view.grid'), () => { this.listing.setMode(this.listing.mode === 'grid' ? 'list' : 'grid'); this.build(); this.renderCrumbs(this.listing.path); }, '▦'),
      btn('search', t('act.search'), () => startSearch(this), '|search'),
      btn('help', t('act.help'), () => this.action('help'), '?'),
      fileInput, dirInput);
    const cols = h('div', { class: 'cols', role: 'presentation' },
      ...['name', 'size', 'modified'].map((k) => h('button', { type: 'button', class: 'col col-' + k, id: 'sort-' + k,
        text: t('col.' + k) + (this.listing.sortKey === k ? (this.listing.asc ? ' ▲' : ' ▼') : ''),
        onclick: () => { this.listing.setSort(k); this.build(); this.listing.refresh(); this.renderCrumbs(this.listing.path); } })));
    const main = h('main', { class: 'main' }, this.crumbs, h('div', { class: 'filterbar' }, this.filter), cols,
      h('div', { class: 'listwrap' }, this.listing.el, this.listing.empty));
    const foot = h('footer', { class: 'status' }, this.status, h('span', { class: 'spacer' }), this.usageBar, this.usage);
    this.root.append(header, this.banner, tools, main, foot, this.uploads.el);
    // Drops outside the listing upload into the open folder too.
    this.root.ondragover = (e) => { if (e.dataTransfer.types.includes('Files')) e.preventDefault(); };
    this.root.ondrop = (e) => { e.preventDefault(); this.uploads.addDataTransfer(this.listing.path, e.dataTransfer); };
    this.root.onpaste = (e) => {
      const files = [...(e.clipboardData?.files || [])];
      if (files.length) this.uploads.addFiles(this.listing.path, files.map((f) => ({ file: f, rel: f.name })));
    };
    this.checkExpiry();
    this.listing.el.focus();
  }

  /** showUsage shows the folder's filesystem use as a bar and in words. */
  showUsage(u) {
    const known = u.total > 0;
    this.usageBar.hidden = !known;
    this.usageBar.value = known ? u.used / u.total : 0;
    this.usageBar.high = 0.9;
    this.usage.textContent = known ? t('usage', { used: formatSize(u.used), total: formatSize(u.total) }) : '';
    this.usageBar.setAttribute('aria-label', this.usage.textContent);
  }

  renderCrumbs(path) {
    clear(this.crumbs);
    const parts = crumbs(path);
    parts.forEach((c, i) => {
      const label = c.name || t('crumbs.root');
      const el = i === parts.length - 1
        ? h('span', { class: 'crumb current', 'aria-current': 'page', text: label })
        : h('a', { class: 'crumb', href: '#' + encodePath(c.path), text: label });
      this.crumbs.append(el);
      if (i < parts.length - 1) this.crumbs.append(h('span', { class: 'sep', 'aria-hidden': 'true', text: '›' }));
    });
  }

  updateStatus() {
    if (!this.listing) return;
    const n = this.listing.view.length;
    const s = this.listing.sel.size;
    this.status.textContent = t('count', { n }) + (s ? ' · ' + t('selected', { n: s }) : '');
  }

  open(entry) {
    if (entry.isDir) this.go(entry.path);
    else openEntry(this, entry);
  }

  action(name) {
    const picked = this.listing.picked();
    const acts = {
      up: () => this.listing.path !== '/' && this.go(parent(this.listing.path)),
      rename: () => this.ops.rename(picked[0]),
      delete: () => this.ops.remove(picked),
      clipcopy: () => this.ops.copyToClip(picked, 'copy'),
      clipcut: () => this.ops.copyToClip(picked, 'cut'),
      paste: () => this.ops.paste(),
      help: () => show(t('help.title'), ['help.nav', 'help.open', 'help.select', 'help.edit', 'help.find'].map((k) => h('p', { text: t(k) }))),
      filter: () => this.filter.focus(),
      menu: () => {
        const el = this.listing.el.querySelector('.cell.cursor') || this.listing.el;
        const r = el.getBoundingClientRect();
        if (picked.length && !this.listing.sel.has(picked[0].name)) this.listing.sel.click(this.listing.view, this.listing.sel.cursor);
        this.menu(r.left + 24, r.top + r.height / 2, picked);
      },
    };
    acts[name]?.();
  }

  menu(x, y, entries) {
    const one = entries.length === 1 ? entries[0] : null;
    const items = entries.length ? [
      { id: 'open', label: t('act.open'), run: () => this.open(one), disabled: !one },
      { id: 'download', label: t('act.download'), run: () => this.ops.download(entries) },
      { id: 'zip', label: t('act.zip'), run: () => this.ops.download(entries, 'zip') },
      { id: 'tar', label: t('act.tar'), run: () => this.ops.download(entries, 'tar') },
      { id: 'targz', label: t('act.targz'), run: () => this.ops.download(entries, 'targz') },
      { id: 'rename', label: t('act.rename'), run: () => this.ops.rename(one), disabled: !one },
      { id: 'move', label: t('act.move'), run: () => this.ops.transferPrompt(entries, false) },
      { id: 'copy', label: t('act.copy'), run: () => this.ops.transferPrompt(entries, true) },
      { id: 'info', label: t('act.info'), run: () => showInfo(this, one), disabled: !one },
      { id: 'delete', label: t('act.delete'), run: () => this.ops.remove(entries) },
    ] : [
      { id: 'newfolder', label: t('act.newfolder'), run: () => this.ops.newFolder() },
      { id: 'newfile', label: t('act.newfile'), run: () => this.ops.newFile() },
      { id: 'paste', label: t('act.paste'), run: () => this.ops.paste(), disabled: !this.ops.clip },
      { id: 'zip', label: t('act.zip'), run: () => this.ops.download(this.listing.view, 'zip') },
    ];
    openMenu(x, y, items, () => this.listing.el.focus());
  }

  checkExpiry() {
    // Keep the JWT fresh while the page is open, even when idle: it lives
    // 2 h, the session usually longer.
    const exp = (claims(this.api.token).exp || 0) * 1000;
    if (exp && exp - Date.now() < 60 * 60 * 1000) this.api.renew();
    if (!this.info.expires || !this.expiry) return;
    const end = Date.parse(this.info.expires);
    this.expiry.textContent = t('user.expires', { time: formatDate(end) });
    const left = end - Date.now();
    this.banner.hidden = left > WARN_BEFORE;
    this.banner.textContent = left <= 0 ? t('user.expired') : t('user.expiring', { min: Math.ceil(left / 60000) });
  }

  async logout() {
    try {
      await this.api.logout();
    } catch (e) {
      report(e);
    }
    this.loggedOut(t('loggedout'));
  }

  loggedOut(notice) {
    clearInterval(this.timer);
    keepToken('');
    this.api.token = '';
    this.uploads.stopAll();
    showLogin(this.root, () => location.reload(), notice);
  }
}
