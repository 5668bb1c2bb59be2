// The bookrec site: loads the book side of the model into the WebAssembly module (web/bookrec.js),
// then offers three panels: a new reader who searches and rates books (folded into the model after
// every rating, kept in localStorage), a reader from the dataset (the users part of the model and
// their rated lists are fetched only when that panel is used), and similar books for any book shown.
// All data is inserted as text through dom.js. This file holds the page logic only: no model maths
// (that is the C core) and no storage format details (store.js, rated.js).
import { ready, configure, Model } from './bookrec.js';
import * as wasm from './bookrec.js';
import { el, clear, coverImage } from './dom.js';
import { loadRatings, saveRatings, clearRatings } from './store.js';
import { decodeRated } from './rated.js';
import { createSearch } from './search.js';

// `?nosimd` in the page URL runs the scalar build (for comparisons); must precede the module's first use.
if (new URLSearchParams(location.search).has('nosimd')) configure({ forceNoSimd: true });

const ASSETS = new URL('./', import.meta.url);
const MODEL_DIR = new URL('model/', ASSETS);
const PLACEHOLDER = new URL('cover.svg', ASSETS).href;
const SEARCH_LIMIT = 20;
const SIMILAR_K = 12;

const $ = (id) => document.getElementById(id);

const S = {
  model: null,
  books: null,          // columnar catalogue: book_id[], title[], authors[], image[], year[], avg[]
  index: new Map(),     // book id -> dense index
  ratings: new Map(),   // the new reader's ratings: book id -> 1..5 (insertion order = order rated)
  search: null,         // the book searcher (search.js), built on first use
  users: null,          // promise of the rated lists once the users part is loaded
  kernel: '',
  lastTiming: '',
  radioSeq: 0,
  similarOf: null,
};

// ------------------------------------------------------------------ status and notices

