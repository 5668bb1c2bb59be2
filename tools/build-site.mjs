// `npm run build:site [-- --models DIR --data DIR --wasm DIR --out DIR]`: builds the static site in
// dist/ from web/, the WebAssembly build (build-wasm/web/wasm/) and the exported model (models/).
// Everything but index.html and sw.js goes into a/<content hash>/, so those files can be cached for a
// year (firebase.json) and a new build is picked up at once. It also writes:
//   - sw.js: the service worker (web/sw.js with this build's asset folder and first-view files), which
//     keeps the site usable offline;
//   - catalog.json: what the first view needs, fetched before the model: every book's title and authors (the
//     list and the search), the book ids only when they are not 1..n, the starter list (the books the shipped
//     model ranks first for a reader with no ratings, computed here with the page's own WebAssembly module)
//     with those books' covers, years and averages, and the byte sizes of the files the page shows download
//     progress for;
//   - details.json: the rest of each book, fetched right after catalog.json: covers (URL prefixes factored
//     out into imageBase), year, average rating, the Goodreads id for the link (gr), and the genre shelves of
//     books.json (bookrec export) as a vocabulary (genres, most common first) with each book's indices into it
//     (genre, strongest first);
//   - model/map.bin: the 2-D book map bookrec export wrote, when it did (fetched only when the map is opened);
//   - model/match.json: what the Goodreads import matches on besides titles and authors (Goodreads ids,
//     ISBN-13s, original titles; web/goodreads.js makeMatchData), from books.csv beside the ratings CSV;
//     fetched only when a reader imports a Goodreads library. catalog.json gets the Goodreads id (gr)
//     for the link on each card, 0 where the cover URL holds it;
//   - rated.bin: for each dataset reader, the books they rated (web/rated.js documents the format),
//     made from the ratings CSV, so their recommendations can leave those books out;
//   - .gz twins of compressible files for tools/serve.mjs (Firebase and GitHub Pages compress by themselves).
// It trains nothing and compiles nothing: missing inputs stop it with a message saying what to run.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync, constants as zc } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { makeMatchData, goodreadsIdFromCover } from '../web/goodreads.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WEB_FILES = ['app.js', 'dom.js', 'store.js', 'rated.js', 'search.js', 'goodreads.js', 'series.js', 'map.js', 'style.css', 'icon.svg',
  'cover.svg', 'bookrec.js', 'manifest.webmanifest'];
// What a first view needs (the service worker caches these on install; the rest when first used).
const FIRST_VIEW = ['app.js', 'dom.js', 'store.js', 'rated.js', 'search.js', 'goodreads.js', 'series.js', 'style.css', 'icon.svg', 'cover.svg', 'bookrec.js',
  'manifest.webmanifest', 'wasm/bookrec-simd.mjs', 'wasm/bookrec-simd.wasm', 'model/catalog.json', 'model/details.json', 'model/model-items.bkr'];
const STARTER = 60; // books in the starter list (the page shows up to 50, less the reader's rated and hidden ones)
const WASM_FILES = ['bookrec-simd.mjs', 'bookrec-simd.wasm', 'bookrec-nosimd.mjs', 'bookrec-nosimd.wasm'];
const MODEL_FILES = ['model-items.bkr', 'model-users.bkr', 'books.json'];
const COMPRESS = /\.(html|js|mjs|css|svg|json|webmanifest|wasm|bkr|bin)$/;
// Directives a <meta> Content-Security-Policy may not carry (browsers ignore them there, with a warning).
const META_CSP_UNSUPPORTED = ['frame-ancestors', 'report-uri', 'report-to', 'sandbox'];

class BuildError extends Error {}

