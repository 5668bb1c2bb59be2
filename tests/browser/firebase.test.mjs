// node --test: the built site served by the Firebase Hosting emulator (npm firebase-tools, offline
// with the demo project "demo-bookrec"), using the project's firebase.json with `public` pointed at
// a site built for the test. Checks that the page works there (a new reader's first recommendations
// appear, with no CSP violation or console error) and that firebase.json's headers are applied: the
// Content-Security-Policy, application/wasm for .wasm, and the cache rules (immutable hashed assets,
// no-cache for the page and the service worker). firebase-tools missing is a failure, not a skip: npm installs it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, missingPrereqs, buildFixtureSite, launchBrowser, watchPage, waitReady, freePort } from './site-common.mjs';

const FIREBASE = path.join(ROOT, 'node_modules', '.bin', 'firebase');

let site;
let emu;
let emuLog = '';
let base;
let browser;

async function waitForServer(url, child, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`the Firebase emulator exited (${child.exitCode}):\n${emuLog}`);
    try {
      const r = await fetch(url);
      if (r.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the Firebase emulator did not serve ${url} within ${timeoutMs / 1000} s:\n${emuLog}`);
}

before(async () => {
  const why = missingPrereqs();
  assert.equal(why, null, why);
  assert.ok(existsSync(FIREBASE), 'firebase-tools is not installed (node_modules/.bin/firebase): run npm install');
  site = await buildFixtureSite();
  // the project's firebase.json, serving the test's build (public is relative to the config file)
  const cfg = JSON.parse(readFileSync(path.join(ROOT, 'firebase.json'), 'utf8'));
  const port = await freePort();
  cfg.hosting.public = 'dist';
  cfg.emulators = {
    hosting: { host: '127.0.0.1', port },
    hub: { host: '127.0.0.1', port: await freePort() },
    logging: { host: '127.0.0.1', port: await freePort() },
    ui: { enabled: false },
  };
  const config = path.join(site.tmp, 'firebase.json');
  writeFileSync(config, JSON.stringify(cfg, null, 2));
  emu = spawn(FIREBASE, ['emulators:start', '--only', 'hosting', '--project', 'demo-bookrec', '--config', config], {
    cwd: site.tmp,
    detached: true, // its own process group, so that the end of the test stops all of it
    env: { ...process.env, FIREBASE_CLI_DISABLE_UPDATE_CHECK: 'true', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  emu.stdout.on('data', (d) => { emuLog += d; });
  emu.stderr.on('data', (d) => { emuLog += d; });
  base = `http://127.0.0.1:${port}/`;
  await waitForServer(base, emu, 90000);
});

after(async () => {
  await browser?.close();
  if (emu && emu.exitCode === null) {
    const exited = new Promise((r) => emu.once('exit', r));
    try { process.kill(-emu.pid, 'SIGINT'); } catch { /* already gone */ }
    const timer = setTimeout(() => { try { process.kill(-emu.pid, 'SIGKILL'); } catch { /* gone */ } }, 8000);
    await exited;
    clearTimeout(timer);
  }
  site?.cleanup();
});

test('firebase.json headers are applied by Firebase Hosting', async () => {
  const page = await fetch(base);
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy');
  assert.ok(csp, 'the page has a Content-Security-Policy header');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  const html = await page.text();
  const prefix = html.match(/src="(a\/[0-9a-f]{12}\/)app\.js"/);
  assert.ok(prefix, 'index.html loads a/<hash>/app.js');
  const wasm = await fetch(new URL(`${prefix[1]}wasm/bookrec-simd.wasm`, base));
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal(wasm.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.ok(WebAssembly.validate(new Uint8Array(await wasm.arrayBuffer())), 'a valid wasm module');
  const js = await fetch(new URL(`${prefix[1]}app.js`, base));
  assert.match(js.headers.get('content-type'), /javascript/);
  assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  // the service worker is checked for updates on every visit, so it must not be cached by HTTP
  const sw = await fetch(new URL('sw.js', base));
  assert.equal(sw.status, 200);
  assert.match(sw.headers.get('content-type'), /javascript/);
  assert.equal(sw.headers.get('cache-control'), 'no-cache');
  const manifest = await fetch(new URL(`${prefix[1]}manifest.webmanifest`, base));
  assert.equal(manifest.status, 200);
});

test('the page works on the Firebase emulator: first recommendations for a new reader', async () => {
  browser = await launchBrowser();
  const { page } = browser;
  const problems = await watchPage(page, base.replace(/\/$/, ''));
  const t0 = Date.now();
  await page.goto(base);
  await waitReady(page);
  await page.waitForSelector('#rec-new .card');
  const ms = Date.now() - t0;
  const n = await page.locator('#rec-new .card').count();
  assert.equal(n, Math.min(10, site.books.length));
  assert.equal(await page.getAttribute('html', 'data-kernel'), 'simd');
  // rating one book updates the recommendations and leaves it out
  const book = site.books[2];
  await page.fill('#search', String(book.title));
  const card = page.locator(`#search-results .card[data-book-id="${book.book_id}"]`);
  await card.waitFor();
  await card.locator('label').nth(4).click();
  await page.waitForFunction((id) => document.querySelector('#my-ratings li')?.dataset.bookId === id, String(book.book_id));
  const recs = await page.$$eval('#rec-new .card', (cs) => cs.map((c) => c.dataset.bookId));
  assert.ok(!recs.includes(String(book.book_id)));
  await problems.collectCsp();
  assert.deepEqual(problems.csp, []);
  assert.deepEqual(problems.console, []);
  assert.deepEqual(problems.pageErrors, []);
  process.stderr.write(`# firebase emulator: first recommendations ${ms} ms after navigation\n`);
});
