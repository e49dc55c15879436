// ops.js: the file actions on entries: rename, move, copy, delete, new
// folder, new file, download. Each reports errors readably and reloads.
import { t } from './i18n.js';
import { ask, confirm } from './dialog.js';
import { toast, report } from './toast.js';
import { rawURL, archiveURL } from './api.js';
import { join, base, parent } from './paths.js';

/** validName refuses names the server could never take as one element. */
export function validName(n) {
  return n !== null && n !== '' && n !== '.' && n !== '..' && !n.includes('/');
}

async function askName(title, value) {
  const n = await ask(title, value);
  if (n === null) return null;
  if (!validName(n)) { toast(t('err.badname'), 'error'); return null; }
  return n;
}

/** Ops runs actions for an app that has api, listing and reload(). */
export class Ops {
  constructor(app) {
    this.app = app;
    this.clip = null; // {mode: 'copy'|'cut', paths}
  }

  async run(fn) {
    try {
      await fn();
    } catch (e) {
      report(e);
    }
    await this.app.reload();
  }

  rename(entry) {
    if (!entry) return;
    return this.run(async () => {
      const n = await askName(t('prompt.rename'), entry.name);
      if (n === null || n === entry.name) return;
      await this.app.api.patch('rename', entry.path, join(parent(entry.path), n));
    });
  }

  /** transfer moves or copies paths into the folder dir. */
  transfer(paths, dir, copy) {
    return this.run(async () => {
      for (const p of paths) {
        const dst = join(dir, base(p));
        if (dst === p) { if (copy) await this.app.api.patch('copy', p, dst, { rename: true }); continue; }
        await this.app.api.patch(copy ? 'copy' : 'rename', p, dst, { rename: copy });
      }
      toast(t(copy ? 'copied' : 'moved', { n: paths.length }));
    });
  }

  async transferPrompt(entries, copy) {
    if (!entries.length) return;
    const dir = await ask(t('prompt.dest'), this.app.listing.path);
    if (dir === null || dir === '') return;
    return this.transfer(entries.map((e) => e.path), dir.startsWith('/') ? dir : join(this.app.listing.path, dir), copy);
  }

  remove(entries) {
    if (!entries.length) return;
    return this.run(async () => {
      const names = entries.slice(0, 5).map((e) => e.name).join(', ') + (entries.length > 5 ? ', …' : '');
      if (!(await confirm(t('confirm.delete', { n: entries.length, names })))) return;
      for (const e of entries) await this.app.api.remove(e.path);
    });
  }

  newFolder() {
    return this.run(async () => {
      const n = await askName(t('prompt.newfolder'), '');
      if (n !== null) await this.app.api.mkdir(join(this.app.listing.path, n));
    });
  }

  newFile() {
    return this.run(async () => {
      const n = await askName(t('prompt.newfile'), '');
      if (n !== null) await this.app.api.createFile(join(this.app.listing.path, n), '');
    });
  }

  /** download saves one file, or a streamed archive of several or of folders. */
  download(entries, algo = 'zip') {
    if (!entries.length) return;
    const url = entries.length === 1 && !entries[0].isDir
      ? rawURL(entries[0].path)
      : archiveURL(this.app.listing.path, entries.map((e) => e.name), algo);
    const a = document.createElement('a');
    a.href = url;
    a.download = '';
    document.body.append(a);
    a.click();
    a.remove();
  }

  copyToClip(entries, mode) {
    if (!entries.length) return;
    this.clip = { mode, paths: entries.map((e) => e.path) };
    toast(t(mode === 'copy' ? 'clip.copy' : 'clip.cut', { n: entries.length }));
  }

  paste() {
    if (!this.clip) return;
    const { mode, paths } = this.clip;
    if (mode === 'cut') this.clip = null;
    return this.transfer(paths, this.app.listing.path, mode === 'copy');
  }
}