function parseArgs(argv) {
  const o = { models: null, data: null, wasm: path.join(ROOT, 'build-wasm', 'web', 'wasm'), out: path.join(ROOT, 'dist'),
    userCol: null, itemCol: null, ratingCol: null, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new BuildError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--models') o.models = path.resolve(val());
    else if (a === '--data') o.data = path.resolve(val());
    else if (a === '--ratings') o.ratings = path.resolve(val());
    else if (a === '--wasm') o.wasm = path.resolve(val());
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--user-col') o.userCol = val();
    else if (a === '--item-col') o.itemCol = val();
    else if (a === '--rating-col') o.ratingCol = val();
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: npm run build:site -- [options]
  --models DIR     exported model (model-items.bkr, model-users.bkr, books.json, manifest.json); default models/
  --data DIR       dataset directory with the ratings CSV (for the readers' rated lists); default: as npm start finds it
  --ratings FILE   the ratings CSV itself (overrides --data)
  --user-col/--item-col/--rating-col NAME   ratings CSV column names (default user_id, book_id, rating, or the manifest's)
  --wasm DIR       WebAssembly build output; default build-wasm/web/wasm
  --out DIR        where to write the site; default dist/
`);
      process.exit(0);
    } else throw new BuildError(`unknown option ${a} (try --help)`);
  }
  if (!o.models) o.models = path.join(ROOT, 'models');
  return o;
}

function readJSONFile(p, what) {
  let text;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    throw new BuildError(`cannot read ${what} ${p}: ${e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BuildError(`${p}: not valid JSON (${e.message})`);
  }
}

// Checks that every input exists; throws one message listing what is missing and how to make it.
function checkInputs(o) {
  const problems = [];
  const missingModel = MODEL_FILES.filter((f) => !existsSync(path.join(o.models, f)));
  if (missingModel.length) {
    problems.push(`no exported model in ${o.models} (missing ${missingModel.join(', ')}).\n` +
      '  Run `npm start` (builds, trains and exports), or `build/bookrec export` after training, or pass --models DIR.');
  }
  const missingWasm = WASM_FILES.filter((f) => !existsSync(path.join(o.wasm, f)));
  if (missingWasm.length) {
    problems.push(`no WebAssembly build in ${o.wasm} (missing ${missingWasm.join(', ')}).\n` +
      '  Run `npm start` or `npm run build` (needs emscripten), or pass --wasm DIR.');
  }
  const missingWeb = WEB_FILES.concat('index.html', 'sw.js').filter((f) => !existsSync(path.join(ROOT, 'web', f)));
  if (missingWeb.length) problems.push(`web/ is incomplete (missing ${missingWeb.join(', ')}).`);
  if (problems.length) throw new BuildError(`cannot build the site:\n- ${problems.join('\n- ')}`);
}

// Finds the ratings CSV: --ratings, --data, the manifest's data directory, $BOOKREC_DATA, ../shared, data/.
function findRatings(o, manifest) {
  const m = manifest || {};
  const fromManifest = [m.ratings, m.ratings_csv, m.data && m.data.ratings, m.data_dir && path.join(m.data_dir, 'ratings.csv'),
    typeof m.data === 'string' ? path.join(m.data, 'ratings.csv') : null].filter((x) => typeof x === 'string');
  const candidates = [
    o.ratings,
    o.data && path.join(o.data, 'ratings.csv'),
    ...fromManifest.map((p) => path.resolve(o.models, p)),
    process.env.BOOKREC_DATA && path.join(process.env.BOOKREC_DATA, 'ratings.csv'),
    path.resolve(ROOT, '..', 'shared', 'data', 'goodbooks-10k', 'ratings.csv'),
    path.join(ROOT, 'data', 'ratings.csv'),
  ].filter(Boolean);
  if (o.ratings || o.data) {
    const p = candidates[0];
    if (!existsSync(p)) throw new BuildError(`ratings CSV not found: ${p}`);
    return p;
  }
  for (const p of candidates) if (existsSync(p)) return p;
  throw new BuildError('cannot find the ratings CSV the model was trained on (needed for the dataset readers\' rated lists).\n' +
    '  Pass --data DIR (the goodbooks-10k directory) or --ratings FILE, or run `npm start`, which downloads the data.');
}

// Splits one CSV line into fields (RFC 4180 quotes; ratings files have no embedded newlines).
export function splitCSV(line) {
  if (!line.includes('"')) return line.split(',');
  const out = [];
  let f = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"') {
        if (line[i + 1] === '"') { f += '"'; i++; } else q = false;
      } else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { out.push(f); f = ''; } else f += c;
  }
  out.push(f);
  return out;
}

// Reads the ratings CSV into Map(user id -> Map(item index -> rating)), keeping the last of duplicates.
function readRatings(file, idToIndex, cols) {
  let text = readFileSync(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  const header = splitCSV(lines[0].replace(/\r$/, '')).map((h) => h.trim());
  const at = (name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new BuildError(`${file}:1: no "${name}" column in the header (${header.join(',')}); pass --user-col/--item-col/--rating-col`);
    return i;
  };
  const iu = at(cols.user);
  const ii = at(cols.item);
  const ir = at(cols.rating);
  const users = new Map();
  let skipped = 0;
  let unknownBooks = 0;
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n].endsWith('\r') ? lines[n].slice(0, -1) : lines[n];
    if (line === '') continue;
    const f = splitCSV(line);
    const u = (f[iu] ?? '').trim();
    const b = (f[ii] ?? '').trim();
    const r = Number(f[ir]);
    if (!u || !b || !Number.isFinite(r)) { skipped++; continue; }
    const idx = idToIndex.get(b);
    if (idx === undefined) { unknownBooks++; continue; }
    let m = users.get(u);
    if (!m) users.set(u, (m = new Map()));
    m.set(idx, r);
  }
  return { users, skipped, unknownBooks };
}

