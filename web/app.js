// The bookrec site. It starts from the catalogue alone (catalog.json: titles, authors and a starter list written
// at build time, the books the model ranks first for a reader with no ratings), so the list, the search and
// rating work before the model has arrived; covers, years, averages and genres follow in details.json; the book
// side of the model is downloaded in the background with a progress bar, loaded into the WebAssembly module
// (web/bookrec.js, imported only then) and replaces the starter list, folding in any rating given meanwhile.
// It offers the panels: a new reader who searches and rates books (folded into the model after
// every rating, kept in localStorage), the reader's own books (want to read, not interested, the
// Goodreads import and the reader data file), a reader from the dataset (the users part of the model
// and their rated lists are fetched only when that panel is used), and similar books for any book
// shown, a genre filter and series order for the recommendations (series.js), download progress for the
// readers' part, and a map of the books (map.js, loaded when opened). It registers the service worker (sw.js) that keeps the site usable offline. All data is
// inserted as text through dom.js. This file holds the page logic only: no model maths (that is the C
// core), no storage or file formats (store.js, rated.js, goodreads.js).
import { el, clear, coverImage } from './dom.js';
import { loadReader, saveReader, emptyReader, makeReaderFile, parseReaderFile, mergeReader } from './store.js';
import { decodeRated } from './rated.js';
import { createSearch } from './search.js';
import { goodreadsIdFromCover, parseGoodreadsExport, createMatcher, matchExport } from './goodreads.js';
import { indexSeries, seriesLabel, seriesFirst } from './series.js';

// `?nosimd` in the page URL runs the scalar build (for comparisons).
const NO_SIMD = new URLSearchParams(location.search).has('nosimd');
let wasm = null; // web/bookrec.js once imported (importing it starts the wasm download, so it waits for the catalogue)

const ASSETS = new URL('./', import.meta.url);
const MODEL_DIR = new URL('model/', ASSETS);
const PLACEHOLDER = new URL('cover.svg', ASSETS).href;
const SEARCH_LIMIT = 20;
const SIMILAR_K = 12;
const LIST_STEP = 50; // the reader's lists show this many rows more at a time (a Goodreads import can bring thousands)

const $ = (id) => document.getElementById(id);

const S = {
  model: null,          // null until the model has arrived; the page works from the catalogue until then
  modelReady: null,     // promise of the model
  books: null,          // columnar catalogue: book_id[], title[], authors[], image[], year[], avg[]
  index: new Map(),     // book id -> dense index
  ratings: new Map(),   // the new reader's ratings: book id -> 1..5 (insertion order = order rated)
  want: new Set(),      // the want-to-read shelf: book ids, in the order added
  hidden: new Set(),    // books marked "not interested": left out of the recommendations
  aside: emptyReader(), // saved entries for books this catalogue does not have (kept, written back)
  search: null,         // the book searcher (search.js), built on first use
  users: null,          // promise of the rated lists once the users part is loaded
  kernel: '',
  lastTiming: '',
  radioSeq: 0,
  shown: { mine: LIST_STEP, want: LIST_STEP, hidden: LIST_STEP }, // rows shown in the reader's long lists
  similarOf: null,
  series: null,         // the catalogue's series (series.js indexSeries), or null when no title names one
  genre: -1,            // the genre the new reader's recommendations are filtered to (index into books.genres), -1: all
  map: null,            // the book map (map.js) once opened
};

// ------------------------------------------------------------------ status and notices

function setStatus() {
  const parts = [];
  if (S.kernel) parts.push(`kernel: ${S.kernel}`);
  else if (S.books && !S.model) parts.push('downloading the model');
  if (S.books) parts.push(`${S.books.book_id.length.toLocaleString('en')} books`);
  if (S.lastTiming) parts.push(`last: ${S.lastTiming}`);
  $('status').textContent = parts.join(' · ');
}

function notice(text, kind = 'info') {
  const box = $('notice');
  $('notice-text').textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
}

function announce(text) {
  $('live').textContent = text;
}

// A short message at the bottom of the screen with an optional action (Undo, Show ↓). One at a time.
let toastTimer = 0;
function toast(text, { action = null, onAction = null, timeout = 8000 } = {}) {
  const box = $('toast');
  $('toast-text').textContent = text;
  const btn = $('toast-action');
  btn.hidden = !action;
  btn.textContent = action || '';
  btn.onclick = action ? () => { hideToast(); onAction(); } : null;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(hideToast, timeout);
}

function hideToast() {
  clearTimeout(toastTimer);
  $('toast').hidden = true;
}

// A duration for the status line, in ms. Browsers coarsen performance.now() (to 0.1 ms unless the page
// is cross-origin isolated), so a shorter time is shown as "< 0.1 ms", never as "0.00 ms".
const TIMER_RESOLUTION = globalThis.crossOriginIsolated ? 0.005 : 0.1;
function ms(t) {
  if (!(t >= TIMER_RESOLUTION)) return `< ${TIMER_RESOLUTION}`;
  return t < 10 ? t.toFixed(2) : t.toFixed(1);
}

// ------------------------------------------------------------------ loading

// Starts downloading one of the model directory's files; a network error or an HTTP error is an Error naming it.
async function openModelFile(name) {
  let res;
  try {
    res = await fetch(new URL(name, MODEL_DIR));
  } catch (e) {
    throw new Error(`could not download ${name} (${e.message})`);
  }
  if (!res.ok) throw new Error(`could not download ${name}: HTTP ${res.status}`);
  return res;
}

async function fetchBytes(name) {
  return (await openModelFile(name)).arrayBuffer();
}

async function fetchJSON(name) {
  const buf = await fetchBytes(name);
  try {
    return JSON.parse(new TextDecoder().decode(buf));
  } catch (e) {
    throw new Error(`${name} is not valid JSON (${e.message})`);
  }
}

// catalog.json (tools/build-site.mjs) as the page's columns: book_id, title, authors, and image, year, avg
// filled for the starter list's books only until details.json arrives (applyDetails); start: the starter list.
function readCatalogue(cat) {
  if (!cat || !Array.isArray(cat.title) || !Array.isArray(cat.authors)) throw new Error('catalog.json: no titles or authors');
  const n = cat.title.length;
  if (!n || cat.authors.length !== n) throw new Error(`catalog.json: field authors should have ${n} entries`);
  if (cat.ids !== undefined && (!Array.isArray(cat.ids) || cat.ids.length !== n)) throw new Error(`catalog.json: field ids should have ${n} entries`);
  const books = { book_id: cat.ids ? cat.ids.map(String) : Array.from({ length: n }, (_, i) => String(i + 1)),
    title: cat.title, authors: cat.authors, image: new Array(n).fill(''), year: new Array(n).fill(0), avg: new Array(n).fill(0),
    start: [], sizes: cat.sizes && typeof cat.sizes === 'object' ? cat.sizes : {} };
  const st = cat.start || {};
  const at = Array.isArray(st.i) ? st.i : [];
  at.forEach((i, j) => {
    if (!Number.isInteger(i) || i < 0 || i >= n) return;
    books.start.push(i);
    books.image[i] = String(st.image?.[j] ?? '');
    books.year[i] = Number(st.year?.[j]) || 0;
    books.avg[i] = Number(st.avg?.[j]) || 0;
  });
  if (!books.start.length) for (let i = 0; i < Math.min(n, 60); i++) books.start.push(i); // no starter list: the first books
  return books;
}

