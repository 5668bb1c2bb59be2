// Shared set-up of the browser tests (site.test.mjs, firebase.test.mjs): a small model trained and
// exported by the native CLI on the fixture dataset, a site built from it into a temp dir with
// tools/build-site.mjs, headless Debian Chromium driven by playwright-core, and a page watcher that
// records console errors, CSP violations, page errors and dialogs. Not a test file itself.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureDir } from '../js/wasm-common.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WASM_DIR = process.env.BOOKREC_WASM_DIR || path.join(ROOT, 'build-wasm', 'web', 'wasm');
export const CLI = process.env.BOOKREC_CLI || path.join(ROOT, 'build', 'bookrec');
export const OUT = path.join(ROOT, 'tests', 'out');
export const CHROMIUM = process.env.BOOKREC_CHROMIUM || '/usr/bin/chromium';
export const CHROME_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function cli(args) {
  const r = spawnSync(CLI, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw new Error(`${CLI}: ${r.error.message} (build it with npm test / npm run build)`);
  if (r.status !== 0) throw new Error(`bookrec ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

// The goodbooks-like fixture dataset, shared with the wasm module tests.
export { fixtureDir };

// Reads the fixture's ratings as Map(user id -> Set(book id)), keeping what the CSV says.
export function ratedByUser(dataDir) {
  const lines = readFileSync(path.join(dataDir, 'ratings.csv'), 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter(Boolean);
  const head = lines[0].split(',').map((s) => s.trim());
  const iu = head.indexOf('user_id');
  const ib = head.indexOf('book_id');
  const out = new Map();
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    const u = c[iu];
    if (!out.has(u)) out.set(u, new Set());
    out.get(u).add(c[ib]);
  }
  return out;
}

// Why the browser tests cannot run, or null. These are hard requirements: the tests fail, not skip.
export function missingPrereqs() {
  const missing = [];
  if (!existsSync(CLI)) missing.push(`the native CLI (${path.relative(ROOT, CLI)}; npm test builds it)`);
  for (const f of ['bookrec-simd.mjs', 'bookrec-simd.wasm', 'bookrec-nosimd.mjs', 'bookrec-nosimd.wasm']) {
    if (!existsSync(path.join(WASM_DIR, f))) missing.push(`build-wasm/web/wasm/${f} (npm test builds it)`);
  }
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  if (!existsSync(path.join(ROOT, 'node_modules', 'playwright-core'))) missing.push('node_modules/playwright-core (npm install)');
  return missing.length ? `missing: ${missing.join('; ')}` : null;
}

// Trains and exports a small model on the fixture (the kind `npm start` ships: its DEFAULT_TRAIN_ARGS, unless
// `train` names other flags), then builds a site from it into a temp dir; `data` uses another dataset directory.
export async function buildFixtureSite({ train = null, data: dataDir = null } = {}) {
  const data = dataDir || fixtureDir();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bookrec-site-'));
  const model = path.join(tmp, 'model.bkr');
  const models = path.join(tmp, 'models');
  const { DEFAULT_TRAIN_ARGS } = await import(path.join(ROOT, 'tools', 'start.mjs'));
  cli(['train', '--data', data, ...(train || DEFAULT_TRAIN_ARGS), '--out', model]);
  cli(['export', '--data', data, '--model', model, '--out', models]);
  const { buildSite } = await import(path.join(ROOT, 'tools', 'build-site.mjs'));
  const dist = path.join(tmp, 'dist');
  const built = buildSite({ models, data, wasm: WASM_DIR, out: dist });
  const books = JSON.parse(readFileSync(path.join(models, 'books.json'), 'utf8'));
  return { data, tmp, models, dist, built, books, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

// Checks the prerequisites (a missing one fails the test), builds the fixture site (buildFixtureSite's options) and
// serves it on a free port with tools/serve.mjs; returns { site, server, origin } (origin: no trailing slash).
export async function serveFixtureSite(opts = {}) {
  const why = missingPrereqs();
  if (why) throw new Error(why);
  const site = await buildFixtureSite(opts);
  const { startServer } = await import(path.join(ROOT, 'tools', 'serve.mjs'));
  const server = await startServer({ dir: site.dist, port: 0 });
  return { site, server, origin: server.url.replace(/\/$/, '') };
}

// Launches Debian's Chromium headless with a fresh profile; returns { context, page, close }.
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(path.join(os.tmpdir(), 'bookrec-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROME_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] || (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Records what must not happen on the page: console errors (other than covers failing to load from
// their remote host, which is expected offline), CSP violations, uncaught errors and dialogs.
export async function watchPage(page, origin) {
  const problems = { console: [], csp: [], pageErrors: [], dialogs: [], offlineCovers: 0 };
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    const url = msg.location()?.url || '';
    const remote = url && !url.startsWith(origin);
    if (remote && /^Failed to load resource/.test(msg.text())) {
      problems.offlineCovers++;
      return;
    }
    if (msg.type() === 'error' || /Content.Security.Policy|Refused to/i.test(msg.text())) {
      problems.console.push(`${msg.type()}: ${msg.text()} @ ${url}`);
    }
  });
  page.on('pageerror', (e) => problems.pageErrors.push(e.message));
  page.on('dialog', (d) => {
    problems.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  problems.collectCsp = async () => {
    try {
      const v = await page.evaluate(() => window.__csp || []);
      problems.csp.push(...v);
    } catch { /* page gone */ }
  };
  return problems;
}

// Waits until the page says it is ready (or failed) and returns the state.
export async function waitReady(page, timeout = 20000) {
  await page.waitForSelector('html[data-state]', { timeout });
  const state = await page.getAttribute('html', 'data-state');
  if (state !== 'ready') {
    const notice = await page.textContent('#notice-text');
    throw new Error(`the page did not start: ${notice}`);
  }
  return state;
}

// A free TCP port on 127.0.0.1.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