function varint(out, v) {
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

// Encodes the rated lists in the format web/rated.js reads.
export function encodeRated(users, nItems) {
  const ids = [...users.keys()];
  for (const id of ids) if (id.includes('\n')) throw new BuildError(`user id with a line break: ${JSON.stringify(id)}`);
  const data = [];
  const offsets = new Uint32Array(ids.length + 1);
  ids.forEach((id, u) => {
    offsets[u] = data.length;
    const items = [...users.get(id)].sort((a, b) => a[0] - b[0]);
    let prev = -1;
    for (const [item, r] of items) {
      let code = Math.round(r * 2);
      if (code < 1 || code > 15) code = 0;
      varint(data, (item - prev) * 16 + code);
      prev = item;
    }
  });
  offsets[ids.length] = data.length;
  const idBytes = Buffer.from(ids.join('\n'), 'utf8');
  const head = Buffer.alloc(24);
  head.write('BKRD', 0, 'latin1');
  head.writeUInt32LE(1, 4);
  head.writeUInt32LE(ids.length, 8);
  head.writeUInt32LE(nItems, 12);
  head.writeUInt32LE(idBytes.length, 16);
  head.writeUInt32LE(data.length, 20);
  return Buffer.concat([head, Buffer.from(offsets.buffer), idBytes, Buffer.from(data)]);
}

// Turns books.json (array of {index, book_id, title, authors, image_url, small_image_url, year,
// average_rating} in model order) into the columnar catalogue the page loads.
function makeCatalog(books, file) {
  if (!Array.isArray(books) || books.length === 0) throw new BuildError(`${file}: expected a non-empty array of books`);
  const cat = { version: 1, book_id: [], title: [], authors: [], image: [], year: [], avg: [] };
  const str = (v) => (v === undefined || v === null ? '' : String(v));
  books.forEach((b, i) => {
    if (!b || typeof b !== 'object') throw new BuildError(`${file}: entry ${i}: expected an object`);
    if (b.index !== undefined && Number(b.index) !== i) throw new BuildError(`${file}: entry ${i}: expected index ${i}, got ${b.index}`);
    if (b.book_id === undefined || b.book_id === null || str(b.book_id) === '') throw new BuildError(`${file}: entry ${i}: no book_id`);
    cat.book_id.push(str(b.book_id));
    cat.title.push(str(b.title));
    cat.authors.push(str(b.authors));
    cat.image.push(str(b.image_url || b.small_image_url));
    const y = Math.trunc(Number(b.year ?? b.original_publication_year));
    cat.year.push(Number.isFinite(y) ? y : 0);
    const a = Number(b.average_rating);
    cat.avg.push(Number.isFinite(a) ? Math.round(a * 100) / 100 : 0);
  });
  // genre shelves: a vocabulary ordered by how many books carry each, and per book its indices
  if (books.some((b) => Array.isArray(b.genres) && b.genres.length)) {
    const count = new Map();
    for (const b of books) for (const g of new Set(b.genres || [])) if (typeof g === 'string' && g) count.set(g, (count.get(g) || 0) + 1);
    cat.genres = [...count].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([g]) => g);
    const at = new Map(cat.genres.map((g, k) => [g, k]));
    cat.genre = books.map((b) => [...new Set(b.genres || [])].filter((g) => at.has(g)).slice(0, 3).map((g) => at.get(g)));
  }
  return cat;
}

