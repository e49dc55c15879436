// paths.js: session paths ("/data/a b/c.txt") and their URL form.

/** encodePath escapes each element, so "#", "%", "?" and "+" stay literal. */
export function encodePath(p) {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** join appends a name to a folder path. */
export function join(dir, name) {
  return (dir.endsWith('/') ? dir : dir + '/') + name;
}

/** parent is the folder holding p ("/" for "/" itself). */
export function parent(p) {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** base is the last element of p. */
export function base(p) {
  const s = p.replace(/\/+$/, '');
  return s.slice(s.lastIndexOf('/') + 1);
}

/** crumbs splits a path into [{name, path}] from the root. */
export function crumbs(p) {
  const out = [{ name: '', path: '/' }];
  let acc = '';
  for (const el of p.split('/').filter(Boolean)) {
    acc += '/' + el;
    out.push({ name: el, path: acc });
  }
  return out;
}
