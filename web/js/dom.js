// dom.js: builds elements. Text always goes in as text nodes, never as
// HTML, so a file name like "<img onerror=…>" shows literally.

/**
 * h creates an element. attrs: "class", "text", "on<event>" handlers,
 * "dataset" (object), properties known to the element, else attributes.
 * children: nodes or strings (strings become text nodes); null is skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** clear removes every child of el. */
export function clear(el) {
  el.replaceChildren();
}