// The starter list: the ids of the `k` books the model ranks first for a reader with no ratings (all-zero
// state: a top-N model's popularity prior), from the page's own module (web/bookrec.js and the wasm build) in a
// node child process, so that buildSite stays synchronous. Null (with a warning) when it cannot be computed:
// the page then starts from the catalogue's first books.
function starterIds(itemsFile, wasmDir, k) {
  const script = `const [mod, wasm, items, k] = process.argv.slice(1);
const br = await import(mod);
br.configure({ wasmUrlBase: wasm });
const fs = await import('node:fs');
const m = await br.Model.load(fs.readFileSync(items));
const recs = m.recommendState(new Float32Array(m.stateSize), { k: Math.min(Number(k), m.nItems), exclude: [] });
process.stdout.write(JSON.stringify(recs.map((r) => String(r.id))));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(path.join(ROOT, 'web', 'bookrec.js')).href,
    wasmDir, itemsFile, String(k)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  try {
    if (r.status !== 0) throw new Error((r.stderr || String(r.error || r.signal)).trim().split('\n').pop());
    const ids = JSON.parse(r.stdout);
    if (!Array.isArray(ids)) throw new Error('no list');
    return ids;
  } catch (e) {
    process.stderr.write(`build-site: warning: no starter list (${e.message}); the page will start from the catalogue's first books\n`);
    return null;
  }
}

// Cover URLs with their common prefixes factored out: each URL becomes "k:rest" with imageBase[k] + rest the
// URL (the prefix is the URL up to its last two path segments); "" stays "".
export function factorImages(urls) {
  const base = [];
  const at = new Map();
  const image = urls.map((u) => {
    if (!u) return '';
    const cut = u.lastIndexOf('/', u.lastIndexOf('/') - 1) + 1;
    const prefix = cut > 0 ? u.slice(0, cut) : '';
    if (!at.has(prefix)) { at.set(prefix, base.length); base.push(prefix); }
    return `${at.get(prefix)}:${u.slice(cut)}`;
  });
  return { imageBase: base, image };
}

// Splits the columnar catalogue into the first view's catalog.json and the lazily fetched details.json
// (see the header); `start` is the starter list as book indices.
function splitCatalog(cat, start) {
  const n = cat.book_id.length;
  const first = { version: 2, title: cat.title, authors: cat.authors };
  if (!cat.book_id.every((id, i) => id === String(i + 1))) first.ids = cat.book_id;
  first.start = { i: start, image: start.map((i) => cat.image[i]), year: start.map((i) => cat.year[i]), avg: start.map((i) => cat.avg[i]) };
  const details = { version: 2, n, ...factorImages(cat.image), year: cat.year, avg: cat.avg };
  if (cat.gr) details.gr = cat.gr;
  if (cat.genres) { details.genres = cat.genres; details.genre = cat.genre; }
  return { first, details };
}

function cspForMeta(firebase) {
  const rule = (firebase.hosting.headers || []).find((r) => r.source === '**');
  const h = rule && rule.headers.find((x) => x.key.toLowerCase() === 'content-security-policy');
  if (!h) throw new BuildError('firebase.json: no Content-Security-Policy header on source "**"');
  return h.value.split(';').map((d) => d.trim()).filter((d) => d && !META_CSP_UNSUPPORTED.includes(d.split(/\s+/)[0])).join('; ');
}

