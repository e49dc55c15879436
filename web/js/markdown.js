// markdown.js: a small Markdown reader that builds DOM nodes from text.
// Nothing in the file becomes HTML, so nothing in it can run: raw HTML
// in the source shows as text, links are shown, not followed.
import { h } from './dom.js';

/** inline renders `code`, **bold** and *emphasis* inside one line. */
function inline(text) {
  const out = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1] !== undefined) out.push(h('code', { text: m[1] }));
    else if (m[2] !== undefined) out.push(h('strong', { text: m[2] }));
    else out.push(h('em', { text: m[3] }));
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** renderMarkdown returns a <div> for the Markdown source. */
export function renderMarkdown(src) {
  const root = h('div', { class: 'md' });
  const lines = src.split('\n');
  let para = [];
  let list = null;
  const flush = () => {
    if (para.length) root.append(h('p', {}, inline(para.join(' '))));
    para = [];
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('```')) {
      flush();
      const code = [];
      while (++i < lines.length && !lines[i].startsWith('```')) code.push(lines[i]);
      root.append(h('pre', {}, h('code', { text: code.join('\n') })));
      continue;
    }
    const head = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*[-*+]\s+(.*)$/.exec(line);
    if (head) { flush(); root.append(h('h' + head[1].length, {}, inline(head[2]))); }
    else if (item) {
      if (para.length) flush();
      if (!list) { list = h('ul'); root.append(list); }
      list.append(h('li', {}, inline(item[1])));
    } else if (!line.trim()) flush();
    else { list = null; para.push(line); }
  }
  flush();
  return root;
}