// details.json: every book's cover ("k:rest" with imageBase[k] the URL's prefix), year, average, Goodreads id
// and genres. Anything malformed is left out (the page works without it).
function applyDetails(d) {
  const b = S.books;
  const n = b.book_id.length;
  const col = (k) => (Array.isArray(d?.[k]) && d[k].length === n ? d[k] : null);
  const image = col('image');
  const base = Array.isArray(d?.imageBase) ? d.imageBase : [];
  if (image) {
    b.image = image.map((e) => {
      const m = /^(\d+):/.exec(String(e));
      return m && typeof base[m[1]] === 'string' ? base[m[1]] + String(e).slice(m[0].length) : '';
    });
  }
  if (col('year')) b.year = d.year.map((y) => Number(y) || 0);
  if (col('avg')) b.avg = d.avg.map((a) => Number(a) || 0);
  if (col('gr')) b.gr = d.gr;
  if (Array.isArray(d?.genres) && col('genre') &&
    d.genre.every((g) => Array.isArray(g) && g.every((k) => Number.isInteger(k) && k >= 0 && k < d.genres.length))) {
    b.genres = d.genres;
    b.genre = d.genre;
  }
  S.details = true;
  setupGenres();
  refreshCards();
}

// After details.json: the cards already shown get their cover, facts and Goodreads link (in place, so focus stays).
function refreshCards() {
  for (const card of document.querySelectorAll('.card')) {
    const i = S.index.get(card.dataset.bookId);
    if (i === undefined) continue;
    const frame = card.querySelector('.cover-frame');
    if (frame && S.books.image[i] && !card.dataset.cover) {
      frame.replaceWith(coverImage(S.books.image[i], PLACEHOLDER));
      card.dataset.cover = '1';
    }
    const info = card.querySelector('.info');
    if (info && !info.querySelector('.facts')) {
      const f = factsLine(i);
      if (f) (info.querySelector('.series') || info.querySelector('.authors')).after(f);
    }
    const actions = card.querySelector('.actions');
    if (actions && !actions.querySelector('.goodreads')) {
      const link = goodreadsLink(i);
      if (link) actions.append(link);
    }
  }
}

function checkCatalogue(books, model) {
  const n = books.book_id.length;
  if (model.nItems !== n) throw new Error(`the model has ${model.nItems} books but the catalogue ${n}; rebuild the site from one export`);
  const ids = model.itemIds;
  if (ids) {
    for (let i = 0; i < n; i++) {
      if (String(ids[i]) !== String(books.book_id[i])) throw new Error(`book ${i}: the model says id ${ids[i]}, the catalogue ${books.book_id[i]}`);
    }
  }
}

// ------------------------------------------------------------------ book cards

function bookTitle(i) {
  return String(S.books.title[i] ?? '');
}

// Paints the stars of one control up to r.
function paintStars(box, r) {
  for (const input of box.querySelectorAll('input')) input.nextElementSibling.classList.toggle('on', Number(input.value) <= r);
}

// The star rating: five radios. A click (or Space on a star) saves at once. Arrow keys only move the
// choice (shown, not saved) until Enter or Space confirms it or focus leaves the stars; Escape undoes
// the move. So rating from a list that redraws after each rating takes one deliberate key press.
function starRating(id, i, where) {
  const current = S.ratings.get(id) || 0;
  const name = `rate-${++S.radioSeq}`;
  const box = el('fieldset', { class: 'stars', dataset: { bookId: id } },
    el('legend', { class: 'sr-only', text: `Your rating of ${bookTitle(i)}` }));
  let arrow = false;
  let pending = 0;
  const commit = (r) => {
    pending = 0;
    delete box.dataset.pending;
    if (r >= 1 && r <= 5 && r !== S.ratings.get(id)) setRating(id, r, where);
  };
  for (let r = 1; r <= 5; r++) {
    const inputId = `${name}-${r}`;
    const words = `${r} star${r > 1 ? 's' : ''}`;
    const input = el('input', { type: 'radio', name, id: inputId, value: r, class: 'sr-only', dataset: { role: 'stars' } });
    input.checked = r === current;
    input.addEventListener('change', () => {
      if (!input.checked) return;
      if (arrow) {
        arrow = false;
        pending = r;
        box.dataset.pending = String(r);
        paintStars(box, r);
      } else commit(r);
    });
    const label = el('label', { for: inputId, class: r <= current ? 'on' : null, title: words },
      el('span', { 'aria-hidden': 'true', text: '★' }), el('span', { class: 'sr-only', text: words }));
    box.append(input, label);
  }
  box.addEventListener('pointerdown', () => { arrow = false; });
  box.addEventListener('keydown', (e) => {
    if (e.target.type !== 'radio') return;
    arrow = /^Arrow(Left|Right|Up|Down)$/.test(e.key); // the change event that follows only moves the choice
    if (arrow) return;
    if (e.key === 'Enter' || (e.key === ' ' && e.target.checked)) {
      e.preventDefault();
      commit(Number(e.target.value));
    } else if (e.key === 'Escape' && pending) {
      pending = 0;
      delete box.dataset.pending;
      const r = S.ratings.get(id) || 0;
      for (const input of box.querySelectorAll('input')) input.checked = Number(input.value) === r;
      paintStars(box, r);
      (box.querySelector('input:checked') || box.querySelector('input')).focus();
    }
  });
  box.addEventListener('focusout', (e) => {
    if (!pending || box.contains(e.relatedTarget)) return;
    const r = pending;
    setTimeout(() => { if (box.isConnected && box.dataset.pending) commit(r); }, 0); // after focus has moved
  });
  return box;
}

// The score line of a card: a top-N model's calibrated match ("72% match"), a predicted rating on the
// catalogue's scale, or a similarity; null when there is nothing to show.
function scoreText(score, scoreKind, match) {
  if (score === null || !Number.isFinite(score)) return null;
  if (scoreKind === 'similarity') return S.model?.kind === 'topn' ? null : `Similarity ${score.toFixed(3)}`;
  if (S.model?.kind === 'topn') return match == null ? null : `${matchPercent(match)} match`;
  const [lo, hi] = S.model?.ratingRange || [1, 5]; // ranking scores are unclamped; show the catalogue's scale
  return `Predicted rating ${Math.min(hi, Math.max(lo, score)).toFixed(2)}`;
}

// A match chance as a whole percentage that never reads 0% or 100%.
function matchPercent(p) {
  return `${Math.min(99, Math.max(1, Math.round(100 * p)))}%`;
}

// "Because you liked A and B" from explain()'s [{id}] (the rated books behind a recommendation).
function becauseText(why) {
  const titles = (why || []).map((w) => S.index.get(String(w.id))).filter((i) => i !== undefined).map(bookTitle);
  if (!titles.length) return null;
  const last = titles.pop();
  return `Because you liked ${titles.length ? `${titles.join(', ')} and ${last}` : last}`;
}

function goodreadsUrl(i) {
  if (!S.books.gr) return null; // the site was built without books.csv
  const gr = S.books.gr[i] || goodreadsIdFromCover(S.books.image[i]);
  return gr && /^\d{1,12}$/.test(String(gr)) ? `https://www.goodreads.com/book/show/${gr}` : null;
}