function listFiles(dir, base = dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, base));
    else out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} KB`.padStart(10);
}

// Builds the site; returns { out, assets (URL path prefix), sizes }.
export function buildSite(opts = {}) {
  const o = { ...parseArgs([]), ...opts };
  checkInputs(o);
  const manifestPath = path.join(o.models, 'manifest.json');
  const manifest = existsSync(manifestPath) ? readJSONFile(manifestPath, 'manifest') : null;
  const books = readJSONFile(path.join(o.models, 'books.json'), 'books.json');
  const catalog = makeCatalog(books, path.join(o.models, 'books.json'));
  const idToIndex = new Map(catalog.book_id.map((id, i) => [id, i]));
  if (idToIndex.size !== catalog.book_id.length) throw new BuildError('books.json: duplicate book_id values');

  const cols = {
    user: o.userCol || manifest?.user_col || manifest?.columns?.user || 'user_id',
    item: o.itemCol || manifest?.item_col || manifest?.columns?.item || 'book_id',
    rating: o.ratingCol || manifest?.rating_col || manifest?.columns?.rating || 'rating',
  };
  const ratingsFile = findRatings(o, manifest);
  const t0 = Date.now();
  const rated = readRatings(ratingsFile, idToIndex, cols);
  const ratedBin = encodeRated(rated.users, catalog.book_id.length);
  // books.csv beside the ratings (or in --data): the Goodreads ids and ISBNs for the import and the links
  const booksCsv = [o.data && path.join(o.data, 'books.csv'), path.join(path.dirname(ratingsFile), 'books.csv')]
    .find((p) => p && existsSync(p));
  let match = null;
  if (booksCsv) {
    match = makeMatchData(readFileSync(booksCsv, 'utf8'), catalog.book_id);
    // the links' Goodreads ids; 0 where the cover URL already holds the id (two thirds of goodbooks)
    if (match.gr.some(Boolean)) catalog.gr = match.gr.map((gr, i) => (goodreadsIdFromCover(catalog.image[i]) === gr ? 0 : gr));
  }

  // Stage every asset in memory: relative path -> Buffer.
  const assets = new Map();
  for (const f of WEB_FILES) assets.set(f, readFileSync(path.join(ROOT, 'web', f)));
  for (const f of WASM_FILES) assets.set(`wasm/${f}`, readFileSync(path.join(o.wasm, f)));
  assets.set('model/model-items.bkr', readFileSync(path.join(o.models, 'model-items.bkr')));
  assets.set('model/model-users.bkr', readFileSync(path.join(o.models, 'model-users.bkr')));
  assets.set('model/rated.bin', ratedBin);
  const mapPath = path.join(o.models, 'map.bin');
  if (existsSync(mapPath)) assets.set('model/map.bin', readFileSync(mapPath));
  // what the page shows a progress bar for: their sizes before any transfer compression
  const ids = starterIds(path.join(o.models, 'model-items.bkr'), o.wasm, Math.min(STARTER, catalog.book_id.length));
  const start = (ids || catalog.book_id.slice(0, STARTER)).map((id) => idToIndex.get(String(id))).filter((i) => i !== undefined);
  const { first, details } = splitCatalog(catalog, start);
  first.sizes = { 'model-items.bkr': assets.get('model/model-items.bkr').length, 'model-users.bkr': assets.get('model/model-users.bkr').length,
    'rated.bin': ratedBin.length };
  if (assets.has('model/map.bin')) first.sizes['map.bin'] = assets.get('model/map.bin').length;
  assets.set('model/catalog.json', Buffer.from(JSON.stringify(first)));
  assets.set('model/details.json', Buffer.from(JSON.stringify(details)));
  if (match) assets.set('model/match.json', Buffer.from(JSON.stringify(match)));
  if (manifest) assets.set('model/manifest.json', Buffer.from(JSON.stringify(manifest)));

  const swTemplate = readFileSync(path.join(ROOT, 'web', 'sw.js'), 'utf8');
  const hash = createHash('sha256');
  hash.update(swTemplate).update('\0');
  for (const [name, buf] of [...assets].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    hash.update(name).update('\0').update(buf).update('\0');
  }
  const prefix = `a/${hash.digest('hex').slice(0, 12)}/`;

  const firebase = readJSONFile(path.join(ROOT, 'firebase.json'), 'firebase.json');
  let html = readFileSync(path.join(ROOT, 'web', 'index.html'), 'utf8');
  const csp = cspForMeta(firebase);
  const metaRe = /(<meta http-equiv="Content-Security-Policy" content=")[^"]*(")/;
  if (!metaRe.test(html)) throw new BuildError('web/index.html: no <meta http-equiv="Content-Security-Policy"> tag');
  html = html.replace(metaRe, `$1${csp}$2`);
  html = html.replace(/\b(href|src)="\.\/([^"]+)"/g, (m, attr, file) => {
    if (!assets.has(file)) throw new BuildError(`web/index.html refers to ./${file}, which is not a site asset`);
    return `${attr}="${prefix}${file}"`;
  });

  if (!swTemplate.includes("'__BUILD__'") || !swTemplate.includes("'__PRECACHE__'")) throw new BuildError('web/sw.js: no __BUILD__ / __PRECACHE__ placeholders');
  const sw = swTemplate.replace("'__BUILD__'", JSON.stringify(prefix))
    .replace("'__PRECACHE__'", JSON.stringify(FIRST_VIEW.filter((f) => assets.has(f)).join(' ')));

  // Write: replace a previous build only (never wipe a directory that is not a bookrec site).
  if (existsSync(o.out)) {
    const entries = readdirSync(o.out);
    const ours = entries.every((e) => ['index.html', 'index.html.gz', 'sw.js', 'sw.js.gz', 'a'].includes(e));
    if (!ours) throw new BuildError(`${o.out} exists and is not a bookrec site build (holds ${entries.slice(0, 5).join(', ')}); pick another --out`);
    rmSync(o.out, { recursive: true, force: true });
  }
  const sizes = [];
  const write = (rel, buf) => {
    const p = path.join(o.out, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, buf);
    let gz = null;
    if (COMPRESS.test(rel)) {
      gz = gzipSync(buf, { level: zc.Z_BEST_COMPRESSION });
      writeFileSync(`${p}.gz`, gz);
    }
    sizes.push({ file: rel, raw: buf.length, gzip: gz ? gz.length : buf.length });
  };
  write('index.html', Buffer.from(html));
  write('sw.js', Buffer.from(sw));
  for (const [name, buf] of assets) write(prefix + name, buf);

  return { out: o.out, prefix, sizes, rated, ratingsFile, booksCsv, seconds: (Date.now() - t0) / 1000, nBooks: catalog.book_id.length };
}

function report(r) {
  const first = ['index.html', 'app.js', 'dom.js', 'store.js', 'search.js', 'goodreads.js', 'series.js', 'style.css', 'bookrec.js', 'icon.svg',
    'wasm/bookrec-simd.mjs', 'wasm/bookrec-simd.wasm', 'model/catalog.json', 'model/details.json', 'model/model-items.bkr'];
  const byName = new Map(r.sizes.map((s) => [s.file.startsWith(r.prefix) ? s.file.slice(r.prefix.length) : s.file, s]));
  const lines = [`built ${path.relative(process.cwd(), r.out) || r.out}/ (${r.nBooks} books, ${r.rated.users.size} dataset readers; assets in ${r.prefix})`];
  lines.push(`  readers' rated lists from ${r.ratingsFile}` +
    (r.rated.skipped ? `; ${r.rated.skipped} unreadable rows skipped` : '') +
    (r.rated.unknownBooks ? `; ${r.rated.unknownBooks} ratings of books not in the model left out` : ''));
  let raw = 0;
  let gz = 0;
  for (const name of first) {
    const s = byName.get(name);
    if (!s) continue;
    raw += s.raw;
    gz += s.gzip;
  }
  for (const s of r.sizes) lines.push(`  ${kb(s.raw)} ${kb(s.gzip)} gz  ${s.file}`);
  lines.push(`  first view of a new reader (SIMD browser): ${kb(raw).trim()} raw, ${kb(gz).trim()} gzip`);
  process.stdout.write(lines.join('\n') + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const r = buildSite(opts);
    if (!opts.quiet) report(r);
  } catch (e) {
    process.stderr.write(`build-site: ${e instanceof BuildError ? e.message : e.stack}\n`);
    process.exit(1);
  }
}
