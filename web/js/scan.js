// scan.js: what a drop holds, as {file, rel} one at a time, so uploads
// start before a big folder is fully read. Folders are read with
// webkitGetAsEntry, calling readEntries until it returns nothing
// (Chromium hands out at most 100 entries per call).

/** entriesOf takes the dropped entries; call it during the drop event. */
export function entriesOf(dataTransfer) {
  const out = [];
  for (const item of dataTransfer.items || []) {
    const e = item.kind === 'file' && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (e) out.push(e);
  }
  if (!out.length) {
    for (const f of dataTransfer.files || []) out.push({ isFile: true, plain: f, fullPath: '/' + f.name });
  }
  return out;
}

function fileOf(entry) {
  if (entry.plain) return Promise.resolve(entry.plain);
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader) {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

/** walk yields {file, rel} for every file under entries, depth first. */
export async function* walk(entries) {
  const stack = [...entries].reverse();
  while (stack.length) {
    const e = stack.pop();
    if (e.isFile) {
      yield { file: await fileOf(e), rel: e.fullPath.replace(/^\//, '') };
    } else if (e.isDirectory) {
      yield { dir: e.fullPath.replace(/^\//, '') };
      const reader = e.createReader();
      const kids = [];
      for (;;) {
        const batch = await readBatch(reader);
        if (!batch.length) break;
        kids.push(...batch);
      }
      stack.push(...kids.reverse());
    }
  }
}