function setStatus() {
  const parts = [];
  if (S.kernel) parts.push(`kernel: ${S.kernel}`);
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

function ms(t) {
  return t < 10 ? t.toFixed(2) : t.toFixed(1);
}

// ------------------------------------------------------------------ loading

async function fetchBytes(name) {
  let res;
  try {
    res = await fetch(new URL(name, MODEL_DIR));
  } catch (e) {
    throw new Error(`could not download ${name} (${e.message})`);
  }
  if (!res.ok) throw new Error(`could not download ${name}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

async function fetchJSON(name) {
  const buf = await fetchBytes(name);
  try {
    return JSON.parse(new TextDecoder().decode(buf));
  } catch (e) {
    throw new Error(`${name} is not valid JSON (${e.message})`);
  }
}

function checkCatalogue(books, model) {
  const n = books.book_id.length;
  for (const key of ['title', 'authors', 'image', 'year', 'avg']) {
    if (!Array.isArray(books[key]) || books[key].length !== n) throw new Error(`catalog.json: field ${key} should have ${n} entries`);
  }
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

function starRating(id, i) {
  const current = S.ratings.get(id) || 0;
  const name = `rate-${++S.radioSeq}`;
  const box = el('fieldset', { class: 'stars', dataset: { bookId: id } },
    el('legend', { class: 'sr-only', text: `Your rating of ${bookTitle(i)}` }));
  for (let r = 1; r <= 5; r++) {
    const inputId = `${name}-${r}`;
    const words = `${r} star${r > 1 ? 's' : ''}`;
    const input = el('input', { type: 'radio', name, id: inputId, value: r, class: 'sr-only' });
    input.checked = r === current;
    input.addEventListener('change', () => {
      if (input.checked) setRating(id, r);
    });
    const label = el('label', { for: inputId, class: r <= current ? 'on' : null, title: words },
      el('span', { 'aria-hidden': 'true', text: '★' }), el('span', { class: 'sr-only', text: words }));
    box.append(input, label);
  }
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

// One book as a list item: cover, title, authors, year / average, an optional score line and reason, the
// star rating control and a "Similar books" button.
function bookCard(i, { score = null, scoreKind = 'rating', match = null, why = null, tag = 'li' } = {}) {
  const b = S.books;
  const id = String(b.book_id[i]);
  const title = bookTitle(i);
  const facts = [];
  if (b.year[i]) facts.push(String(b.year[i]));
  if (b.avg[i]) facts.push(`avg ${Number(b.avg[i]).toFixed(2)}`);
  const st = scoreText(score, scoreKind, match);
  const scoreLine = st ? el('p', { class: 'score', text: st, title: S.model?.kind === 'topn' && scoreKind !== 'similarity'
    ? 'The chance that a reader with your ratings reads this book and rates it highly, measured on readers held out of training'
    : null }) : null;
  const because = becauseText(why);
  const reason = because ? el('p', { class: 'because', text: because }) : null;
  return el(tag, { class: 'card', dataset: { bookId: id } },
    coverImage(b.image[i], PLACEHOLDER),
    el('div', { class: 'info' },
      el('h4', { class: 'title', text: title }),
      el('p', { class: 'authors', text: String(b.authors[i] ?? '') }),
      facts.length ? el('p', { class: 'facts', text: facts.join(' · ') }) : null,
      scoreLine,
      reason,
      starRating(id, i),
      el('button', { type: 'button', class: 'similar', 'aria-label': `Books similar to ${title}`, onclick: () => showSimilar(id) }, 'Similar books')));
}

// Replaces a list's content with cards for results [{id, score, match}], keeping keyboard focus sensible;
// with a top-N reader `state`, each card names the rated books behind it.
function renderResults(list, results, scoreKind, focusTarget, state = null) {
  const hadFocus = list.contains(document.activeElement);
  clear(list);
  const explains = state && S.model?.arch === 'ease';
  for (const r of results) {
    const i = S.index.get(String(r.id));
    if (i === undefined) continue;
    const why = explains ? S.model.explain(state, r.id, { k: 2 }) : null;
    list.append(bookCard(i, { score: r.score, scoreKind, match: r.match ?? null, why }));
  }
  list.dataset.updated = String(Number(list.dataset.updated || 0) + 1);
  if (hadFocus && focusTarget) focusTarget.focus();
}

function syncStars(id) {
  const r = S.ratings.get(id) || 0;
  for (const box of document.querySelectorAll('fieldset.stars')) {
    if (box.dataset.bookId !== id) continue;
    for (const input of box.querySelectorAll('input')) {
      const v = Number(input.value);
      input.checked = v === r;
      input.nextElementSibling.classList.toggle('on', v <= r);
    }
  }
}

// ------------------------------------------------------------------ new reader

function setRating(id, r) {
  S.ratings.delete(id);
  S.ratings.set(id, r);
  persist();
  syncStars(id);
  renderMyRatings();
  updateNewReader();
}

function removeRating(id) {
  S.ratings.delete(id);
  persist();
  syncStars(id);
  renderMyRatings();
  updateNewReader();
}

function persist() {
  const problem = saveRatings(S.ratings);
  if (problem) notice(`Note: ${problem}.`, 'warn');
}

function renderMyRatings() {
  const list = $('my-ratings');
  const hadFocus = list.contains(document.activeElement);
  clear(list);
  const entries = [...S.ratings].reverse(); // most recent first
  for (const [id] of entries) {
    const i = S.index.get(id);
    list.append(el('li', { class: 'rated', dataset: { bookId: id } },
      el('span', { class: 'rated-title', text: bookTitle(i) }),
      el('span', { class: 'rated-authors', text: String(S.books.authors[i] ?? '') }),
      starRating(id, i),
      el('button', { type: 'button', class: 'remove', 'aria-label': `Remove your rating of ${bookTitle(i)}`, onclick: () => removeRating(id) }, 'Remove')));
  }
  $('mine-count').textContent = S.ratings.size ? `(${S.ratings.size})` : '';
  $('mine-empty').hidden = S.ratings.size > 0;
  $('clear').disabled = S.ratings.size === 0;
  if (hadFocus) $('mine-h').focus();
}

// The state of a reader the model knows nothing about: all zeros (a top-N model then ranks by its
// popularity prior; a rating model by the zero user vector that fold-in's L2 pull tends to).
function emptyState() {
  if (!S.zeroState) S.zeroState = new Float32Array(S.model.stateSize);
  return S.zeroState;
}

function updateNewReader() {
  const k = Number($('new-k').value) || 10;
  const list = $('rec-new');
  const info = $('rec-new-info');
  const pairs = [...S.ratings].map(([id, r]) => [id, r]);
  try {
    const t0 = performance.now();
    const state = pairs.length ? S.model.foldIn(pairs) : emptyState();
    const t1 = performance.now();
    const recs = S.model.recommendState(state, { k, exclude: [...S.ratings.keys()] });
    const t2 = performance.now();
    const scoring = `top-${k} of ${S.model.nItems.toLocaleString('en')} ${ms(t2 - t1)} ms`;
    S.lastTiming = pairs.length ? `fold-in ${ms(t1 - t0)} ms + ${scoring}` : scoring;
    info.textContent = S.ratings.size
      ? `From your ${S.ratings.size} rating${S.ratings.size > 1 ? 's' : ''}; books you rated are left out.`
      : 'What the model suggests before it knows you. Rate books to make these yours.';
    renderResults(list, recs, 'rating', $('rec-new-h'), pairs.length ? state : null);
    announce(`Recommendations updated: ${recs.length} books.`);
  } catch (e) {
    info.textContent = `Could not compute recommendations: ${e.message}`;
    clear(list);
    list.dataset.updated = String(Number(list.dataset.updated || 0) + 1);
  }
  setStatus();
}

function searcher() {
  if (!S.search) {
    S.search = createSearch(S.books.title, S.books.authors, async () => (await import('./fuse.mjs')).default);
  }
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
  const { hits, fuzzy } = await searcher().search(q, SEARCH_LIMIT);
  const t1 = performance.now();
  if (seq !== searchSeq) return; // a newer query is on its way
  clear(list);
  for (const i of hits) list.append(bookCard(i));
  list.dataset.updated = String(Number(list.dataset.updated || 0) + 1);
  info.textContent = hits.length
    ? `${hits.length} ${fuzzy ? 'closest' : 'best'} match${hits.length > 1 ? 'es' : ''} (${ms(t1 - t0)} ms). Rate the ones you have read.`
    : 'No book matches. Try another spelling, a shorter part of the title, or the author.';
}

// ------------------------------------------------------------------ similar books

function showSimilar(id) {
  const i = S.index.get(id);
  const section = $('similar');
  const list = $('similar-list');
  section.hidden = false;
  S.similarOf = id;
  $('similar-h').textContent = `Books similar to “${bookTitle(i)}”`;
  try {
    const t0 = performance.now();
    const recs = S.model.similar(id, { k: SIMILAR_K });
    const t1 = performance.now();
    S.lastTiming = `similar ${ms(t1 - t0)} ms`;
    $('similar-info').textContent = S.model.kind === 'topn'
      ? 'The books readers of this one read and liked beyond what their popularity explains.'
      : 'Nearest books by the cosine of their learned embeddings.';
    renderResults(list, recs, 'similarity', null);
  } catch (e) {
    $('similar-info').textContent = `Could not find similar books: ${e.message}`;
    clear(list);
  }
  setStatus();
  section.scrollIntoView({ block: 'start' });
  $('similar-h').focus({ preventScroll: true });
}

// ------------------------------------------------------------------ reader from the dataset

function ensureUsers() {
  if (!S.users) {
    S.users = (async () => {
      const [usersBuf, ratedBuf] = await Promise.all([fetchBytes('model-users.bkr'), fetchBytes('rated.bin')]);
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

async function recommendForUser(ev) {
  ev.preventDefault();
  const input = $('user-id');
  const info = $('user-info');
  const list = $('rec-user');
  const userId = input.value.trim();
  const k = Number($('user-k').value) || 10;
  if (!userId || userId.length > 64) {
    info.textContent = 'Enter a user id from the dataset, for example 100.';
    input.focus();
    return;
  }
  const button = $('user-go');
  button.disabled = true;
  info.textContent = S.model.hasUsers() ? 'Computing…' : 'Loading the dataset’s readers (first use only)…';
  try {
    const rated = await ensureUsers();
    const mine = rated.get(userId);
    const exclude = mine ? Array.from(mine.items, (i) => String(S.books.book_id[i])) : [];
    const t0 = performance.now();
    const recs = S.model.recommendUser(userId, { k, exclude });
    const t1 = performance.now();
    const userState = S.model.arch === 'ease' ? S.model.userState(userId) : null;
    S.lastTiming = `top-${k} for user ${userId} ${ms(t1 - t0)} ms`;
    const n = mine ? mine.items.length : 0;
    info.textContent = `Top ${recs.length} for user ${userId}. The ${n} book${n === 1 ? '' : 's'} they rated ${n === 1 ? 'is' : 'are'} left out.`;
    renderResults(list, recs, 'rating', null, userState);
    renderUserRated(mine);
    announce(`Recommendations for user ${userId}: ${recs.length} books.`);
  } catch (e) {
    info.textContent = e.message;
    clear(list);
    renderUserRated(null);
  } finally {
    button.disabled = false;
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

// ------------------------------------------------------------------ start

async function main() {
  $('notice-close').addEventListener('click', () => { $('notice').hidden = true; });
  const [books, modelBuf] = await Promise.all([fetchJSON('catalog.json'), fetchBytes('model-items.bkr'), ready]);
  S.books = books;
  const model = await Model.load(modelBuf);
  checkCatalogue(books, model);
  S.model = model;
  books.book_id.forEach((id, i) => S.index.set(String(id), i));
  const useSimd = Boolean(wasm.simd);
  S.kernel = `${useSimd ? 'WebAssembly SIMD' : 'WebAssembly, no SIMD'}${wasm.kernel ? ` (${wasm.kernel})` : ''}`;
  document.documentElement.dataset.kernel = useSimd ? 'simd' : 'nosimd';

  const saved = loadRatings((id) => S.index.has(id));
  S.ratings = saved.ratings;
  if (saved.notice) notice(saved.notice, 'warn');

  renderMyRatings();
  updateNewReader();
  performance.mark('bookrec:first-recommendations');

  const search = $('search');
  let timer = 0;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => runSearch().catch((e) => { $('search-info').textContent = `Search failed: ${e.message}`; }), 60);
  });
  search.addEventListener('focus', () => { searcher(); }, { once: true });
  search.disabled = false;
  $('new-k').addEventListener('change', updateNewReader);
  $('clear').addEventListener('click', () => {
    const ids = [...S.ratings.keys()];
    S.ratings.clear();
    clearRatings();
    ids.forEach(syncStars);
    renderMyRatings();
    updateNewReader();
    announce('Your ratings were cleared.');
    $('search').focus();
  });
  $('similar-close').addEventListener('click', () => {
    $('similar').hidden = true;
    $('search').focus();
  });
  $('user-form').addEventListener('submit', recommendForUser);
  $('user-go').disabled = false;
  setStatus();
  document.documentElement.dataset.state = 'ready';
}

main().catch((e) => {
  document.documentElement.dataset.state = 'error';
  $('status').textContent = 'The recommender could not start.';
  notice(`The recommender could not start: ${e.message}`, 'error');
});