function goodreadsLink(i) {
  const url = goodreadsUrl(i);
  return url ? el('a', { class: 'goodreads', href: url, target: '_blank', rel: 'noopener noreferrer', dataset: { role: 'gr' },
    'aria-label': `${bookTitle(i)} on Goodreads (opens a new tab)` }, 'Goodreads ↗') : null;
}

// The reader's actions on a book: the want-to-read shelf, "not interested", and its Goodreads page.
function cardActions(id, i, where) {
  const title = bookTitle(i);
  const want = S.want.has(id);
  return el('div', { class: 'actions' },
    el('button', { type: 'button', class: 'want', 'aria-pressed': want ? 'true' : 'false', dataset: { role: 'want' },
      'aria-label': `Want to read: ${title}`, onclick: () => toggleWant(id) }, want ? 'On your list ✓' : 'Want to read'),
    el('button', { type: 'button', class: 'hide', dataset: { role: 'hide' }, 'aria-pressed': S.hidden.has(id) ? 'true' : 'false',
      'aria-label': `Not interested in ${title}`, onclick: () => toggleHidden(id, where) }, 'Not interested'),
    goodreadsLink(i));
}

// "2008 · avg 4.34", or null before details.json has brought them.
function factsLine(i) {
  const b = S.books;
  const facts = [];
  if (b.year[i]) facts.push(String(b.year[i]));
  if (b.avg[i]) facts.push(`avg ${Number(b.avg[i]).toFixed(2)}`);
  return facts.length ? el('p', { class: 'facts', text: facts.join(' · ') }) : null;
}

// One book as a list item: cover, title, authors, year / average, an optional score line and reason, the
// star rating control, a "Similar books" button and the reader's actions.
function bookCard(i, { score = null, scoreKind = 'rating', match = null, why = null, tag = 'li', level = 'h4', where = '' } = {}) {
  const b = S.books;
  const id = String(b.book_id[i]);
  const title = bookTitle(i);
  const st = scoreText(score, scoreKind, match);
  const scoreLine = st ? el('p', { class: 'score', text: st, title: S.model?.kind === 'topn' && scoreKind !== 'similarity'
    ? 'The chance that a reader with your ratings reads this book and rates it highly, measured on readers held out of training'
    : null }) : null;
  const because = becauseText(why);
  const reason = because ? el('p', { class: 'because', text: because }) : null;
  return el(tag, { class: 'card', dataset: b.image[i] ? { bookId: id, cover: '1' } : { bookId: id } },
    coverImage(b.image[i], PLACEHOLDER),
    el('div', { class: 'info' },
      el(level, { class: 'title', text: title }),
      el('p', { class: 'authors', text: String(b.authors[i] ?? '') }),
      seriesLine(i),
      factsLine(i),
      scoreLine,
      reason,
      starRating(id, i, where),
      el('button', { type: 'button', class: 'similar', dataset: { role: 'similar' }, 'aria-label': `Books similar to ${title}`, onclick: () => showSimilar(id) }, 'Similar books'),
      cardActions(id, i, where)));
}

// Where keyboard focus is inside a list that is about to be redrawn: the book, the card's position and
// which control (data-role). restoreFocus puts it back on the same control of the same book, or of the
// book that took its place, or on the fallback (a heading).
function focusSnapshot(list) {
  const a = document.activeElement;
  if (!a || !list.contains(a)) return null;
  const item = a.closest('[data-book-id]:not(fieldset)');
  const items = [...list.children];
  return { id: item?.dataset.bookId, pos: Math.max(0, items.indexOf(item)), role: a.dataset.role || '' };
}

function restoreFocus(list, snap, fallback) {
  if (!snap) return;
  const items = [...list.children];
  const item = items.find((c) => c.dataset.bookId === snap.id) || items[Math.min(snap.pos, items.length - 1)];
  let target = null;
  if (item) {
    target = snap.role === 'stars'
      ? item.querySelector('input[data-role="stars"]:checked') || item.querySelector('input[data-role="stars"]')
      : item.querySelector(`[data-role="${snap.role}"]`) || item.querySelector('input, button, a');
  }
  (target || fallback)?.focus();
}

// Replaces a list's content with cards for results [{id, score, match}], keeping keyboard focus sensible;
// with a top-N reader `state`, each card names the rated books behind it.
function renderResults(list, results, scoreKind, focusTarget, { level = 'h4', where = '', state = null } = {}) {
  const snap = focusSnapshot(list);
  clear(list);
  const explains = state && S.model?.arch === 'ease';
  for (const r of results) {
    const i = S.index.get(String(r.id));
    if (i === undefined) continue;
    const why = explains ? S.model.explain(state, r.id, { k: 2 }) : null;
    list.append(bookCard(i, { score: r.score, scoreKind, match: r.match ?? null, why, level, where }));
    if (r.startsFor !== undefined) markSeriesStart(list.lastElementChild, r.startsFor);
    if (r.after !== undefined) list.lastElementChild.dataset.seriesAfter = String(S.books.book_id[r.after]);
  }
  list.dataset.updated = String(Number(list.dataset.updated || 0) + 1);
  restoreFocus(list, snap, focusTarget);
}

function syncStars(id) {
  const r = S.ratings.get(id) || 0;
  for (const box of document.querySelectorAll('fieldset.stars')) {
    if (box.dataset.bookId !== id) continue;
    delete box.dataset.pending;
    for (const input of box.querySelectorAll('input')) {
      const v = Number(input.value);
      input.checked = v === r;
      input.nextElementSibling.classList.toggle('on', v <= r);
    }
  }
}

// Updates the want / not-interested buttons of every card of a book.
function syncActions(id) {
  for (const card of document.querySelectorAll('.card')) {
    if (card.dataset.bookId !== id) continue;
    const want = card.querySelector('button.want');
    if (want) {
      want.setAttribute('aria-pressed', S.want.has(id) ? 'true' : 'false');
      want.textContent = S.want.has(id) ? 'On your list ✓' : 'Want to read';
    }
    card.querySelector('button.hide')?.setAttribute('aria-pressed', S.hidden.has(id) ? 'true' : 'false');
  }
}

// ------------------------------------------------------------------ new reader

// Saves a rating (a book already rated keeps its place in "Your ratings"); a rated book is no longer
// "not interested". After a rating from the search results, when the recommendations are out of view
// (phones), a toast says they changed and offers to go there.
function setRating(id, r, where = '') {
  S.ratings.set(id, r);
  const wasHidden = S.hidden.delete(id);
  persist();
  syncStars(id);
  renderMyRatings();
  if (wasHidden) { syncActions(id); renderLibrary(); }
  updateNewReader();
  if (where === 'search') offerRecommendations();
}

function offerRecommendations() {
  const h = $('rec-new-h');
  const box = h.getBoundingClientRect();
  if (box.top >= 0 && box.top < innerHeight - 80) return; // already in view
  toast('Recommendations updated', {
    action: 'Show ↓',
    onAction: () => {
      h.scrollIntoView({ block: 'start' });
      h.focus({ preventScroll: true });
    },
  });
}

