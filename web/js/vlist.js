// vlist.js: a virtual list. Only the rows in view (plus a margin) exist
// in the DOM, reused as the user scrolls, so a folder of 100,000 entries
// costs a few dozen nodes. Items sit in a grid of cells: one column in
// list view, as many as fit in grid view.

export class VirtualList {
  /**
   * viewport: the scrolling element. render(el, index) fills a cell;
   * create() makes an empty cell element.
   */
  constructor(viewport, { create, render, itemHeight, itemWidth = 0 }) {
    this.viewport = viewport;
    this.create = create;
    this.render = render;
    this.itemHeight = itemHeight;
    this.itemWidth = itemWidth; // 0: full width (one column)
    this.count = 0;
    this.pool = [];
    this.sizer = document.createElement('div');
    this.sizer.className = 'vl-sizer';
    viewport.append(this.sizer);
    this.pending = false;
    viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(viewport);
  }

  /** columns is how many cells fit across. */
  columns() {
    if (!this.itemWidth) return 1;
    return Math.max(1, Math.floor(this.viewport.clientWidth / this.itemWidth));
  }

  /** setLayout switches cell size (list vs grid) and redraws. */
  setLayout(itemHeight, itemWidth) {
    this.itemHeight = itemHeight;
    this.itemWidth = itemWidth;
    this.draw();
  }

  /** setCount sets how many items there are and redraws. */
  setCount(n) {
    this.count = n;
    this.draw();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  /** range is the [first, last) item indexes drawn. */
  range() {
    const cols = this.columns();
    const h = this.viewport.clientHeight || 600;
    const firstRow = Math.max(0, Math.floor(this.viewport.scrollTop / this.itemHeight) - 2);
    const rows = Math.ceil(h / this.itemHeight) + 4;
    return [firstRow * cols, Math.min(this.count, (firstRow + rows) * cols)];
  }

  /** draw positions and fills the cells in view; call after data changes. */
  draw() {
    const cols = this.columns();
    const width = this.itemWidth ? Math.floor(this.viewport.clientWidth / cols) : 0;
    this.sizer.style.height = Math.ceil(this.count / cols) * this.itemHeight + 'px';
    const [first, last] = this.range();
    let k = 0;
    for (let i = first; i < last; i++, k++) {
      let el = this.pool[k];
      if (!el) {
        el = this.create();
        el.style.position = 'absolute';
        el.style.top = '0';
        el.style.left = '0';
        this.pool.push(el);
        this.viewport.append(el);
      }
      const row = Math.floor(i / cols);
      const col = i % cols;
      el.style.transform = `translate(${col * width}px, ${row * this.itemHeight}px)`;
      el.style.height = this.itemHeight + 'px';
      el.style.width = width ? width + 'px' : '100%';
      el.hidden = false;
      el.dataset.index = String(i);
      this.render(el, i);
    }
    for (; k < this.pool.length; k++) {
      this.pool[k].hidden = true;
      delete this.pool[k].dataset.index;
    }
  }

  /** scrollIntoView scrolls the least needed to show item i. */
  scrollIntoView(i) {
    const row = Math.floor(i / this.columns());
    const top = row * this.itemHeight;
    const vp = this.viewport;
    if (top < vp.scrollTop) vp.scrollTop = top;
    else if (top + this.itemHeight > vp.scrollTop + vp.clientHeight) vp.scrollTop = top + this.itemHeight - vp.clientHeight;
    this.draw();
  }

  /** pageSize is how many items one screen holds. */
  pageSize() {
    return Math.max(1, Math.floor(this.viewport.clientHeight / this.itemHeight)) * this.columns();
  }

  /** indexOf returns the item index of a cell element (or -1). */
  indexOf(el) {
    const cell = el && el.closest && el.closest('[data-index]');
    return cell && this.viewport.contains(cell) ? Number(cell.dataset.index) : -1;
  }
}
