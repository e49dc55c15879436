// unit.js: JavaScript unit tests of the UI's modules. Not embedded in the
// binary: cmd/storage-agent/webui_unit_test.go evaluates this file in the
// page (same origin, so the real modules load) and reads the failures.
(async () => {
  const failures = [];
  const eq = (name, got, want) => {
    const g = JSON.stringify(got);
    const w = JSON.stringify(want);
    if (g !== w) failures.push(`${name}: got ${g}, want ${w}`);
  };
  const { naturalCompare, sortEntries } = await import('/ui/js/sort.js');
  const paths = await import('/ui/js/paths.js');
  const { keysOf } = await import('/ui/js/i18n.js');
  const { keepBothName } = await import('/ui/js/uploads.js');
  const { renderMarkdown } = await import('/ui/js/markdown.js');
  const { Selection } = await import('/ui/js/selection.js');
  const { VirtualList } = await import('/ui/js/vlist.js');
  const { validName } = await import('/ui/js/ops.js');
  const { formatSize } = await import('/ui/js/format.js');
  const { archiveURL } = await import('/ui/js/api.js');
  const { walk } = await import('/ui/js/scan.js');
  const { Lanes, stripesFor, stripeBounds } = await import('/ui/js/tus.js');

  eq('natural', ['f10', 'f2', 'F1', 'f1.txt'].sort(naturalCompare), ['F1', 'f1.txt', 'f2', 'f10']);
  const items = [{ name: 'b', size: 1, mtime: 3, isDir: false }, { name: 'z', size: 0, mtime: 1, isDir: true },
    { name: 'a10', size: 5, mtime: 2, isDir: false }, { name: 'a9', size: 9, mtime: 4, isDir: false }];
  eq('sort name', sortEntries(items.slice(), 'name', true).map((e) => e.name), ['z', 'a9', 'a10', 'b']);
  eq('sort size desc', sortEntries(items.slice(), 'size', false).map((e) => e.name), ['z', 'a9', 'a10', 'b']);
  eq('sort modified', sortEntries(items.slice(), 'modified', true).map((e) => e.name), ['z', 'a10', 'b', 'a9']);

  eq('encodePath', paths.encodePath('/d/a#b?c%d+e f'), '/d/a%23b%3Fc%25d%2Be%20f');
  eq('parent', [paths.parent('/a/b/c'), paths.parent('/a'), paths.parent('/')], ['/a/b', '/', '/']);
  eq('base', paths.base('/a/b/'), 'b');
  eq('crumbs', paths.crumbs('/a/b').map((c) => c.path), ['/', '/a', '/a/b']);
  eq('archiveURL', archiveURL('/d', ['a,b', 'c+d'], 'zip'), '/api/raw/d/?algo=zip&files=a%252Cb%2Cc%252Bd');

  // Stripes: cut as the server cuts them (ceil(size/n) each), never empty.
  const MiB = 1 << 20;
  eq('stripesFor', [2 * MiB, 20 * MiB, 40 * MiB, 1 << 30].map(stripesFor), [1, 1, 2, 4]);
  eq('stripeBounds', stripeBounds(10, 3), [[0, 4], [4, 8], [8, 10]]);
  eq('stripeBounds cover', stripeBounds((1 << 30) + 3, 4).map(([a, b]) => b - a), [268435457, 268435457, 268435457, 268435456]);
  // Lanes: at most n hold one; waiters go first come first served.
  const lanes = new Lanes(2);
  const order = [];
  await lanes.acquire();
  await lanes.acquire();
  const waiters = [1, 2].map((i) => lanes.acquire().then(() => order.push(i)));
  eq('lanes busy', [lanes.busy, order.length], [2, 0]);
  lanes.release();
  await waiters[0];
  lanes.resize(3);
  await waiters[1];
  eq('lanes order', [order, lanes.busy], [[1, 2], 3]);

  const en = keysOf('en').sort();
  const ko = keysOf('ko').sort();
  eq('i18n ko has every en key', en.filter((k) => !ko.includes(k)), []);
  eq('i18n en has every ko key', ko.filter((k) => !en.includes(k)), []);

  eq('keepBothName', [keepBothName('a.txt', 1), keepBothName('noext', 2), keepBothName('.hidden', 1)], ['a (1).txt', 'noext (2)', '.hidden (1)']);
  eq('validName', ['', '.', '..', 'a/b', 'ok', '<x>'].map(validName), [false, false, false, false, true, true]);
  eq('formatSize', [formatSize(0), formatSize(1023), formatSize(1536), formatSize(5 * 2 ** 30)], ['0 B', '1023 B', '1.5 KiB', '5.0 GiB']);

  // Markdown: structure kept, markup in the source stays text.
  const md = renderMarkdown('# T <img src=x onerror=alert(1)>\n\n- **b** `c`\n\n<script>alert(1)</script>\n```\n<b>x</b>\n```');
  eq('md headings', md.querySelector('h1').textContent, 'T <img src=x onerror=alert(1)>');
  eq('md no elements from source', md.querySelectorAll('img, script, b').length, 0);
  eq('md list', md.querySelector('li strong').textContent, 'b');
  eq('md code', md.querySelector('pre code').textContent, '<b>x</b>');

  // Selection: click, toggle, range, select all, picked.
  const view = ['a', 'b', 'c', 'd'].map((name) => ({ name }));
  const sel = new Selection();
  sel.click(view, 1);
  sel.click(view, 3, { range: true });
  eq('range', [...sel.names].sort(), ['b', 'c', 'd']);
  sel.click(view, 2, { toggle: true });
  eq('toggle', [...sel.names].sort(), ['b', 'd']);
  sel.clear();
  sel.cursor = 0;
  eq('picked falls back to cursor', sel.picked(view).map((e) => e.name), ['a']);
  sel.selectAll(view);
  eq('all', sel.size, 4);

  // The virtual list keeps a bounded number of nodes for any count.
  const vp = document.createElement('div');
  vp.style.cssText = 'position:fixed;top:0;left:0;width:300px;height:300px;overflow:auto';
  document.body.append(vp);
  const vl = new VirtualList(vp, { create: () => document.createElement('div'), render: (el, i) => { el.textContent = 'row ' + i; }, itemHeight: 30 });
  vl.setCount(1000000);
  const drawn = vp.querySelectorAll('[data-index]').length;
  if (drawn > 40 || drawn < 10) failures.push(`vlist drew ${drawn} rows for a 300px viewport`);
  vp.scrollTop = 30 * 500000;
  vl.draw();
  if (!vp.querySelector('[data-index="500000"]')) failures.push('vlist: row 500000 not drawn after scrolling');
  vp.remove();

  // The drop scanner reads folders with more than 100 entries (Chromium
  // hands out 100 per readEntries call) to the end.
  const fakeDir = (name, n) => {
    const kids = Array.from({ length: n }, (_, i) => ({ isFile: true, fullPath: `/${name}/f${i}`, file: (ok) => ok(new File(['x'], 'f' + i)) }));
    return { isDirectory: true, fullPath: '/' + name, createReader: () => {
      let at = 0;
      return { readEntries: (ok) => { const b = kids.slice(at, at + 100); at += b.length; setTimeout(() => ok(b)); } };
    } };
  };
  let files = 0;
  for await (const x of walk([fakeDir('big', 250)])) if (x.file) files++;
  eq('scan reads past 100 entries', files, 250);
  return failures;
})()