function removeRating(id) {
  S.ratings.delete(id);
  persist();
  syncStars(id);
  renderMyRatings();
  updateNewReader();
}

function persist() {
  const problem = saveReader({ ratings: S.ratings, want: S.want, hidden: S.hidden }, S.aside);
  if (problem) notice(`Note: ${problem}.`, 'warn');
}

function renderMyRatings() {
  const list = $('my-ratings');
  const snap = focusSnapshot(list);
  clear(list);
  const entries = [...S.ratings].reverse(); // most recent first
  for (const [id] of entries.slice(0, S.shown.mine)) {
    const i = S.index.get(id);
    list.append(el('li', { class: 'rated', dataset: { bookId: id } },
      el('span', { class: 'rated-title', text: bookTitle(i) }),
      el('span', { class: 'rated-authors', text: String(S.books.authors[i] ?? '') }),
      starRating(id, i, 'mine'),
      el('button', { type: 'button', class: 'remove', dataset: { role: 'remove' }, 'aria-label': `Remove your rating of ${bookTitle(i)}`, onclick: () => removeRating(id) }, 'Remove')));
  }
  moreButton('mine-more', 'my-ratings', 'mine', entries.length, renderMyRatings);
  $('mine-count').textContent = S.ratings.size ? `(${S.ratings.size})` : '';
  $('mine-empty').hidden = S.ratings.size > 0;
  $('clear').disabled = S.ratings.size === 0;
  restoreFocus(list, snap, $('mine-h'));
}

// ------------------------------------------------------------------ the reader's shelves

function toggleWant(id) {
  if (S.want.has(id)) S.want.delete(id);
  else S.want.add(id);
  persist();
  syncActions(id);
  renderLibrary();
  announce(S.want.has(id) ? `${bookTitle(S.index.get(id))} is on your want-to-read list.` : `${bookTitle(S.index.get(id))} was taken off your want-to-read list.`);
}

// "Not interested": the book leaves the recommendations (with Undo); pressed again, it comes back.
function toggleHidden(id, where = '') {
  const title = bookTitle(S.index.get(id));
  if (S.hidden.has(id)) {
    S.hidden.delete(id);
    persist();
  } else {
    S.hidden.add(id);
    persist();
    toast(`“${title}” will not be recommended.`, { action: 'Undo', onAction: () => { if (S.hidden.has(id)) toggleHidden(id); } });
  }
  syncActions(id);
  renderLibrary();
  updateNewReader();
  if (where === 'rec' && !$('rec-new').contains(document.activeElement)) $('rec-new-h').focus();
}

function shelfItem(id, buttonText, label, onclick) {
  const i = S.index.get(id);
  return el('li', { class: 'rated', dataset: { bookId: id } },
    el('span', { class: 'rated-title', text: bookTitle(i) }),
    el('span', { class: 'rated-authors', text: String(S.books.authors[i] ?? '') }),
    el('button', { type: 'button', class: 'remove', dataset: { role: 'remove' }, 'aria-label': label, onclick }, buttonText));
}

// The "Show N more" button under one of the reader's lists; it moves focus to the first new row.
function moreButton(buttonId, listId, key, total, render) {
  const b = $(buttonId);
  const rest = total - S.shown[key];
  b.hidden = rest <= 0;
  b.textContent = `Show ${Math.min(rest, LIST_STEP * 4)} more (${total.toLocaleString('en')} in all)`;
  b.onclick = () => {
    const first = S.shown[key];
    S.shown[key] += LIST_STEP * 4;
    render();
    $(listId).children[first]?.querySelector('input, button')?.focus();
  };
}

function renderLibrary() {
  const want = $('want-list');
  let snap = focusSnapshot(want);
  clear(want);
  const wanted = [...S.want].reverse();
  for (const id of wanted.slice(0, S.shown.want)) {
    want.append(shelfItem(id, 'Remove', `Take ${bookTitle(S.index.get(id))} off the list`, () => toggleWant(id)));
  }
  moreButton('want-more', 'want-list', 'want', wanted.length, renderLibrary);
  $('want-count').textContent = S.want.size ? `(${S.want.size})` : '';
  $('want-empty').hidden = S.want.size > 0;
  restoreFocus(want, snap, $('want-h'));
  const hidden = $('hidden-list');
  snap = focusSnapshot(hidden);
  clear(hidden);
  const hiddenIds = [...S.hidden].reverse();
  for (const id of hiddenIds.slice(0, S.shown.hidden)) {
    hidden.append(shelfItem(id, 'Show again', `Recommend ${bookTitle(S.index.get(id))} again`, () => toggleHidden(id)));
  }
  moreButton('hidden-more', 'hidden-list', 'hidden', hiddenIds.length, renderLibrary);
  $('hidden-count').textContent = S.hidden.size ? `(${S.hidden.size})` : '';
  $('hidden-empty').hidden = S.hidden.size > 0;
  restoreFocus(hidden, snap, $('hidden-h'));
}

// The state of a reader the model knows nothing about: all zeros (a top-N model then ranks by its
// popularity prior; a rating model by the zero user vector that fold-in's L2 pull tends to).
function emptyState() {
  if (!S.zeroState) S.zeroState = new Float32Array(S.model.stateSize);
  return S.zeroState;
}

// Before the model has arrived: the starter list (what the model ranks first for a reader with no ratings),
// less the books rated or marked not interested, kept to the chosen genre; no scores.
function starterPicks(k) {
  const skip = new Set([...S.ratings.keys(), ...S.hidden]);
  const out = [];
  for (const i of S.books.start) {
    const id = String(S.books.book_id[i]);
    if (skip.has(id) || (S.genre >= 0 && !S.books.genre[i].includes(S.genre))) continue;
    out.push({ id, score: null });
    if (out.length >= k) break;
  }
  return out;
}

function showStarter(k, list, info) {
  const recs = starterPicks(k);
  const n = S.ratings.size;
  info.textContent = (n
    ? `Your ${n} rating${n > 1 ? 's are' : ' is'} kept and will be folded in as soon as the model has downloaded. Meanwhile, popular books you have not rated.`
    : 'Popular books to start from while the model downloads. Rate the ones you have read.') +
    (S.hidden.size ? ` ${S.hidden.size} book${S.hidden.size > 1 ? 's' : ''} you are not interested in ${S.hidden.size > 1 ? 'are' : 'is'} left out too.` : '') +
    genreNote(recs.length, k);
  list.dataset.source = 'starter';
  renderResults(list, recs, 'rating', $('rec-new-h'), { level: 'h4', where: 'rec' });
}

