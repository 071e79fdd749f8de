/**
 * The only way this page builds DOM. Record content is untrusted, so text always goes in as text nodes
 * and attributes through setAttribute with a fixed allow-list: no HTML strings, no event-handler
 * attributes, no URLs from records.
 */

const SAFE_ATTRIBUTES =
  /^(id|class|title|role|tabindex|for|type|value|placeholder|list|hidden|disabled|selected|colspan|scope|lang|spellcheck|autocomplete|name|(aria|data)-[a-z-]+)$/;

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any> | null} [attrs] attributes; `on` maps events to handlers; `text` sets the text
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  applyAttributes(node, attrs);
  append(node, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const SAFE_SVG_ATTRIBUTES =
  /^(class|role|viewBox|preserveAspectRatio|x|y|x1|x2|y1|y2|width|height|points|r|cx|cy|d|text-anchor|dominant-baseline|focusable|(aria|data)-[a-z-]+)$/;

/** An SVG element; the same rules as el(). */
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (!SAFE_SVG_ATTRIBUTES.test(name)) throw new Error(`svg(): attribute ${name} is not allowed`);
    node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function applyAttributes(node, attrs) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (name === 'text') {
      node.textContent = String(value);
    } else if (SAFE_ATTRIBUTES.test(name)) {
      node.setAttribute(name, value === true ? '' : String(value));
    } else {
      throw new Error(`el(): attribute ${name} is not allowed`);
    }
  }
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** @param {string} id */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node;
}

/** Replaces a node's children. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Speaks a short message to screen readers. */
export function announce(message) {
  const live = byId('announcer');
  live.textContent = '';
  // A fresh text node after clearing makes screen readers repeat an identical message.
  setTimeout(() => (live.textContent = message), 30);
}
