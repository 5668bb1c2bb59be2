// Small DOM helpers for the bookrec site. Everything that comes from the data (titles, authors, ids,
// URLs) goes into the page through these: as text nodes or as attributes, never as HTML. Image URLs are
// accepted only when they parse as absolute http(s) URLs. Not a framework: no state, no re-rendering.

// Creates an element. props: class, text (textContent), dataset (object), on<event> (listener), and any
// other attribute (set with setAttribute, so the value is never parsed as markup). Children may be
// nodes or strings (strings become text nodes).
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child); // a string is appended as a text node
  }
  return node;
}

// Removes every child of node.
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

// Returns a safe https URL for an image, or null. Only absolute http: and https: URLs are accepted
// (javascript:, data:, relative paths and anything unparsable are rejected); http is upgraded to https
// so covers load on an https site and satisfy the Content-Security-Policy (img-src https:).
export function safeImageUrl(raw) {
  if (typeof raw !== 'string') return null;
  const s = raw.trim();
  if (s.length === 0 || s.length > 2048) return null;
  let url;
  try {
    url = new URL(s);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password) return null;
  url.protocol = 'https:';
  return url.href;
}

// Builds a cover: a frame showing the local placeholder, holding an <img> that loads lazily and is shown
// only once it has loaded (so a browser's broken-image icon never flashes), falling back to the
// placeholder when the URL is unsafe or the image fails to load (offline). The fallback is wired here,
// not with inline handlers. Returns the frame; the <img class="cover"> is its child.
export function coverImage(rawUrl, placeholderUrl, { width = 66, height = 100 } = {}) {
  const img = el('img', { class: 'cover', alt: '', width, height, loading: 'lazy', decoding: 'async' });
  const frame = el('span', { class: 'cover-frame' }, img);
  const safe = safeImageUrl(rawUrl);
  const loaded = () => img.classList.add('loaded');
  const fallback = () => {
    img.removeEventListener('error', fallback);
    img.classList.add('placeholder');
    img.src = placeholderUrl;
  };
  img.addEventListener('load', loaded);
  if (safe) {
    img.referrerPolicy = 'no-referrer';
    img.addEventListener('error', fallback);
    img.src = safe;
  } else {
    img.classList.add('placeholder');
    img.src = placeholderUrl;
  }
  return frame;
}