function updateNewReader() {
  const k = Number($('new-k').value) || 10;
  const list = $('rec-new');
  const info = $('rec-new-info');
  if (!S.model) {
    showStarter(k, list, info);
    setStatus();
    return;
  }
  list.dataset.source = 'model';
  const pairs = [...S.ratings].map(([id, r]) => [id, r]);
  try {
    const t0 = performance.now();
    const state = pairs.length ? S.model.foldIn(pairs) : emptyState();
    const t1 = performance.now();
    const recs = rankForNewReader(state, k, [...S.ratings.keys(), ...S.hidden]);
    const t2 = performance.now();
    const scoring = `top-${k} of ${S.model.nItems.toLocaleString('en')} ${ms(t2 - t1)} ms`;
    S.lastTiming = pairs.length ? `fold-in ${ms(t1 - t0)} ms + ${scoring}` : scoring;
    info.textContent = (S.ratings.size
      ? `From your ${S.ratings.size} rating${S.ratings.size > 1 ? 's' : ''}; books you rated are left out.`
      : 'What the model suggests before it knows you. Rate books to make these yours.') +
      (S.hidden.size ? ` ${S.hidden.size} book${S.hidden.size > 1 ? 's' : ''} you are not interested in ${S.hidden.size > 1 ? 'are' : 'is'} left out too.` : '') +
      genreNote(recs.length, k);
    renderResults(list, recs, 'rating', $('rec-new-h'), { level: 'h4', where: 'rec', state: pairs.length ? state : null });
    announce(`Recommendations updated: ${recs.length} books.`);
    S.map?.refresh();
  } catch (e) {
    info.textContent = `Could not compute recommendations: ${e.message}`;
    clear(list);
    list.dataset.updated = String(Number(list.dataset.updated || 0) + 1);
  }
  setStatus();
}

function searcher() {
  if (!S.search) S.search = createSearch(S.books.title, S.books.authors);
  return S.search;
}

let searchSeq = 0;
async function runSearch() {
  const seq = ++searchSeq;
  const q = $('search').value.trim().slice(0, 100);
  const list = $('search-results');
  const info = $('search-info');
  if (q.length < 2) {
    clear(list);
    info.textContent = q.length ? 'Type at least two letters.' : '';
    return;
  }
  const t0 = performance.now();
  const { hits, fuzzy, total } = await searcher().search(q, SEARCH_LIMIT);
  const t1 = performance.now();
  if (seq !== searchSeq) return; // a newer query is on its way
  clear(list);
  for (const i of hits) list.append(bookCard(i, { level: 'h3', where: 'search' }));
  list.dataset.updated = String(Number(list.dataset.updated || 0) + 1);
  const shown = total > hits.length ? `The first ${hits.length} of ${total} books` : `${hits.length} book${hits.length > 1 ? 's' : ''}`;
  info.textContent = hits.length
    ? `${shown} ${fuzzy ? 'with a similar spelling' : 'matching'} (${ms(t1 - t0)} ms). Rate the ones you have read.`
    : 'No book matches. Try another spelling, a shorter part of the title, or the author.';
}

// ------------------------------------------------------------------ similar books

function showSimilar(id, { focus = true } = {}) {
  const i = S.index.get(id);
  const section = $('similar');
  const list = $('similar-list');
  section.hidden = false;
  S.similarOf = id;
  $('similar-h').textContent = `Books similar to “${bookTitle(i)}”`;
  if (!S.model) { // shown as soon as the model has arrived
    $('similar-info').textContent = 'Similar books come from the model, which is still downloading; they will appear here when it has arrived.';
    clear(list);
    S.modelReady?.then(() => { if (S.similarOf === id && !section.hidden) showSimilar(id, { focus: false }); }, () => {});
  } else try {
    const t0 = performance.now();
    const recs = S.model.similar(id, { k: SIMILAR_K });
    const t1 = performance.now();
    S.lastTiming = `similar ${ms(t1 - t0)} ms`;
    $('similar-info').textContent = S.model.kind === 'topn'
      ? 'The books readers of this one read and liked beyond what their popularity explains.'
      : 'Nearest books by the cosine of their learned embeddings.';
    renderResults(list, recs, 'similarity', null, { level: 'h3', where: 'similar' });
  } catch (e) {
    $('similar-info').textContent = `Could not find similar books: ${e.message}`;
    clear(list);
  }
  setStatus();
  if (!focus) return;
  section.scrollIntoView({ block: 'start' });
  $('similar-h').focus({ preventScroll: true });
}

// ------------------------------------------------------------------ reader from the dataset

function ensureUsers() {
  if (!S.users) {
    S.users = (async () => {
      const progress = downloadProgress($('user-progress'), ['model-users.bkr', 'rated.bin']);
      const [usersBuf, ratedBuf] = await Promise.all([fetchWithProgress('model-users.bkr', progress),
        fetchWithProgress('rated.bin', progress)]).finally(() => progress.done());
      const t0 = performance.now();
      await S.model.loadUsers(usersBuf);
      const rated = decodeRated(ratedBuf);
      if (rated.nItems !== S.model.nItems) throw new Error(`rated.bin is for ${rated.nItems} books, the model has ${S.model.nItems}`);
      S.lastTiming = `readers loaded in ${ms(performance.now() - t0)} ms`;
      return rated;
    })();
    S.users.catch(() => { S.users = null; }); // allow a retry after a failed download
  }
  return S.users;
}

