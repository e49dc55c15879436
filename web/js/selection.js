// selection.js: which entries of the current view are selected, by name
// (names are unique within a folder and survive re-sorting), plus the
// cursor and the anchor of Shift ranges, by index into the view.

export class Selection {
  constructor() {
    this.names = new Set();
    this.cursor = -1;
    this.anchor = -1;
  }

  clear() {
    this.names.clear();
  }

  has(name) {
    return this.names.has(name);
  }

  get size() {
    return this.names.size;
  }

  /**
   * click applies a pointer or key selection at index i of view (an array
   * of entries): plain replaces, toggle (Ctrl/⌘/Space) flips one, range
   * (Shift) selects from the anchor.
   */
  click(view, i, { toggle = false, range = false } = {}) {
    if (i < 0 || i >= view.length) return;
    if (range && this.anchor >= 0) {
      if (!toggle) this.names.clear();
      const [a, b] = this.anchor < i ? [this.anchor, i] : [i, this.anchor];
      for (let k = a; k <= b; k++) this.names.add(view[k].name);
    } else if (toggle) {
      const n = view[i].name;
      if (this.names.has(n)) this.names.delete(n);
      else this.names.add(n);
      this.anchor = i;
    } else {
      this.names.clear();
      this.names.add(view[i].name);
      this.anchor = i;
    }
    this.cursor = i;
  }

  selectAll(view) {
    for (const e of view) this.names.add(e.name);
  }

  /** keepOnly drops names that are not in view (after a filter or reload). */
  keepOnly(view) {
    const present = new Set(view.map((e) => e.name));
    for (const n of [...this.names]) if (!present.has(n)) this.names.delete(n);
  }

  /** picked lists the selected entries of view, or the cursor's if none. */
  picked(view) {
    const sel = view.filter((e) => this.names.has(e.name));
    if (sel.length) return sel;
    return this.cursor >= 0 && view[this.cursor] ? [view[this.cursor]] : [];
  }
}
