// keys.js: the listing's keyboard: cursor movement, selection, opening,
// the file actions, and type-ahead. `?` lists them (see help in app.js).

/** handleKey acts on a keydown in the listing; listing is a Listing. */
export function handleKey(listing, ev) {
  const ctrl = ev.ctrlKey || ev.metaKey;
  const cur = listing.sel.cursor;
  const page = listing.vl.pageSize();
  const cols = listing.vl.columns();
  const act = listing.handlers.action;
  const view = listing.view;
  const moves = {
    ArrowDown: cur + cols, ArrowUp: cur - cols, Home: 0, End: view.length - 1,
    PageDown: cur + page, PageUp: cur - page,
  };
  if (cols > 1) Object.assign(moves, { ArrowRight: cur + 1, ArrowLeft: cur - 1 });
  if (ev.key === 'ArrowUp' && ev.altKey) act('up');
  else if (ev.key in moves) listing.moveCursor(moves[ev.key], { extend: ev.shiftKey });
  else if (ev.key === ' ') { listing.sel.click(view, cur, { toggle: true }); listing.redraw(); }
  else if (ev.key === 'Enter' && view[cur]) listing.handlers.open(view[cur]);
  else if (ev.key === 'Backspace') act('up');
  else if (ev.key === 'Escape') { listing.sel.clear(); listing.redraw(); }
  else if (ctrl && ev.key.toLowerCase() === 'a') { listing.sel.selectAll(view); listing.redraw(); }
  else if (ctrl && ev.key.toLowerCase() === 'c') act('clipcopy');
  else if (ctrl && ev.key.toLowerCase() === 'x') act('clipcut');
  else if (ctrl && ev.key.toLowerCase() === 'v') act('paste');
  else if (ev.key === 'ContextMenu' || (ev.shiftKey && ev.key === 'F10')) act('menu');
  else if (ev.key === 'F2') act('rename');
  else if (ev.key === 'Delete') act('delete');
  else if (ev.key === '?') act('help');
  else if (ev.key === '/') act('filter');
  else if (ev.key.length === 1 && !ctrl && !ev.altKey) listing.typeAhead(ev.key);
  else return;
  ev.preventDefault();
}