// What the dataset's reader ids look like, for messages: "whole numbers from 1 to 53,424" when they are
// all whole numbers, else an example.
function userIdRange(rated) {
  if (!S.userRange) {
    let lo = Infinity;
    let hi = -Infinity;
    let numeric = rated.ids.length > 0;
    for (const id of rated.ids) {
      if (!/^[1-9]\d{0,14}$/.test(id)) { numeric = false; break; }
      const v = Number(id);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    S.userRange = numeric
      ? { numeric, lo, hi, text: `Reader ids are whole numbers from ${lo.toLocaleString('en')} to ${hi.toLocaleString('en')}, for example ${Math.min(hi, Math.max(lo, 100))}.` }
      : { numeric, text: `Enter a reader id from the dataset, for example ${rated.ids[0] ?? '100'}.` };
  }
  return S.userRange;
}

// The reader's input as an id: Unicode-normalised (full-width digits become 0-9), trimmed.
function userIdOf(raw) {
  return String(raw).normalize('NFKC').trim();
}

let userBusy = false;
async function recommendForUser(ev) {
  ev.preventDefault();
  if (userBusy) return; // the button stays focusable (not disabled) while it works, so focus stays put
  const input = $('user-id');
  const info = $('user-info');
  const list = $('rec-user');
  const userId = userIdOf(input.value);
  const k = Number($('user-k').value) || 10;
  if (!userId || userId.length > 64) {
    info.textContent = S.userRange ? S.userRange.text : 'Enter a reader id from the dataset, for example 100.';
    input.focus();
    return;
  }
  if (!S.model) {
    info.textContent = 'The model is still downloading; try again when it has arrived.';
    return;
  }
  const button = $('user-go');
  userBusy = true;
  button.setAttribute('aria-busy', 'true');
  info.textContent = S.model.hasUsers() ? 'Computing…' : 'Loading the dataset’s readers (first use only)…';
  try {
    const rated = await ensureUsers();
    const mine = rated.get(userId);
    if (!mine) {
      const range = userIdRange(rated);
      const inRange = range.numeric && /^\d+$/.test(userId) && Number(userId) >= range.lo && Number(userId) <= range.hi;
      const what = range.numeric && !/^\d+$/.test(userId) ? `“${userId.slice(0, 20)}” is not a reader id.` : `There is no reader ${userId.slice(0, 20)} in the dataset.`;
      info.textContent = `${what} ${inRange ? 'Some ids in the range are unused; try another.' : range.text}`;
      clear(list);
      list.dataset.updated = String(Number(list.dataset.updated || 0) + 1);
      renderUserRated(null);
      return;
    }
    const exclude = mine ? Array.from(mine.items, (i) => String(S.books.book_id[i])) : [];
    const t0 = performance.now();
    const recs = S.model.recommendUser(userId, { k, exclude });
    const t1 = performance.now();
    const userState = S.model.arch === 'ease' ? S.model.userState(userId) : null;
    S.lastTiming = `top-${k} for user ${userId} ${ms(t1 - t0)} ms`;
    const n = mine ? mine.items.length : 0;
    info.textContent = `Top ${recs.length} for user ${userId}. The ${n} book${n === 1 ? '' : 's'} they rated ${n === 1 ? 'is' : 'are'} left out.`;
    renderResults(list, recs, 'rating', null, { level: 'h3', where: 'user', state: userState });
    renderUserRated(mine);
    announce(`Recommendations for user ${userId}: ${recs.length} books.`);
  } catch (e) {
    info.textContent = `Could not compute recommendations for this reader: ${e.message}`;
    clear(list);
    renderUserRated(null);
  } finally {
    userBusy = false;
    button.removeAttribute('aria-busy');
    setStatus();
  }
}

function renderUserRated(mine) {
  const wrap = $('user-rated-wrap');
  const list = $('user-rated');
  clear(list);
  wrap.hidden = !mine || mine.items.length === 0;
  if (wrap.hidden) return;
  $('user-rated-summary').textContent = `The ${mine.items.length} books this reader rated`;
  const order = Array.from(mine.items.keys()).sort((a, b) => mine.ratings[b] - mine.ratings[a]);
  for (const j of order) {
    const i = mine.items[j];
    const r = mine.ratings[j];
    list.append(el('li', { dataset: { bookId: String(S.books.book_id[i]) } },
      el('span', { class: 'rated-title', text: bookTitle(i) }),
      ' ',
      el('span', { class: 'given', text: r ? `${'★'.repeat(Math.round(r))} (${r})` : '' })));
  }
}

// ------------------------------------------------------------------ Goodreads import, the reader data file

let matchData = null; // promise of match.json (fetched on the first import only)
function loadMatchData() {
  if (!matchData) {
    matchData = fetchJSON('match.json').catch(() => null); // without it, titles and authors still match
  }
  return matchData;
}

async function readFileText(input) {
  const file = input.files && input.files[0];
  input.value = '';
  if (!file) return null;
  return { name: file.name, text: await file.text() };
}

async function importGoodreads() {
  const out = $('gr-result');
  const input = $('gr-file');
  clear(out);
  let file;
  try {
    file = await readFileText(input);
  } catch (e) {
    out.append(el('p', { class: 'error', text: `The file could not be read (${e.message}).` }));
    return;
  }
  if (!file) return;
  out.append(el('p', { class: 'hint', text: `Reading ${file.name}…` }));
  let parsed;
  try {
    parsed = parseGoodreadsExport(file.text);
  } catch (e) {
    clear(out);
    out.append(el('p', { class: 'error', text: `${file.name}: ${e.message}.` }));
    return;
  }
  const data = await loadMatchData();
  if (!S.matcher) S.matcher = createMatcher(S.books, data);
  const res = matchExport(parsed.rows, S.matcher);
  let added = 0;
  let changed = 0;
  for (const [i, r] of res.ratings) {
    const id = String(S.books.book_id[i]);
    if (!S.ratings.has(id)) added++;
    else if (S.ratings.get(id) !== r) changed++;
    S.ratings.set(id, r);
    if (S.hidden.delete(id)) syncActions(id);
    syncStars(id);
  }
  let shelved = 0;
  for (const i of res.want) {
    const id = String(S.books.book_id[i]);
    if (!S.want.has(id) && !S.ratings.has(id)) { S.want.add(id); shelved++; syncActions(id); }
  }
  persist();
  renderMyRatings();
  renderLibrary();
  updateNewReader();
  const M = parsed.rows.length;
  const N = res.matched.length;
  const unrated = res.matched.filter((m) => m.row.rating < 1 && m.row.shelf !== 'to-read').length;
  clear(out);
  out.append(el('p', { class: 'import-summary', text: `Matched ${N.toLocaleString('en')} of ${M.toLocaleString('en')} books from your Goodreads library.` }));
  const facts = [];
  facts.push(`${added} rating${added === 1 ? '' : 's'} added${changed ? `, ${changed} changed` : ''}`);
  if (shelved) facts.push(`${shelved} book${shelved === 1 ? '' : 's'} put on your want-to-read list`);
  if (unrated) facts.push(`${unrated} read or being read but not rated (left out: the model learns from ratings)`);
  out.append(el('p', { class: 'hint', text: `${facts.join('; ')}. Your recommendations now use them.` }));
  if (res.unmatched.length) {
    const det = el('details', { class: 'unmatched' },
      el('summary', { text: `${res.unmatched.length} book${res.unmatched.length === 1 ? ' is' : 's are'} not in this catalogue of ${S.books.book_id.length.toLocaleString('en')} books` }));
    const ul = el('ul', { id: 'gr-unmatched' });
    for (const row of res.unmatched.slice(0, 2000)) {
      ul.append(el('li', {}, el('span', { text: row.title || '(no title)' }), row.author ? el('span', { class: 'rated-authors', text: ` ${row.author}` }) : null));
    }
    det.append(ul);
    out.append(det);
  }
  announce(`Matched ${N} of ${M} books from your Goodreads library.`);
}

function exportReader() {
  const data = makeReaderFile({ ratings: S.ratings, want: S.want, hidden: S.hidden }, S.aside,
    (id) => (S.index.has(id) ? bookTitle(S.index.get(id)) : ''));
  const blob = new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: `bookrec-reader-${data.exported.slice(0, 10)}.json`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  const n = data.ratings.length + data.want.length + data.hidden.length;
  $('data-info').textContent = `Saved ${n} entr${n === 1 ? 'y' : 'ies'} (${data.ratings.length} ratings, ${data.want.length} want to read, ${data.hidden.length} not interested) to ${a.download}.`;
}

async function restoreReader() {
  const info = $('data-info');
  let file;
  try {
    file = await readFileText($('restore-file'));
  } catch (e) {
    info.textContent = `The file could not be read (${e.message}).`;
    return;
  }
  if (!file) return;
  let incoming;
  try {
    incoming = parseReaderFile(file.text);
  } catch (e) {
    info.textContent = `${file.name}: ${e.message}. Nothing was changed.`;
    return;
  }
  const c = mergeReader({ ratings: S.ratings, want: S.want, hidden: S.hidden }, S.aside, incoming.reader, (id) => S.index.has(id));
  persist();
  for (const box of document.querySelectorAll('fieldset.stars')) syncStars(box.dataset.bookId);
  for (const card of document.querySelectorAll('.card')) syncActions(card.dataset.bookId);
  renderMyRatings();
  renderLibrary();
  updateNewReader();
  const parts = [`${c.ratings} rating${c.ratings === 1 ? '' : 's'} added`];
  if (c.changed) parts.push(`${c.changed} changed`);
  parts.push(`${c.want} want to read`, `${c.hidden} not interested`);
  if (c.aside) parts.push(`${c.aside} for books not in this catalogue, kept aside`);
  if (incoming.bad.length) parts.push(`${incoming.bad.length} unreadable entr${incoming.bad.length === 1 ? 'y' : 'ies'} skipped (${incoming.bad[0]})`);
  info.textContent = `Restored from ${file.name}: ${parts.join(', ')}.`;
  announce(info.textContent);
}

// "Clear my ratings": asks first, then offers Undo.
function clearRatingsFlow() {
  $('clear').hidden = true;
  $('clear-confirm').hidden = false;
  $('clear-q').textContent = `Clear all ${S.ratings.size} rating${S.ratings.size === 1 ? '' : 's'}?`;
  $('clear-no').focus();
}

function endClearConfirm(focus) {
  $('clear-confirm').hidden = true;
  $('clear').hidden = false;
  if (focus) focus.focus();
}

function clearRatingsNow() {
  const saved = new Map(S.ratings);
  S.ratings.clear();
  persist();
  saved.forEach((_, id) => syncStars(id));
  renderMyRatings();
  updateNewReader();
  endClearConfirm($('search'));
  announce('Your ratings were cleared.');
  toast(`Your ${saved.size} rating${saved.size === 1 ? ' was' : 's were'} cleared.`, {
    action: 'Undo',
    timeout: 15000,
    onAction: () => {
      for (const [id, r] of saved) if (!S.ratings.has(id)) S.ratings.set(id, r);
      persist();
      saved.forEach((_, id) => syncStars(id));
      renderMyRatings();
      updateNewReader();
      announce('Your ratings are back.');
      $('mine-h').focus();
    },
  });
}

// The service worker (sw.js, written by the site build beside index.html) caches the site for offline
// use. Not there (e.g. web/ served as is) or not allowed: the site works online as before.
function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register(new URL('sw.js', document.baseURI), { scope: './' })
    .then(() => navigator.serviceWorker.ready)
    .then(() => { document.documentElement.dataset.offline = 'ready'; })
    .catch(() => { document.documentElement.dataset.offline = 'unavailable'; });
}

