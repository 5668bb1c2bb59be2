// `npm run bench:web`: speed and size of bookrec in the browser, beside TensorFlow.js.
//
// Opens a page in headless Chromium (playwright-core driving Debian's /usr/bin/chromium) served from a
// tiny static server on 127.0.0.1, loads the SAME trained tutorial ("seed") weights into bookrec's
// WebAssembly module (SIMD and no-SIMD builds) and into a TensorFlow.js model with the WASM backend
// (the tutorial's Keras network rebuilt layer by layer, weights copied from the bookrec model), and
// prints medians over many calls: scoring every book + top-10 for one reader, folding a new reader in
// from 10 ratings, and the size of the model files (raw and gzip). It is a benchmark, not a test: the
// goals are printed beside the figures, nothing fails when a goal is missed.
//
// Then the site itself, built (tools/build-site.mjs) from the DEFAULT exported model (what `npm start`
// ships: tools/start.mjs's DEFAULT_TRAIN_ARGS, Q8) into a temp dir and served by tools/serve.mjs: navigation to a
// new reader's first recommendations, cold (fresh profile) and warm (reload), bytes transferred before them, that
// the dataset users' part is not fetched for them, the book side's size, what quantisation changes, and the
// shipped model's own timings in the page (fold-in + score + top-10, explanations, similar books; measureSite()
// below), and a cold load on a phone profile (slow 4G, CPU 4x slower: a first list and a search answer, then
// the model's recommendations). Each site row says "ok" or "MISSED" beside its goal. 1 KB = 1024 bytes.
// `-- --site` prints the site rows only; BOOKREC_BENCH_SITE_MODELS=DIR uses an existing export of the default
// model instead of exporting (or training) one.
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, createReadStream, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, CLI, BUILD_WASM, buildNative, buildWasm, ensureDeps, findData, run, log } from './lib.mjs';
import { DEFAULT_TRAIN_ARGS } from './start.mjs';

// where the wasm build is (BOOKREC_BENCH_WASM_DIR overrides, for development)
const WASM_DIR = process.env.BOOKREC_BENCH_WASM_DIR ? path.resolve(process.env.BOOKREC_BENCH_WASM_DIR)
  : path.join(BUILD_WASM, 'web', 'wasm');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.bkr': 'application/octet-stream',
};

