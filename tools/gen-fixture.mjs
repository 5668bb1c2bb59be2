#!/usr/bin/env node
// gen-fixture.mjs - deterministic synthetic datasets for bookrec's tests and benchmarks (node, no deps).
//
//   node tools/gen-fixture.mjs                 regenerates the committed fixtures:
//       tests/fixtures/goodbooks-mini/   ratings.csv (book_id,user_id,rating; 1..5), books.csv (goodbooks
//                                        columns, hostile title and image url included), genres.json
//       tests/fixtures/catalogue/        a catalogue that looks nothing like goodbooks: string ids, half
//                                        stars, other column names and order, CRLF and a BOM; fixture.json
//                                        says which options read it
//       tests/fixtures/movies/           a catalogue of movies, not books (MovieLens-like columns userId,movieId,
//                                        rating,timestamp; whole-number ratings on a 1..10 scale; movies.csv with
//                                        movieId,title,genres): what the CLI says must speak of movies
//   node tools/gen-fixture.mjs --out DIR        writes the fixtures under DIR instead
//   node tools/gen-fixture.mjs --scale N --out FILE
//       streams a goodbooks-shaped ratings file N times the size of the 981,756-row goodbooks file
//       (N x 53,424 users, 10,000 books) to FILE, for the scaling benchmark; never committed.
//
// Everything comes from a known factor model (genre vectors, user tastes, biases), so a model trained on
// it can learn something, and a reader who likes only fantasy should be recommended fantasy. The output
// depends only on the seed (--seed, default 1): the same command writes the same bytes.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ------------------------------------------------------------------ deterministic randomness
function rng(seed) {
  let s = (seed >>> 0) || 1;
  const next = () => { // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = Math.max(next(), 1e-12), v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (a) => a[int(a.length)];
  return { next, normal, int, pick };
}

const GENRES = ['fantasy', 'crime', 'romance', 'science', 'history'];
const DIM = 6;

// A factor model: genre directions, books near their genre, users mixing one or two liked genres.
function factorModel(r, nUsers, nBooks, genreOf) {
  const gvec = GENRES.map(() => Array.from({ length: DIM }, () => r.normal()));
  const books = [];
  for (let b = 0; b < nBooks; b++) {
    const g = genreOf(b);
    books.push({
      g,
      q: gvec[g].map((x) => 0.8 * x + 0.35 * r.normal()),
      bias: 0.35 * r.normal(),
      pop: Math.exp(1.1 * r.normal()), // how often it gets rated, independent of genre
    });
  }
  const users = [];
  for (let u = 0; u < nUsers; u++) {
    const likes = [r.int(GENRES.length)];
    if (r.next() < 0.4) likes.push(r.int(GENRES.length));
    const p = Array.from({ length: DIM }, (_, k) => likes.reduce((s, g) => s + gvec[g][k], 0) / likes.length * 0.8 + 0.25 * r.normal());
    users.push({ likes, p, bias: 0.3 * r.normal(), n: 10 + Math.floor(Math.exp(r.normal() * 0.6) * 18) });
  }
  return { books, users };
}

const dot = (a, b) => a.reduce((s, x, k) => s + x * b[k], 0);

// Chooses distinct books for a user: mostly from liked genres, weighted by popularity.
function chooseBooks(r, user, books, n) {
  const w = books.map((b) => b.pop * (user.likes.includes(b.g) ? 6 : 1));
  const total = w.reduce((s, x) => s + x, 0);
  const chosen = new Set();
  let guard = 0;
  while (chosen.size < Math.min(n, books.length) && guard++ < n * 50) {
    let x = r.next() * total, b = 0;
    while (b < books.length - 1 && x >= w[b]) { x -= w[b]; b++; }
    chosen.add(b);
  }
  return [...chosen];
}

function rate(r, user, book, mean) {
  return mean + user.bias + book.bias + 0.45 * dot(user.p, book.q) + 0.45 * r.normal();
}

// RFC 4180 quoting when needed.
const q = (v) => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

const WORDS1 = ['Silent', 'Crimson', 'Hidden', 'Last', 'Winter', 'Golden', 'Broken', 'Distant', 'Iron', 'Quiet',
  'Burning', 'Seventh', 'Paper', 'Hollow', 'Northern'];
const WORDS2 = {
  fantasy: ['Dragon', 'Crown', 'Sorcerer', 'Kingdom', 'Sword', 'Throne', 'Spell'],
  crime: ['Murder', 'Witness', 'Alibi', 'Detective', 'Verdict', 'Suspect', 'Heist'],
  romance: ['Heart', 'Summer', 'Promise', 'Wedding', 'Letters', 'Kiss', 'Meadow'],
  science: ['Universe', 'Atom', 'Genome', 'Orbit', 'Theory', 'Signal', 'Brain'],
  history: ['Empire', 'Revolution', 'Century', 'Republic', 'Siege', 'Dynasty', 'Voyage'],
};
const FIRST = ['Anna', 'James', 'Mei', 'Olu', 'Sofia', 'Lars', 'Priya', 'Tomás', 'Zoë', 'Kenji', 'Amara', 'Hugo'];
const LAST = ['Berg', 'Okafor', 'Lindqvist', 'Tanaka', 'Moreau', 'Novak', 'García', 'Reed', 'Ivanova', 'Shah'];

// ------------------------------------------------------------------ (a) goodbooks-like fixture
function goodbooksMini(dir, seed) {
  const r = rng(seed);
  const nUsers = 400, nBooks = 300, block = nBooks / GENRES.length; // genre g = books g*60+1 .. (g+1)*60
  const { books, users } = factorModel(r, nUsers, nBooks, (b) => Math.floor(b / block));
  const rows = [];
  users.forEach((u, ui) => {
    for (const b of chooseBooks(r, u, books, u.n)) {
      const v = Math.min(5, Math.max(1, Math.round(rate(r, u, books[b], 3.8))));
      rows.push([b + 1, ui + 1, v]);
    }
  });
  // every book gets at least one rating, so books.csv and the ratings cover the same books
  const rated = new Set(rows.map((x) => x[0]));
  for (let b = 0; b < nBooks; b++) {
    if (rated.has(b + 1)) continue;
    const ui = r.int(nUsers);
    rows.push([b + 1, ui + 1, Math.min(5, Math.max(1, Math.round(rate(r, users[ui], books[b], 3.8))))]);
  }
  // a few repeated (user, book) pairs, as goodbooks has: the last one counts
  let duplicates = 0, conflicting = 0;
  const dups = [];
  for (let k = 0; k < 25; k++) {
    const [b, u, v] = rows[r.int(rows.length)];
    if (dups.some((d) => d[0] === b && d[1] === u)) continue;
    const nv = k % 3 === 0 ? v : 1 + ((v + k) % 5);
    dups.push([b, u, nv]);
    duplicates++;
    if (nv !== v) conflicting++;
  }
  rows.push(...dups);
  // goodbooks' 981k file is ordered by book; keep that (stable, so a duplicate stays after its original)
  const order = rows.map((row, i) => [row, i]).sort((a, b) => a[0][0] - b[0][0] || a[1] - b[1]).map((x) => x[0]);
  writeFileSync(path.join(dir, 'ratings.csv'), 'book_id,user_id,rating\n' + order.map((x) => x.join(',')).join('\n') + '\n');

  // books.csv with goodbooks' column names (a subset, in goodbooks' order)
  const sums = new Array(nBooks).fill(0), counts = new Array(nBooks).fill(0);
  for (const [b, , v] of rows) { sums[b - 1] += v; counts[b - 1]++; }
  const head = ['book_id', 'goodreads_book_id', 'best_book_id', 'work_id', 'books_count', 'isbn', 'isbn13', 'authors',
    'original_publication_year', 'original_title', 'title', 'language_code', 'average_rating', 'ratings_count',
    'image_url', 'small_image_url'];
  const lines = [head.join(',')];
  const fantasy = [];
  const hostile = { title_book_id: '7', image_book_id: '13' };
  for (let b = 0; b < nBooks; b++) {
    const g = books[b].g;
    const id = b + 1;
    if (GENRES[g] === 'fantasy') fantasy.push(String(id));
    let title = `The ${r.pick(WORDS1)} ${r.pick(WORDS2[GENRES[g]])}`;
    if (r.next() < 0.25) title += ` (The ${r.pick(WORDS2[GENRES[g]])} Cycle, #${1 + r.int(5)})`;
    if (id === 7) title = '<img src=x onerror=alert(1)>';
    if (id === 21) title = 'He said "never", she said "always"';
    if (id === 34) title = 'Der Zauberberg – Ünïcödé, 魔の山';
    let authors = `${r.pick(FIRST)} ${r.pick(LAST)}`;
    if (r.next() < 0.15) authors += `, ${r.pick(FIRST)} ${r.pick(LAST)}`;
    const year = id % 29 === 0 ? '' : `${1850 + r.int(170)}.0`;
    const gid = 1000 + id * 37;
    let img = `https://images.example.org/covers/${gid}m.jpg`, small = `https://images.example.org/covers/${gid}s.jpg`;
    if (id === 13) { img = 'javascript:alert(1)'; small = 'javascript:alert(1)'; authors = '<b onmouseover=alert(1)>Mallory</b>'; }
    const avg = counts[b] ? (sums[b] / counts[b]).toFixed(2) : '';
    const isbn = String(100000000 + id * 7919).slice(0, 9);
    lines.push([id, gid, gid, gid + 5, 1 + r.int(40), isbn, `9.78${isbn}e+12`, authors, year, title, title, 'eng', avg,
      counts[b] * 100, img, small].map(q).join(','));
  }
  writeFileSync(path.join(dir, 'books.csv'), lines.join('\n') + '\n');
  const users_ = new Set(rows.map((x) => x[1])), items_ = new Set(rows.map((x) => x[0]));
  writeFileSync(path.join(dir, 'genres.json'), JSON.stringify({
    about: 'tools/gen-fixture.mjs: genre of each book of this fixture (genre g is the block of book ids g*60+1..g*60+60)',
    fantasy,
    genres: Object.fromEntries(books.map((b, i) => [String(i + 1), GENRES[b.g]])),
    expect: { rows: rows.length, duplicates, conflicting, users: users_.size, items: items_.size, books: nBooks },
    hostile,
  }, null, 1) + '\n');
  return { rows: rows.length, duplicates, conflicting };
}

// ------------------------------------------------------------------ (b) a catalogue unlike goodbooks
function catalogue(dir, seed) {
  const r = rng(seed + 1000);
  const nUsers = 150, nItems = 120;
  const { books, users } = factorModel(r, nUsers, nItems, (b) => b % GENRES.length);
  const hex = (n) => n.toString(16).padStart(4, '0');
  const memberIds = users.map((_, i) => `u-${hex((0x7f3a + i * 2654435761) >>> 16)}${i}`);
  const itemIds = books.map((_, i) => `isbn-978${String(1000000000 + ((i * 48271) % 899999999)).slice(0, 10)}`);
  const devices = ['web', 'ios', 'android', 'e-reader, kindle'];
  const rows = [];
  let t = 1700000000;
  users.forEach((u, ui) => {
    for (const b of chooseBooks(r, u, books, Math.max(8, Math.round(u.n * 0.9)))) {
      const v = Math.min(5, Math.max(0.5, Math.round((rate(r, u, books[b], 3.0) * 1.25 - 0.6) * 2) / 2));
      t += 1 + r.int(5000);
      rows.push([t, itemIds[b], v.toFixed(1).replace(/\.0$/, ''), memberIds[ui], r.pick(devices)]);
    }
  });
  for (let k = rows.length - 1; k > 0; k--) { const j = r.int(k + 1); [rows[k], rows[j]] = [rows[j], rows[k]]; }
  const bom = '\ufeff';
  writeFileSync(path.join(dir, 'ratings.csv'),
    bom + 'when,item,score,member,device\r\n' + rows.map((x) => x.map(q).join(',')).join('\r\n') + '\r\n');
  const lines = ['item,name,writer,cover,published,pages'];
  books.forEach((b, i) => {
    const title = `${r.pick(WORDS1)} ${r.pick(WORDS2[GENRES[b.g]])}${i % 10 === 3 ? ', Revisited' : ''}`;
    lines.push([itemIds[i], title, `${r.pick(LAST)}, ${r.pick(FIRST)}`, `https://covers.example.net/${itemIds[i]}.png`,
      1900 + r.int(120), 100 + r.int(600)].map(q).join(','));
  });
  writeFileSync(path.join(dir, 'books.csv'), lines.join('\r\n') + '\r\n');
  const scores = rows.map((x) => Number(x[2]));
  writeFileSync(path.join(dir, 'fixture.json'), JSON.stringify({
    about: 'tools/gen-fixture.mjs: a catalogue unlike goodbooks (string ids, half stars, CRLF, BOM, other columns)',
    ratings: { user_col: 'member', item_col: 'item', rating_col: 'score' },
    items: { id_col: 'item', title_col: 'name', author_col: 'writer', image_col: 'cover', year_col: 'published' },
    cli: ['--user-col', 'member', '--item-col', 'item', '--rating-col', 'score'],
    expect: {
      rows: rows.length, users: new Set(rows.map((x) => x[3])).size, items: new Set(rows.map((x) => x[1])).size,
      min_rating: Math.min(...scores), max_rating: Math.max(...scores), books: nItems,
    },
    genres: Object.fromEntries(books.map((b, i) => [itemIds[i], GENRES[b.g]])),
  }, null, 1) + '\n');
  return { rows: rows.length };
}

// ------------------------------------------------------------------ (b2) movies, not books
function movies(dir, seed) {
  const r = rng(seed + 2000);
  const nUsers = 120, nMovies = 80;
  const { books, users } = factorModel(r, nUsers, nMovies, (b) => b % GENRES.length);
  const KIND = { fantasy: 'Fantasy|Adventure', crime: 'Crime|Thriller', romance: 'Romance|Drama',
    science: 'Sci-Fi', history: 'Documentary|War' };
  const rows = [];
  let t = 964982703;
  users.forEach((u, ui) => {
    for (const b of chooseBooks(r, u, books, Math.max(6, Math.round(u.n * 0.6)))) {
      // whole numbers on 1..10 (two points per star of the factor model's 1..5)
      const v = Math.min(10, Math.max(1, Math.round(rate(r, u, books[b], 3.4) * 2)));
      t += 1 + r.int(90000);
      rows.push([ui + 1, 10 * (b + 1) + 1, v, t]);
    }
  });
  rows.sort((a, b) => a[0] - b[0] || a[3] - b[3]);
  writeFileSync(path.join(dir, 'ratings.csv'), 'userId,movieId,rating,timestamp\n' + rows.map((x) => x.join(',')).join('\n') + '\n');
  const lines = ['movieId,title,genres'];
  books.forEach((b, i) => {
    const title = `The ${r.pick(WORDS1)} ${r.pick(WORDS2[GENRES[b.g]])} (${1950 + r.int(70)})`;
    lines.push([10 * (i + 1) + 1, title, KIND[GENRES[b.g]]].map(q).join(','));
  });
  writeFileSync(path.join(dir, 'movies.csv'), lines.join('\n') + '\n');
  const scores = rows.map((x) => x[2]);
  writeFileSync(path.join(dir, 'fixture.json'), JSON.stringify({
    about: 'tools/gen-fixture.mjs: movies, not books (MovieLens-like columns, whole-number ratings on 1..10)',
    cli: ['--ratings', 'ratings.csv', '--books', 'movies.csv', '--user-col', 'userId', '--item-col', 'movieId',
      '--item-id-col', 'movieId', '--noun', 'movie'],
    expect: {
      rows: rows.length, users: new Set(rows.map((x) => x[0])).size, items: new Set(rows.map((x) => x[1])).size,
      min_rating: Math.min(...scores), max_rating: Math.max(...scores), movies: nMovies,
    },
  }, null, 1) + '\n');
  return { rows: rows.length };
}

// ------------------------------------------------------------------ (c) large synthetic ratings
async function scaled(n, file, seed) {
  const r = rng(seed + 77);
  const nBooks = 10000, nUsers = Math.round(53424 * n), total = Math.round(981756 * n);
  const K = 4, G = 8;
  const gvec = Array.from({ length: G }, () => Array.from({ length: K }, () => r.normal()));
  const bq = new Float32Array(nBooks * K), bb = new Float32Array(nBooks), bg = new Uint8Array(nBooks);
  for (let b = 0; b < nBooks; b++) {
    bg[b] = r.int(G);
    bb[b] = 0.35 * r.normal();
    for (let k = 0; k < K; k++) bq[b * K + k] = 0.8 * gvec[bg[b]][k] + 0.35 * r.normal();
  }
  const out = createWriteStream(file);
  const write = (s) => new Promise((resolve) => (out.write(s) ? resolve() : out.once('drain', resolve)));
  await write('book_id,user_id,rating\n');
  const per = total / nUsers; // about 18.4 ratings per user
  let written = 0, chunk = [];
  const p = new Float32Array(K);
  for (let u = 1; u <= nUsers && written < total; u++) {
    const g = r.int(G), ub = 0.3 * r.normal();
    for (let k = 0; k < K; k++) p[k] = 0.8 * gvec[g][k] + 0.25 * r.normal();
    const cnt = u === nUsers ? total - written : Math.min(total - written, Math.max(1, Math.round(per * (0.3 + 1.4 * r.next()))));
    for (let c = 0; c < cnt; c++) {
      const b = r.int(nBooks);
      let s = 3.8 + ub + bb[b] + 0.45 * r.normal();
      for (let k = 0; k < K; k++) s += 0.45 * p[k] * bq[b * K + k];
      const v = s < 1.5 ? 1 : s < 2.5 ? 2 : s < 3.5 ? 3 : s < 4.5 ? 4 : 5;
      chunk.push(`${b + 1},${u},${v}`);
      written++;
    }
    if (chunk.length >= 50000) { await write(chunk.join('\n') + '\n'); chunk = []; }
  }
  if (chunk.length) await write(chunk.join('\n') + '\n');
  await new Promise((resolve) => out.end(resolve));
  return { rows: written, users: nUsers, books: nBooks };
}

// ------------------------------------------------------------------ command line
async function main() {
  const args = process.argv.slice(2);
  const opt = { seed: 1 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--scale') opt.scale = Number(args[++i]);
    else if (a === '--out') opt.out = args[++i];
    else if (a === '--seed') opt.seed = Number(args[++i]);
    else if (a === '-h' || a === '--help') {
      console.log('usage: node tools/gen-fixture.mjs [--out DIR] [--seed N]\n       node tools/gen-fixture.mjs --scale N --out FILE [--seed N]');
      return;
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (!Number.isInteger(opt.seed) || opt.seed < 0) throw new Error('--seed takes a non-negative integer');
  if (opt.scale !== undefined) {
    if (!(opt.scale > 0 && opt.scale <= 100)) throw new Error('--scale takes a number in (0, 100]');
    if (!opt.out) throw new Error('--scale needs --out FILE (the large file is never written into the repository)');
    mkdirSync(path.dirname(path.resolve(opt.out)), { recursive: true });
    const t = Date.now();
    const s = await scaled(opt.scale, opt.out, opt.seed);
    console.log(`wrote ${opt.out}: ${s.rows} ratings, ${s.users} users, ${s.books} books in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return;
  }
  const base = opt.out ? path.resolve(opt.out) : path.join(ROOT, 'tests', 'fixtures');
  const a = path.join(base, 'goodbooks-mini'), b = path.join(base, 'catalogue'), c = path.join(base, 'movies');
  for (const d of [a, b, c]) mkdirSync(d, { recursive: true });
  const ra = goodbooksMini(a, opt.seed), rb = catalogue(b, opt.seed), rc = movies(c, opt.seed);
  console.log(`wrote ${a}: ${ra.rows} ratings (${ra.duplicates} repeated pairs, ${ra.conflicting} conflicting)`);
  console.log(`wrote ${b}: ${rb.rows} ratings`);
  console.log(`wrote ${c}: ${rc.rows} ratings`);
}

main().catch((e) => {
  console.error(`gen-fixture: ${e.message}`);
  process.exit(1);
});