// ------------------------------------------------------------------ genres, series, download progress, the map

// Series, from the catalogue's titles (called once at start, before the first list).
function setupDiscovery() {
  const series = indexSeries(S.books.title);
  S.series = series.first.size ? series : null;
}

// The genre select, once details.json has brought the genres.
function setupGenres() {
  const pick = $('genre-pick');
  const select = $('new-genre');
  if (!S.books.genres || !S.books.genres.length) return; // a catalogue without genre shelves: no filter
  const count = new Array(S.books.genres.length).fill(0);
  for (const g of S.books.genre) for (const k of g) count[k]++;
  S.books.genres.forEach((name, k) => {
    select.append(el('option', { value: String(k), text: `${genreName(k)} (${count[k].toLocaleString('en')})` }));
  });
  select.addEventListener('change', () => {
    S.genre = select.value === '' ? -1 : Number(select.value);
    updateNewReader();
  });
  pick.hidden = false;
}

// "historical-fiction" -> "Historical fiction".
function genreName(k) {
  const s = String(S.books.genres[k]).replace(/[-_]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function genreNote(shown, k) {
  if (S.genre < 0) return '';
  const name = genreName(S.genre).toLowerCase();
  return shown < k ? ` Only ${name} books: ${shown} of them are left to recommend.` : ` Only ${name} books.`;
}

// "#2 in The Stormlight Archive" under a card's authors, or nothing.
function seriesLine(i) {
  const text = S.series ? seriesLabel(S.series.of[i]) : null;
  return text ? el('p', { class: 'series', text }) : null;
}

// A card offered in place of a later book of its series: says so (its own match can be lower than the next card's).
function markSeriesStart(card, later) {
  const s = S.series?.of[later];
  if (!card || !s) return;
  card.dataset.seriesStart = String(S.books.book_id[later]);
  card.querySelector('.info .series')?.after(el('p', { class: 'series-start',
    text: `Offered first: #${s.num} of this series, “${bookTitle(later)}”, matched your taste` }));
}

// The new reader's top k: ranked over the whole catalogue, kept to the chosen genre, and with a series the
// reader has not started offered from its first book (series.js seriesFirst). Returns [{id, i, score, match}].
function rankForNewReader(state, k, exclude) {
  const g = S.genre;
  const extra = S.series ? 10 : 0; // room for the series rule to replace or move books
  const topn = S.model.kind === 'topn';
  let scores = null;
  const scoresOf = () => (scores ||= S.model.scoreState(state));
  const entry = (i, score) => ({ id: String(S.books.book_id[i]), i, score,
    match: topn && Number.isFinite(score) ? S.model.match(score) : null });
  const excluded = new Set(exclude);
  let list;
  if (g >= 0) {
    const sc = scoresOf();
    const cand = [];
    for (let i = 0; i < sc.length; i++) {
      if (S.books.genre[i].includes(g) && Number.isFinite(sc[i]) && !excluded.has(String(S.books.book_id[i]))) cand.push(i);
    }
    cand.sort((a, b) => sc[b] - sc[a] || a - b);
    list = cand.slice(0, k + extra).map((i) => entry(i, sc[i]));
  } else {
    list = S.model.recommendState(state, { k: Math.min(k + extra, S.model.nItems), exclude })
      .map((r) => ({ ...r, i: S.index.get(String(r.id)) }));
  }
  if (S.series) {
    const started = new Set();
    for (const id of S.ratings.keys()) {
      const s = S.series.of[S.index.get(id)];
      if (s) started.add(s.key);
    }
    const inGenre = (f) => g < 0 || S.books.genre[f].includes(g);
    const allowed = (f) => !excluded.has(String(S.books.book_id[f])) && inGenre(f);
    list = seriesFirst(list, S.series, started, allowed, (f, e) => ({ ...entry(f, scoresOf()[f]), startsFor: e.i }), (f) => !inGenre(f));
  }
  return list.slice(0, k);
}

// A progress bar over several downloads: the files' sizes come from the catalogue (before transfer compression,
// which Content-Length would count instead); without them, from Content-Length when the response is not
// compressed; else the bar shows no value (indeterminate). Returns { add(name, total), step(n), done() }.
function downloadProgress(bar, names) {
  const known = S.books?.sizes || {};
  let total = 0;
  let got = 0;
  let unknown = false;
  const seen = new Set();
  const show = () => {
    if (unknown || !total) {
      bar.removeAttribute('value');
      bar.removeAttribute('aria-valuenow');
      bar.setAttribute('aria-valuetext', `${(got / 1048576).toFixed(1)} MB downloaded`);
      return;
    }
    const pct = Math.min(100, Math.round((100 * got) / total));
    bar.value = pct;
    bar.setAttribute('aria-valuenow', String(pct));
    bar.setAttribute('aria-valuetext', `${pct}% of ${(total / 1048576).toFixed(1)} MB`);
  };
  for (const n of names) {
    if (Number.isFinite(known[n]) && known[n] > 0) { total += known[n]; seen.add(n); }
  }
  bar.closest('.progress').hidden = false;
  show();
  return {
    add(name, size) {
      if (seen.has(name)) return;
      seen.add(name);
      if (size > 0) total += size;
      else unknown = true;
      show();
    },
    step(n) {
      got += n;
      show();
    },
    done() {
      bar.closest('.progress').hidden = true;
    },
  };
}

// Downloads one model file with a ReadableStream reader, telling progress how many bytes arrived.
async function fetchWithProgress(name, progress) {
  const res = await openModelFile(name);
  const enc = (res.headers.get('content-encoding') || 'identity').toLowerCase();
  const len = Number(res.headers.get('content-length'));
  progress.add(name, enc === 'identity' && len > 0 ? len : 0);
  if (!res.body || !res.body.getReader) {
    const buf = await res.arrayBuffer();
    progress.step(buf.byteLength);
    return buf;
  }
  const reader = res.body.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.length;
    progress.step(value.length);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out.buffer;
}

// The map of the books: map.js and map.bin are fetched on the first open only.
async function openMap() {
  const button = $('map-open');
  const info = $('map-info');
  if (S.map) { S.map.focus(); return; }
  button.setAttribute('aria-busy', 'true');
  info.textContent = 'Loading the map…';
  try {
    const { createMap } = await import('./map.js');
    const progress = downloadProgress($('map-progress'), ['map.bin']);
    const buf = await fetchWithProgress('map.bin', progress).finally(() => progress.done());
    S.map = createMap($('map-view'), buf, {
      count: S.books.book_id.length,
      title: (i) => `${bookTitle(i)} by ${String(S.books.authors[i] ?? '')}`,
      rated: () => new Set([...S.ratings.keys()].map((id) => S.index.get(id))),
      recommended: () => [...$('rec-new').querySelectorAll('.card')].map((c) => S.index.get(c.dataset.bookId)).filter((i) => i !== undefined),
      select: (i) => showSimilar(String(S.books.book_id[i])),
    });
    button.hidden = true;
    info.textContent = 'Books close together are read by the same readers. Drag or use the arrow keys to move, the wheel, + and − to zoom; press Enter or click a book for similar books.';
    S.map.focus();
  } catch (e) {
    info.textContent = `The map could not be shown: ${e.message}`;
  } finally {
    button.removeAttribute('aria-busy');
  }
}

// ------------------------------------------------------------------ start

// Imports web/bookrec.js (which starts the wasm download) and applies ?nosimd before its first use.
async function importBookrec() {
  const mod = await import('./bookrec.js');
  if (NO_SIMD) mod.configure({ forceNoSimd: true });
  return mod;
}

// Starts the module and the model file downloads; resolves to [module, model bytes].
function fetchModel() {
  const progress = downloadProgress($('model-progress'), ['model-items.bkr']);
  return Promise.all([importBookrec(), fetchWithProgress('model-items.bkr', progress).finally(() => progress.done())]);
}

// The book side of the model, downloaded with a progress bar while the page is already usable; the list then
// becomes the model's own (folding in the ratings given meanwhile).
// `download` (fetchModel()) may have been started before the catalogue arrived.
async function loadModel(download = fetchModel()) {
  const [mod, buf] = await download;
  await mod.ready;
  const model = await mod.Model.load(buf);
  checkCatalogue(S.books, model);
  wasm = mod;
  S.model = model;
  const useSimd = Boolean(wasm.simd);
  S.kernel = `${useSimd ? 'WebAssembly SIMD' : 'WebAssembly, no SIMD'}${wasm.kernel ? ` (${wasm.kernel})` : ''}`;
  document.documentElement.dataset.kernel = useSimd ? 'simd' : 'nosimd';
  updateNewReader();
  performance.mark('bookrec:first-recommendations');
  if (S.ratings.size) announce(`The model has arrived: your ${S.ratings.size} rating${S.ratings.size > 1 ? 's are' : ' is'} folded into the recommendations.`);
  return model;
}

async function main() {
  $('notice-close').addEventListener('click', () => { $('notice').hidden = true; });
  // The catalogue comes first, alone, so it has the whole connection; but when the service worker controls the
  // page its files are on this device and the model is read at once.
  const early = navigator.serviceWorker?.controller ? fetchModel() : null;
  early?.catch(() => {});
  S.books = readCatalogue(await fetchJSON('catalog.json'));
  S.books.book_id.forEach((id, i) => S.index.set(String(id), i));
  const details = fetchBytes('details.json'); // covers, years, averages, genres: right behind the catalogue
  S.modelReady = loadModel(early || undefined);
  S.modelReady.catch(() => {});

  const saved = loadReader((id) => S.index.has(id));
  S.ratings = saved.reader.ratings;
  S.want = saved.reader.want;
  S.hidden = saved.reader.hidden;
  S.aside = saved.aside;
  if (saved.notice) notice(saved.notice, 'warn');

  setupDiscovery();
  renderMyRatings();
  renderLibrary();
  if (!S.model) updateNewReader();
  performance.mark('bookrec:first-list');

  const search = $('search');
  let timer = 0;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => runSearch().catch((e) => { $('search-info').textContent = `Search failed: ${e.message}`; }), 60);
  });
  search.disabled = false;
  // build the search index in slices while the page is idle, or as soon as the search box is focused, so that
  // the first search does not wait for it (a search typed before then builds it at once)
  const warmed = new Promise((resolve) => {
    const warm = () => searcher().warm().catch(() => {}).then(resolve);
    search.addEventListener('focus', warm, { once: true });
    if (window.requestIdleCallback) requestIdleCallback(warm, { timeout: 1000 });
    else setTimeout(warm, 200);
  });
  $('new-k').addEventListener('change', updateNewReader);
  $('clear').addEventListener('click', clearRatingsFlow);
  $('clear-yes').addEventListener('click', clearRatingsNow);
  $('clear-no').addEventListener('click', () => endClearConfirm($('clear')));
  $('toast-close').addEventListener('click', hideToast);
  $('gr-file').addEventListener('change', () => importGoodreads().catch((e) => {
    $('gr-result').textContent = `The import failed: ${e.message}`;
  }));
  $('export').addEventListener('click', exportReader);
  $('restore-file').addEventListener('change', () => restoreReader().catch((e) => {
    $('data-info').textContent = `The file could not be restored: ${e.message}`;
  }));
  $('gr-file').disabled = false;
  $('restore-file').disabled = false;
  $('export').disabled = false;
  $('similar-close').addEventListener('click', () => {
    $('similar').hidden = true;
    $('search').focus();
  });
  $('user-form').addEventListener('submit', recommendForUser);
  $('map-open').addEventListener('click', () => { openMap(); });
  setStatus();
  document.documentElement.dataset.catalog = 'ready';
  // details.json is read once the search index is built (both are main-thread work; the search comes first)
  Promise.all([details, warmed]).then(([buf]) => applyDetails(JSON.parse(new TextDecoder().decode(buf))))
    .catch((e) => notice(`Covers and genres could not be loaded (${e.message}); the rest works.`, 'warn'));

  await S.modelReady;
  $('map-open').disabled = false;
  $('user-go').disabled = false;
  setStatus();
  document.documentElement.dataset.state = 'ready';
  registerServiceWorker();
}

main().catch((e) => {
  document.documentElement.dataset.state = 'error';
  $('status').textContent = 'The recommender could not start.';
  notice(S.books ? `The model could not be loaded: ${e.message}. Search and your ratings still work.`
    : `The recommender could not start: ${e.message}`, 'error');
});