// Serves files under `root` (and extra in-memory pages) on 127.0.0.1 at a free port; returns { origin, close }.
// `mounts` maps URL prefixes ('/wasm/') to directories served in their place.
export async function startServer(root, pages = {}, mounts = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const pathname = decodeURIComponent(url.pathname);
    if (pages[pathname] !== undefined) {
      res.writeHead(200, { 'content-type': MIME[path.extname(pathname)] || 'text/plain', 'cache-control': 'no-store' });
      res.end(pages[pathname]);
      return;
    }
    let base = root;
    let rest = pathname;
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (pathname.startsWith(prefix)) {
        base = dir;
        rest = pathname.slice(prefix.length - 1);
      }
    }
    const file = path.join(base, rest);
    if (!file.startsWith(base + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[path.extname(file)] || 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

// Launches headless Chromium with a fresh profile; returns { context, close }.
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(path.join(os.tmpdir(), 'bookrec-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ the site (built from the default model)

const FIRST_RECS_MARK = 'bookrec:first-recommendations'; // web/app.js marks it once the new reader's list is shown
const SITE_RUNS = Number(process.env.BOOKREC_BENCH_SITE_RUNS || 5);
const KB = 1024;
const COMPRESSIBLE = /\.(html|js|mjs|css|svg|json|wasm|bkr|bin)$/; // what build-site writes .gz twins of

// Runs the CLI, returning its stdout+stderr (also echoed to stderr); throws naming the command on failure.
function runCapture(args) {
  const r = spawnSync(CLI, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const text = `${r.stdout || ''}${r.stderr || ''}`;
  process.stderr.write(text.split('\n').filter(Boolean).map((l) => `  | ${l}\n`).join(''));
  if (r.error) throw new Error(`${CLI}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${CLI} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return text;
}

// True when models/ holds what `npm start` makes by default: bookrec train with no --arch (mf, dim 32,
// no implicit part) exported with the default Q8 embeddings.
function modelsDirIsDefault(dir) {
  const mf = path.join(dir, 'manifest.json');
  if (!existsSync(mf) || !existsSync(path.join(dir, 'model.bkr'))) return false;
  try {
    const m = JSON.parse(readFileSync(mf, 'utf8'));
    const arch = DEFAULT_TRAIN_ARGS[DEFAULT_TRAIN_ARGS.indexOf('--arch') + 1];
    return m.model?.arch === arch && m.embeddings === 'q8';
  } catch {
    return false;
  }
}

// Exports the default model into `tmp`: from models/model.bkr when it is the default one, else trained
// there first (bookrec train with no options, ~5 s). Returns { dir, source, exportText }.
function defaultExport(tmp, data) {
  const modelsDir = path.join(ROOT, 'models');
  let model;
  let source;
  if (modelsDirIsDefault(modelsDir)) {
    model = path.join(modelsDir, 'model.bkr');
    source = `models/model.bkr (the default: bookrec train ${DEFAULT_TRAIN_ARGS.join(' ')}), re-exported with the default Q8`;
  } else {
    model = path.join(tmp, 'model.bkr');
    log(`models/ holds no default-model export: training the default model (bookrec train ${DEFAULT_TRAIN_ARGS.join(' ')}) into ${tmp}`);
    runCapture(['train', '--data', data, ...DEFAULT_TRAIN_ARGS, '--out', model]);
    source = `default model trained for this run (bookrec train ${DEFAULT_TRAIN_ARGS.join(' ')}), export Q8`;
  }
  log(`exporting the default model into ${tmp}`);
  const exportText = runCapture(['export', '--data', data, '--model', model, '--out', tmp]);
  return { dir: tmp, source, exportText };
}

// Reads export's quantisation line: "test RMSE f32 0.82968, q8 0.82968, change -0.00000 (...)".
function parseQuantisation(text, manifestFile) {
  const m = /test RMSE f32 ([\d.]+), (\w+) ([\d.]+), change ([-+\d.e]+)/.exec(text);
  let precise = null;
  try {
    precise = JSON.parse(readFileSync(manifestFile, 'utf8')).quantization?.change ?? null;
  } catch { /* manifest optional */ }
  if (!m) return { found: false, precise };
  return { found: true, f32: Number(m[1]), kind: m[2], exported: Number(m[3]), change: Number(m[4]), printed: m[0], precise };
}

// Runs in the page after the mark: the mark's time (ms since navigation start) and what had arrived by then.
function pageSiteFigures(markName) {
  const mark = performance.getEntriesByName(markName)[0];
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const pick = (e) => ({ name: e.name, start: e.startTime, end: e.responseEnd, transfer: e.transferSize,
    encoded: e.encodedBodySize, decoded: e.decodedBodySize });
  return {
    markMs: mark ? mark.startTime : null,
    state: document.documentElement.dataset.state || '',
    recs: document.querySelectorAll('#rec-new li').length,
    nav: nav ? pick(nav) : null,
    before: mark ? res.filter((e) => e.responseEnd <= mark.startTime).map(pick) : [],
    all: res.map(pick),
  };
}

// One page load (goto or reload): waits for the first recommendations, returns the page figures plus
// every request the browser made (URL, response content-encoding) up to a short settle after the mark.
async function loadOnce(page, action) {
  const requests = [];
  const encodings = new Map();
  const onReq = (r) => requests.push(r.url());
  const onRes = (r) => encodings.set(r.url(), (r.headers()['content-encoding'] || '').toLowerCase());
  page.on('request', onReq);
  page.on('response', onRes);
  try {
    await action();
    await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0 || document.documentElement.dataset.state === 'error',
      FIRST_RECS_MARK, { timeout: 60000, polling: 20 });
    const figures = await page.evaluate(pageSiteFigures, FIRST_RECS_MARK);
    if (figures.markMs == null) throw new Error(`the site did not start (state ${figures.state}): ${await page.textContent('#status')}`);
    await page.waitForTimeout(500); // anything the page fetches right after the first list shows up here too
    return { ...figures, requests: [...requests], encodings };
  } finally {
    page.off('request', onReq);
    page.off('response', onRes);
  }
}

// The phone profile: slow 4G (150 ms round trip, ~200 KB/s down, 75 KB/s up) and a CPU 4x slower than this
// machine's, through Chromium's own emulation (CDP Network.emulateNetworkConditions, Emulation.setCPUThrottlingRate),
// on a 390x844 viewport. PHONE_QUERY is typed into the search box as soon as it is enabled.
const PHONE_RUNS = Number(process.env.BOOKREC_BENCH_PHONE_RUNS || 3);
const PHONE = { latency: 150, downloadThroughput: 200 * KB, uploadThroughput: 75 * KB, cpu: 4, viewport: { width: 390, height: 844 } };
const PHONE_QUERY = process.env.BOOKREC_BENCH_PHONE_QUERY || 'hobbit';

// One cold load under the phone profile, in a fresh profile: ms since navigation start until a first list of
// books is shown (#rec-new has cards), until the search box answered PHONE_QUERY (typed as soon as the box is
// enabled; its first result card is in the page), and until the model's own recommendations are shown (the
// FIRST_RECS_MARK mark).
async function phoneOnce(url) {
  const b = await launchBrowser();
  try {
    const page = b.context.pages()[0] || await b.context.newPage();
    await page.setViewportSize(PHONE.viewport);
    const cdp = await b.context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: PHONE.latency,
      downloadThroughput: PHONE.downloadThroughput, uploadThroughput: PHONE.uploadThroughput });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: PHONE.cpu });
    // the page notes when the cards appear (a MutationObserver: the time of the DOM change itself, not of a poll)
    // and when the query was typed
    await page.addInitScript(() => {
      const seen = { list: 0, search: 0, typed: 0 };
      window.__bookrecSeen = seen;
      new MutationObserver(() => {
        if (!seen.list && document.querySelector('#rec-new li.card')) seen.list = performance.now();
        if (!seen.search && document.querySelector('#search-results li.card')) seen.search = performance.now();
      }).observe(document, { childList: true, subtree: true });
      document.addEventListener('input', (e) => { if (e.target.id === 'search' && !seen.typed) seen.typed = performance.now(); }, true);
    });
    const timeout = 120000;
    await page.goto(url, { waitUntil: 'commit', timeout });
    const when = async (fn, arg) => (await page.waitForFunction(fn, arg, { timeout, polling: 25 })).jsonValue();
    await page.waitForSelector('#search:not([disabled])', { timeout });
    await page.fill('#search', PHONE_QUERY);
    const searchMs = await when(() => window.__bookrecSeen.search);
    const listMs = await when(() => window.__bookrecSeen.list);
    const typedMs = await page.evaluate(() => window.__bookrecSeen.typed);
    const modelMs = await when((name) => performance.getEntriesByName(name)[0]?.startTime
      ?? (document.documentElement.dataset.state === 'error' ? -1 : 0), FIRST_RECS_MARK);
    if (modelMs < 0) throw new Error(`the site did not start on the phone profile: ${await page.textContent('#status')}`);
    return { listMs, searchMs, typedMs, usableMs: Math.max(listMs, searchMs), modelMs };
  } finally {
    await b.close();
  }
}

// The site's figures: builds dist-like output from the DEFAULT exported model into a temp dir, serves it
// with tools/serve.mjs (sirv + firebase.json headers, .gz twins sent with Content-Encoding: gzip), and loads
// it as a new reader SITE_RUNS times, each in a fresh Chromium profile (cold) then reloaded (warm).
// Returns rows [{ what, value, goal, ok }] for the table. (context/origin/root of the other benchmark are
// not used: each cold run needs its own profile.)
export async function measureSite({ shipped = null } = {}) {
  const data = findData();
  if (!data) throw new Error('no goodbooks-10k data found (needed to export the default model and build the site)');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bookrec-bench-site-'));
  const { buildSite } = await import('./build-site.mjs');
  const { startServer: startSiteServer } = await import('./serve.mjs');
  let server = null;
  try {
    // BOOKREC_BENCH_SITE_MODELS: an existing export of the default model (saves training it again)
    const given = process.env.BOOKREC_BENCH_SITE_MODELS && path.resolve(process.env.BOOKREC_BENCH_SITE_MODELS);
    const exp = given
      ? { dir: given, source: `the export in ${given} (BOOKREC_BENCH_SITE_MODELS)`, exportText: '' }
      : defaultExport(path.join(tmp, 'model'), data);
    const shippedFigures = shipped ? await shipped(path.join(exp.dir, 'model-items.bkr')) : null;
    const site = buildSite({ models: exp.dir, data, wasm: WASM_DIR, out: path.join(tmp, 'site') });
    log(`site built in ${site.out} from ${exp.source}`);
    server = await startSiteServer({ dir: site.out, port: 0 });
    const origin = new URL(server.url).origin;
    const cold = [];
    const warm = [];
    for (let i = 0; i < SITE_RUNS; i++) {
      const b = await launchBrowser();
      try {
        const page = b.context.pages()[0] || await b.context.newPage();
        cold.push(await loadOnce(page, () => page.goto(server.url)));
        warm.push(await loadOnce(page, () => page.reload()));
      } finally {
        await b.close();
      }
    }
    const phone = [];
    for (let i = 0; i < PHONE_RUNS; i++) phone.push(await phoneOnce(server.url));

    const median = (a) => {
      const s = [...a].sort((x, y) => x - y);
      const h = s.length >> 1;
      return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
    };
    const local = (u) => u.startsWith(origin);
    const fileOf = (u) => path.join(site.out, decodeURIComponent(new URL(u).pathname));
    // bytes before the mark: transferSize (headers + gzip body) when the server compressed everything
    // compressible; otherwise the gzip -9 size of each file, computed here (and said so)
    const bytesBefore = (run) => {
      const entries = [run.nav, ...run.before].filter((e) => e && local(e.name));
      const uncompressed = entries.filter((e) => COMPRESSIBLE.test(new URL(e.name).pathname) && run.encodings.get(e.name) !== 'gzip'
        && e.transfer > 0);
      if (uncompressed.length === 0) {
        return { bytes: entries.reduce((t, e) => t + e.transfer, 0), measured: true, n: entries.length,
          nGzip: entries.filter((e) => run.encodings.get(e.name) === 'gzip').length, uncompressed };
      }
      let bytes = 0;
      for (const e of entries) {
        const f = fileOf(e.name.endsWith('/') ? `${e.name}index.html` : e.name);
        bytes += existsSync(f) && statSync(f).isFile() ? gzipSync(readFileSync(f), { level: 9 }).length : e.encoded;
      }
      return { bytes, measured: false, n: entries.length, uncompressed };
    };
    const coldBytes = cold.map(bytesBefore);
    const warmBytes = warm.map(bytesBefore);
    const usersPart = /\/model-users\.bkr(\?|$)|\/rated\.bin(\?|$)/;
    const usersBefore = [...cold, ...warm].filter((r) => r.before.some((e) => usersPart.test(e.name))).length;
    const usersAtAll = [...cold, ...warm].filter((r) => r.requests.some((u) => usersPart.test(u))).length;
    const recsShown = Math.min(...cold.map((r) => r.recs), ...warm.map((r) => r.recs));
    const foreign = cold[0].requests.filter((u) => !local(u) && !u.startsWith('data:')).length;

    const items = readFileSync(path.join(exp.dir, 'model-items.bkr'));
    const itemsGz = gzipSync(items, { level: 9 }).length;
    const q = parseQuantisation(exp.exportText, path.join(exp.dir, 'manifest.json'));
    const lists = /top-10 lists of (\d+) dataset readers: ([\d.]+)% of the books stay, scores change by at most ([\d.]+)/.exec(exp.exportText);

    const coldMs = median(cold.map((r) => r.markMs));
    const warmMs = median(warm.map((r) => r.markMs));
    const coldB = median(coldBytes.map((b) => b.bytes));
    const warmB = median(warmBytes.map((b) => b.bytes));
    const measured = coldBytes.every((b) => b.measured);
    const range = (a) => `${Math.min(...a).toFixed(0)}–${Math.max(...a).toFixed(0)}`;
    const notes = [
      `site: ${exp.source}; built with tools/build-site.mjs, served by tools/serve.mjs on ${origin}`,
      `new reader (empty storage) until performance mark "${FIRST_RECS_MARK}" (web/app.js, after the first list of ${recsShown} books is rendered); ${SITE_RUNS} runs, each a fresh Chromium profile (cold) then page.reload() (warm)`,
      measured
        ? `bytes: Resource Timing transferSize (headers + body as sent) of the document and every resource finished before the mark; the server sent Content-Encoding: gzip for ${coldBytes[0].nGzip} of these ${coldBytes[0].n} (every compressible one)`
        : `bytes: the server did NOT send gzip for ${coldBytes[0].uncompressed.map((e) => new URL(e.name).pathname).join(', ')}; figures are the gzip -9 sizes of every file fetched before the mark, computed here`,
      `cold runs fetched before the mark: ${cold[0].before.length + 1} files (${[cold[0].nav, ...cold[0].before].map((e) => path.basename(new URL(e.name).pathname) || '/').join(', ')})`,
      'sizes: 1 KB = 1024 bytes, 1.5 MB = 1,572,864 bytes',
      foreign ? `${foreign} cross-origin requests (cover images, started by the rendered list) are not counted` : '',
    ].filter(Boolean);
    const rows = [
      { what: 'first recs, new reader, cold (median)', value: `${coldMs.toFixed(0)} ms`, goal: '< 1 s', ok: coldMs < 1000,
        note: `runs ${range(cold.map((r) => r.markMs))} ms` },
      { what: 'first recs, new reader, warm reload', value: `${warmMs.toFixed(0)} ms`, goal: '< 1 s', ok: warmMs < 1000,
        note: `runs ${range(warm.map((r) => r.markMs))} ms` },
      { what: 'transferred before first recs, cold', value: fmtKB(coldB), goal: '<= 1.5 MB (gzip)', ok: coldB <= 1.5 * KB * KB,
        note: measured ? 'measured, gzip on the wire' : 'computed gzip sizes' },
      { what: 'transferred before first recs, warm', value: fmtKB(warmB), goal: '', ok: null, note: 'from the HTTP cache' },
      { what: 'users part fetched before first recs', value: usersBefore ? `YES (${usersBefore} runs)` : 'no', goal: 'not fetched', ok: usersBefore === 0,
        note: `model-users.bkr / rated.bin requested at all within 0.5 s of the mark: ${usersAtAll ? `yes (${usersAtAll} loads)` : 'no'}` },
      { what: 'model-items.bkr (default export)', value: fmtKB(itemsGz), goal: 'its share of 1.5 MB', ok: null,
        note: `gzip; raw ${fmtKB(items.length)} (${items.length} bytes)` },
      given
        ? { what: 'Q8 export figures', value: 'not measured', goal: '', ok: null, note: 'an existing export was given (BOOKREC_BENCH_SITE_MODELS)' }
        : lists
        ? { what: 'Q8 export: books kept in top-10 lists', value: `${lists[2]}%`, goal: '', ok: null,
          note: `${lists[1]} dataset readers, scores change by at most ${lists[3]}` }
        : q.found
        ? { what: `test-RMSE change, ${q.kind} export`, value: q.change.toFixed(5), goal: '< 0.002', ok: Math.abs(q.change) < 0.002,
          note: `export printed "${q.printed}"${q.precise != null ? `; manifest: ${q.precise.toExponential(2)}` : ''}` }
        : { what: 'test-RMSE change from quantisation', value: 'not printed', goal: '< 0.002', ok: false, note: 'export output had no "test RMSE" line' },
    ];
    if (phone.length) {
      const p = (key) => median(phone.map((r) => r[key]));
      const prof = `slow 4G ${PHONE.latency} ms RTT, ${PHONE.downloadThroughput / KB} KB/s down, CPU ${PHONE.cpu}x slower, ${PHONE.viewport.width}x${PHONE.viewport.height}`;
      notes.push(`phone profile: ${prof} (CDP Network.emulateNetworkConditions + Emulation.setCPUThrottlingRate); ${phone.length} cold runs, fresh profile each; the search box is given "${PHONE_QUERY}" once enabled`);
      rows.push({ what: 'phone: list shown + search answers', value: `${p('usableMs').toFixed(0)} ms`, goal: '< 3 s', ok: p('usableMs') < 3000,
        note: `first list ${p('listMs').toFixed(0)} ms, query typed ${p('typedMs').toFixed(0)} ms, its result ${p('searchMs').toFixed(0)} ms; runs ${range(phone.map((r) => r.usableMs))} ms` });
      rows.push({ what: 'phone: the model\'s recommendations', value: `${p('modelMs').toFixed(0)} ms`, goal: '', ok: null,
        note: `replace the first list; runs ${range(phone.map((r) => r.modelMs))} ms` });
    }
    if (shippedFigures) {
      const sf = shippedFigures;
      notes.push(`shipped model in the page: ${sf.arch}, ${sf.nItems} books; a new reader with ${sf.nRated} ratings (the fantasy reader of docs/models.md and more), medians per call`);
      for (const v of ['simd', 'nosimd']) {
        const f = sf[v];
        rows.push({ what: `fold-in + score + top-10 (${v === 'simd' ? 'SIMD' : 'no SIMD'})`, value: fmtMs(f.foldInTop10), goal: v === 'simd' ? '< 2 ms' : '',
          ok: v === 'simd' ? f.foldInTop10 < 2 : null, note: `fold-in alone ${fmtMs(f.foldIn)}, top-10 alone ${fmtMs(f.top10)}` });
        rows.push({ what: `  explanations, 10 cards (${v === 'simd' ? 'SIMD' : 'no SIMD'})`, value: fmtMs(f.explain10), goal: v === 'simd' ? '< 1 ms' : '',
          ok: v === 'simd' ? f.explain10 < 1 : null, note: `one card ${fmtMs(f.explain1)}` });
      }
      rows.push({ what: 'similar books, top-10 (SIMD)', value: fmtMs(sf.simd.similar), goal: '', ok: null, note: '' });
    }
    rows.notes = notes;
    return rows;
  } finally {
    if (server) await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

// The model the benchmark uses: the tutorial's network ("seed"). models/model-items.bkr when it is a seed
// model, else models/seed/ (trained on the shared data with the CLI when missing).
async function seedModel({ Model }) {
  for (const dir of [path.join(ROOT, 'models'), path.join(ROOT, 'models', 'seed')]) {
    const items = path.join(dir, 'model-items.bkr');
    const users = path.join(dir, 'model-users.bkr');
    if (!existsSync(items) || !existsSync(users)) continue;
    try {
      const m = await Model.load(readFileSync(items));
      const arch = m.arch;
      m.free();
      if (arch === 'seed') return { dir, items, users };
      log(`${items} is a ${arch} model; the benchmark needs the tutorial's network (seed)`);
    } catch (e) {
      log(`${items}: ${e.message}`);
    }
  }
  const data = findData();
  if (!data) throw new Error('no goodbooks-10k data found to train the seed model (see README: Data)');
  const dir = path.join(ROOT, 'models', 'seed');
  log(`training the tutorial's seed model into ${dir}`);
  run(CLI, ['train', '--arch', 'seed', '--data', data, '--out', path.join(dir, 'model.bkr')]);
  run(CLI, ['export', '--data', data, '--model', path.join(dir, 'model.bkr'), '--out', dir]);
  return { dir, items: path.join(dir, 'model-items.bkr'), users: path.join(dir, 'model-users.bkr') };
}

// ------------------------------------------------------------------ the page side (runs in Chromium)

// Runs in the page: the shipped (default) model's new-reader path, timed per build. Self-contained.
async function pageBenchShipped({ itemsUrl, pairs }) {
  const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    const h = s.length >> 1;
    return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  };
  const time = (fn, { warm = 5, reps = 41, batch = 10 } = {}) => {
    for (let i = 0; i < warm; i++) fn();
    const t = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      for (let b = 0; b < batch; b++) fn();
      t.push((performance.now() - t0) / batch);
    }
    return median(t);
  };
  const items = await fetch(itemsUrl).then((r) => r.arrayBuffer());
  const out = {};
  for (const v of ['simd', 'nosimd']) {
    const br = await import(`/web/bookrec.js?shipped=${v}`);
    br.configure({ wasmUrlBase: '/__wasm/', forceNoSimd: v === 'nosimd' });
    await br.ready;
    const m = await br.Model.load(items);
    const known = pairs.filter(([id]) => m.itemIds.includes(id));
    const exclude = known.map((p) => p[0]);
    const state = m.foldIn(known);
    const recs = m.recommendState(state, { k: 10, exclude });
    const canExplain = m.arch === 'ease';
    out[v] = {
      foldIn: time(() => m.foldIn(known)),
      top10: time(() => m.recommendState(state, { k: 10, exclude })),
      foldInTop10: time(() => m.recommendState(m.foldIn(known), { k: 10, exclude })),
      explain10: canExplain ? time(() => { for (const r of recs) m.explain(state, r.id, { k: 3 }); }) : NaN,
      explain1: canExplain ? time(() => m.explain(state, recs[0].id, { k: 3 })) : NaN,
      similar: time(() => m.similar(recs[0].id, { k: 10 })),
    };
    out.arch = m.arch;
    out.nItems = m.nItems;
    out.nRated = known.length;
    m.free();
  }
  return out;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>bookrec bench</title>
<script src="/node_modules/@tensorflow/tfjs/dist/tf.min.js"></script>
<script src="/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js"></script>
<p>bookrec bench</p>`;

// Runs in the page: returns every figure. Must be self-contained (it is serialised by playwright).
async function pageBench({ itemsUrl, usersUrl, userId, userRow }) {
  const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    const h = s.length >> 1;
    return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  };
  // per-call median over `reps` batches of `batch` calls (batches beat the timer's coarse resolution)
  const time = (fn, { warm = 5, reps = 41, batch = 10 } = {}) => {
    for (let i = 0; i < warm; i++) fn();
    const t = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      for (let b = 0; b < batch; b++) fn();
      t.push((performance.now() - t0) / batch);
    }
    return median(t);
  };
  const [items, users] = await Promise.all([itemsUrl, usersUrl].map((u) => fetch(u).then((r) => r.arrayBuffer())));
  const out = { variants: {} };
  let tensors = null;
  let refScores = null;
  let refTop = null;
  for (const v of ['simd', 'nosimd']) {
    const br = await import(`/web/bookrec.js?variant=${v}`);
    br.configure({ wasmUrlBase: '/__wasm/', forceNoSimd: v === 'nosimd' });
    const t0 = performance.now();
    await br.ready;
    const tInit = performance.now() - t0;
    const t1 = performance.now();
    const m = await br.Model.load(items);
    const tLoad = performance.now() - t1;
    await m.loadUsers(users);
    const state = m.userState(userId);
    const ids = m.itemIds;
    // ten ratings spread over the catalogue, 1..5
    const pairs = Array.from({ length: 10 }, (_, j) => [ids[(j * 997 + 13) % ids.length], (j % 5) + 1]);
    const r = {
      simd: br.simd,
      kernel: br.kernel,
      initMs: tInit,
      loadMs: tLoad,
      nItems: m.nItems,
      recommendState: time(() => m.recommendState(state, { k: 10 })),
      recommendUser: time(() => m.recommendUser(userId, { k: 10 })),
      scoreState: time(() => m.scoreState(state)),
      foldIn: time(() => m.foldIn(pairs), { warm: 2, reps: 21, batch: 3 }),
      similar: time(() => m.similar(ids[0], { k: 10 })),
    };
    const folded = m.foldIn(pairs);
    r.foldInThenTop10 = time(() => m.recommendState(m.foldIn(pairs), { k: 10 }), { warm: 2, reps: 21, batch: 3 });
    r.foldedTop = m.recommendState(folded, { k: 3 }).map((x) => x.id);
    out.variants[v] = r;
    if (!tensors) {
      tensors = m.tensors();
      refScores = m.scoreState(state);
      refTop = m.recommendState(state, { k: 10 }).map((x) => x.id);
      out.stateLen = state.length;
      out.itemIds = ids;
    }
    m.free();
  }

  // ---- TensorFlow.js with the WASM backend, the tutorial's Keras network
  const tf = window.tf;
  tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  await tf.setBackend('wasm');
  await tf.ready();
  out.tfBackend = tf.getBackend();
  out.tfVersion = tf.version.tfjs;
  out.tfWasmSimd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  out.tfWasmThreads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const T = tensors;
  out.tensorNames = Object.fromEntries(Object.entries(T).map(([k, t]) => [k, [t.rows, t.cols]]));
  const itemEmb = T.item_emb;
  const userEmb = T.user_emb;
  const w1 = T.dense1_w;
  const b1 = T.dense1_b;
  const w2 = T.dense2_w;
  const b2 = T.dense2_b;
  if (!itemEmb || !userEmb || !w1 || !b1 || !w2 || !b2) {
    throw new Error(`unexpected tensors for the seed network: ${JSON.stringify(out.tensorNames)}`);
  }
  const dim = itemEmb.cols;
  const hidden = b1.rows * b1.cols;
  // bookrec stores dense weights row-major [out][in]; Keras kernels are [in][out]
  const kernel = (t, nIn, nOut) => {
    if (t.rows === nIn && t.cols === nOut) return tf.tensor2d(t.data, [nIn, nOut]);
    if (t.rows === nOut && t.cols === nIn) return tf.tensor2d(t.data, [nOut, nIn]).transpose();
    throw new Error(`dense weights ${t.rows}x${t.cols} fit neither ${nIn}x${nOut} nor its transpose`);
  };
  const build = (bookFirst) => {
    const bookIn = tf.input({ shape: [1], dtype: 'int32', name: 'book' });
    const userIn = tf.input({ shape: [1], dtype: 'int32', name: 'user' });
    const bookE = tf.layers.embedding({ inputDim: itemEmb.rows, outputDim: dim, name: 'book_emb' });
    const userE = tf.layers.embedding({ inputDim: userEmb.rows, outputDim: dim, name: 'user_emb' });
    const bv = tf.layers.flatten().apply(bookE.apply(bookIn));
    const uv = tf.layers.flatten().apply(userE.apply(userIn));
    const cat = tf.layers.concatenate().apply(bookFirst ? [bv, uv] : [uv, bv]);
    const d1 = tf.layers.dense({ units: hidden, activation: 'relu', name: 'dense1' });
    const d2 = tf.layers.dense({ units: 1, activation: 'relu', name: 'dense2' });
    const model = tf.model({ inputs: [bookIn, userIn], outputs: d2.apply(d1.apply(cat)) });
    bookE.setWeights([tf.tensor2d(itemEmb.data, [itemEmb.rows, dim])]);
    userE.setWeights([tf.tensor2d(userEmb.data, [userEmb.rows, dim])]);
    d1.setWeights([kernel(w1, 2 * dim, hidden), tf.tensor1d(b1.data)]);
    d2.setWeights([kernel(w2, hidden, 1), tf.tensor1d(b2.data)]);
    return model;
  };
  const n = out.variants.simd.nItems;
  const bookIdx = tf.tensor2d(Int32Array.from({ length: n }, (_, i) => i), [n, 1], 'int32');
  const results = {};
  for (const bookFirst of [true, false]) {
    const model = build(bookFirst);
    const userIdx = tf.fill([n, 1], userRow, 'int32');
    const call = () => tf.tidy(() => {
      const scores = model.predict([bookIdx, userIdx]).reshape([n]);
      const { values, indices } = tf.topk(scores, 10);
      return [scores.dataSync(), indices.dataSync(), values.dataSync()];
    });
    const [scores, top] = call();
    let maxDiff = 0;
    for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(scores[i] - refScores[i]));
    results[bookFirst ? 'book,user' : 'user,book'] = { maxDiff, model, userIdx, call, top };
    if (maxDiff < 1e-3) break;
  }
  const best = Object.entries(results).sort((a, b) => a[1].maxDiff - b[1].maxDiff)[0];
  out.tfOrder = best[0];
  out.tfMaxDiff = best[1].maxDiff;
  out.tfTopMatches = Array.from(best[1].top, (i) => out.itemIds[i]).join() === refTop.join();
  // scoring only (predict + topk without reading back all scores), the same work bookrec does
  const { model, userIdx } = best[1];
  const topOnly = () => tf.tidy(() => {
    const scores = model.predict([bookIdx, userIdx]).reshape([n]);
    return tf.topk(scores, 10).indices.dataSync();
  });
  out.tfRecommend = time(topOnly, { warm: 3, reps: 21, batch: 1 });
  delete out.itemIds;
  return out;
}

// ------------------------------------------------------------------ main

function fmtMs(x) {
  if (x == null || Number.isNaN(x)) return '-';
  return x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`;
}

function fmtKB(b) {
  return `${(b / 1024).toFixed(1)} KB`;
}

// `npm run bench:web -- --site`: the site rows only (no TF.js comparison, no in-page model timings).
async function siteOnly() {
  const rows = await measureSite();
  printSite(rows);
}

function printSite(siteRows) {
  console.log('\nsite (the default exported model, as `npm start` ships it)');
  for (const n of siteRows.notes || []) console.log(`  ${n}`);
  console.log('');
  const sw = [40, 12, 18, 7];
  const sline = (c) => c.map((x, i) => (i < sw.length ? String(x).padEnd(sw[i]) : x)).join(' ');
  console.log(sline(['', 'value', 'goal', '', 'detail']));
  console.log(sline(['-'.repeat(39), '-'.repeat(11), '-'.repeat(17), '-'.repeat(6), '-'.repeat(6)]));
  for (const r of siteRows) {
    console.log(sline([r.what, r.value, r.goal || '', r.ok == null ? '' : r.ok ? 'ok' : 'MISSED', r.note || '']));
  }
}

async function main() {
  ensureDeps(['base', 'browser']);
  if (!process.env.BOOKREC_BENCH_WASM_DIR) {
    buildNative();
    buildWasm();
  }
  if (process.argv.includes('--site')) return siteOnly();
  // the module in node, to pick and inspect the model (the timings come from Chromium)
  const br = await import(pathToFileURL(path.join(ROOT, 'web', 'bookrec.js')).href);
  br.configure({ wasmUrlBase: WASM_DIR });
  const model = process.env.BOOKREC_BENCH_ITEMS
    ? { items: path.resolve(process.env.BOOKREC_BENCH_ITEMS), users: path.resolve(process.env.BOOKREC_BENCH_USERS) }
    : await seedModel(br);
  const userId = process.env.BOOKREC_BENCH_USER || '100';

  // the reader's row in the user embedding, for the TF.js model's input
  const m = await br.Model.load(readFileSync(model.items));
  await m.loadUsers(readFileSync(model.users));
  const userRow = m.userIndex(userId);
  m.free();

  const shippedDir = mkdtempSync(path.join(os.tmpdir(), 'bookrec-bench-shipped-'));
  const server = await startServer(ROOT, { '/__bench/index.html': PAGE, '/favicon.ico': '' },
    { '/__wasm/': WASM_DIR, '/__model/': path.dirname(model.items), '/__shipped/': shippedDir });
  const browser = await launchBrowser();
  let res;
  let siteRows = [];
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
    await page.goto(`${server.origin}/__bench/index.html`);
    const rel = (p) => `/__model/${path.relative(path.dirname(model.items), p).split(path.sep).join('/')}`;
    res = await page.evaluate(pageBench, { itemsUrl: rel(model.items), usersUrl: rel(model.users), userId, userRow });
    if (errors.length) log(`page errors: ${errors.join(' | ')}`);
    // the shipped model's new reader: the fantasy reader of docs/models.md plus five more ratings, 1..5 stars
    const pairs = [['7', 5], ['2', 5], ['192', 5], ['389', 5], ['39', 4], ['10', 2], ['26', 1], ['30', 3], ['562', 5], ['19', 4]];
    const shipped = async (itemsFile) => {
      writeFileSync(path.join(shippedDir, 'model-items.bkr'), readFileSync(itemsFile));
      return page.evaluate(pageBenchShipped, { itemsUrl: '/__shipped/model-items.bkr', pairs });
    };
    siteRows = await measureSite({ shipped });
  } finally {
    await browser.close();
    await server.close();
    rmSync(shippedDir, { recursive: true, force: true });
  }

  const items = readFileSync(model.items);
  const users = readFileSync(model.users);
  const s = res.variants.simd;
  const ns = res.variants.nosimd;
  const rows = [
    ['score all books + top-10, one reader', fmtMs(s.recommendState), fmtMs(ns.recommendState), fmtMs(res.tfRecommend),
      `< 1 ms, >= 50x TF.js (now ${(res.tfRecommend / s.recommendState).toFixed(0)}x)`],
    ['  same via recommendUser (dataset user)', fmtMs(s.recommendUser), fmtMs(ns.recommendUser), '', ''],
    ['  scoreState only (copy out 10k floats)', fmtMs(s.scoreState), fmtMs(ns.scoreState), '', ''],
    ['fold in a new reader from 10 ratings', fmtMs(s.foldIn), fmtMs(ns.foldIn), '', '< 20 ms'],
    ['  fold-in + top-10', fmtMs(s.foldInThenTop10), fmtMs(ns.foldInThenTop10), '', ''],
    ['similar books, top-10', fmtMs(s.similar), fmtMs(ns.similar), '', ''],
    ['module init (instantiate wasm)', fmtMs(s.initMs), fmtMs(ns.initMs), '', ''],
    ['Model.load(model-items.bkr)', fmtMs(s.loadMs), fmtMs(ns.loadMs), '', ''],
  ];
  const w = [40, 12, 12, 12];
  const line = (c) => c.map((x, i) => (i < w.length ? String(x).padEnd(w[i]) : x)).join(' ');
  console.log(`\nbookrec web benchmark — headless Chromium, ${os.cpus()[0]?.model || ''}`);
  console.log(`model: ${path.relative(ROOT, model.items)} (seed: ${res.variants.simd.nItems} books), reader ${userId}`);
  console.log(`kernels: ${s.kernel} (SIMD build) / ${ns.kernel} (no-SIMD build); TF.js ${res.tfVersion} backend ${res.tfBackend} (SIMD ${res.tfWasmSimd}, threads ${res.tfWasmThreads})`);
  console.log(`TF.js model check: concat order [${res.tfOrder}], max |score diff| vs bookrec ${res.tfMaxDiff.toExponential(2)}, same top-10: ${res.tfTopMatches}`);
  console.log('medians per call\n');
  console.log(line(['', 'bookrec SIMD', 'no-SIMD', 'TF.js WASM', 'goal']));
  console.log(line(['-'.repeat(39), '-'.repeat(11), '-'.repeat(11), '-'.repeat(11), '-'.repeat(4)]));
  for (const r of rows) console.log(line(r));
  console.log('\nsizes');
  console.log(line(['model-items.bkr (seed: books + network)', fmtKB(items.length), `gzip ${fmtKB(gzipSync(items, { level: 9 }).length)}`, '', '(shipped model: see site)']));
  console.log(line(['model-users.bkr (seed: dataset users)', fmtKB(users.length), `gzip ${fmtKB(gzipSync(users, { level: 9 }).length)}`, '', 'loaded on demand']));
  for (const f of ['bookrec-simd.wasm', 'bookrec-nosimd.wasm', 'bookrec-simd.mjs']) {
    const p = path.join(WASM_DIR, f);
    if (existsSync(p)) {
      const b = readFileSync(p);
      console.log(line([f, fmtKB(b.length), `gzip ${fmtKB(gzipSync(b, { level: 9 }).length)}`, '', '']));
    }
  }
  if (siteRows.length) printSite(siteRows);
  if (process.env.BOOKREC_BENCH_JSON) console.log(JSON.stringify(res, null, 1));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(`bench:web: ${e.stack || e.message}`);
    process.exit(1);
  });
}
