// sort.js: the listing's order: folders first, then by a key; names in
// natural order ("file2" before "file10").

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** naturalCompare orders two names as people expect. */
export function naturalCompare(a, b) {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

const keys = {
  name: (a, b) => naturalCompare(a.name, b.name),
  size: (a, b) => a.size - b.size || naturalCompare(a.name, b.name),
  modified: (a, b) => a.mtime - b.mtime || naturalCompare(a.name, b.name),
};

/** sortEntries sorts in place: folders first, then by key, asc or not. */
export function sortEntries(items, key = 'name', asc = true) {
  const cmp = keys[key] || keys.name;
  const dir = asc ? 1 : -1;
  items.sort((a, b) => (b.isDir - a.isDir) || dir * cmp(a, b));
  return items;
}
