// node --test: the reader's own books in headless Debian Chromium, on a site built from the fixture
// (see site-common.mjs): the Goodreads import (a generated export with every kind of row, and one full
// of other editions), "Not interested" with undo, "Want to read", the Goodreads link, saving and
// restoring the reader data file (entries for unknown books kept aside), keyboard rating in lists that
// redraw, "Clear my ratings" with confirmation and undo, the phone layout (toast after rating from
// search, "Show" beside its list), heading levels, and the site offline after the first visit (service
// worker), then a new build taken over. No CSP violation, console error, page error or dialog.
// Screenshots: tests/out/library.png (desktop), library-phone.png and library-phone-toast.png (375x812).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { serveFixtureSite, OUT, ROOT, CLI, WASM_DIR, launchBrowser, watchPage, waitReady } from './site-common.mjs';
import { readBooks, rowFor, isbnCell, isbn10Of, toCSV, otherEditionsExport } from '../js/goodreads-gen.mjs';
import { isbn10to13, normTitle, authorKey } from '../../web/goodreads.js';

const STORAGE_KEY = 'bookrec.reader.v1';
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

let site;
let server;
let browser;
let page;
let problems;
let csvBooks;

const updated = (sel) => page.evaluate((s) => Number(document.querySelector(s)?.dataset.updated || 0), sel);
const waitPast = (sel, n) => page.waitForFunction(([s, v]) => Number(document.querySelector(s)?.dataset.updated || 0) > v, [sel, n]);
const ids = (sel) => page.$$eval(sel, (els) => els.map((e) => e.dataset.bookId));
const stored = () => page.evaluate((k) => JSON.parse(localStorage.getItem(k) || 'null'), STORAGE_KEY);
const focused = () => page.evaluate(() => {
  const a = document.activeElement;
  return { id: a?.id || '', role: a?.dataset?.role || '', list: a?.closest('ul, ol')?.id || '', book: a?.closest('[data-book-id]:not(fieldset)')?.dataset.bookId || '', value: a?.value };
});

async function fresh() {
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await waitReady(page);
}

async function searchFor(query) {
  const n = await updated('#search-results');
  await page.fill('#search', query);
  await waitPast('#search-results', n);
}

function writeTmp(name, text) {
  const p = path.join(site.tmp, name);
  writeFileSync(p, text);
  return p;
}

before(async () => {
  let origin;
  ({ site, server, origin } = await serveFixtureSite());
  csvBooks = readBooks(path.join(site.data, 'books.csv'));
  browser = await launchBrowser();
  page = browser.page;
  problems = await watchPage(page, origin);
  mkdirSync(OUT, { recursive: true });
  await page.goto(server.url);
  await waitReady(page);
});

after(async () => {
  await browser?.close();
  await server?.close();
  site?.cleanup();
});

describe('the reader\'s own books', () => {
  test('Goodreads import: every kind of row, matched N of M, unmatched listed, ratings folded in, to-read shelved', async () => {
    const first = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    assert.ok(!first.some((u) => u.endsWith('match.json')), 'match.json is not part of the first load');
    const inCat = new Set(site.books.map((b) => String(b.book_id)));
    // books whose normalised title + surname is unique, so a title match can only mean one book
    const key = (b) => `${normTitle(b.title)}|${authorKey(b.authors)}`;
    const count = new Map();
    for (const b of csvBooks) count.set(key(b), (count.get(key(b)) || 0) + 1);
    const pool = csvBooks.filter((b) => inCat.has(b.book_id) && b.isbn && count.get(key(b)) === 1 && !/[<>]/.test(b.title));
    const [a, b, c, d, e, f, g] = pool;
    const rows = [
      rowFor(a, { rating: 5, review: 'Loved it,\r\n"really"' }),
      { ...rowFor(b, { rating: 4 }), 'Book Id': '99000001' },
      { ...rowFor(c, { rating: 2 }), 'Book Id': '99000002', ISBN: isbnCell(''), ISBN13: isbnCell(isbn10to13(isbn10Of(c))) },
      { ...rowFor(d, { rating: 3 }), 'Book Id': '99000003', ISBN: isbnCell(''), ISBN13: isbnCell('9791234567896'), Title: `${d.title}: Collector's Edition` },
      rowFor(e, { shelf: 'to-read' }),
      rowFor(f, { rating: 0 }),
      { ...rowFor(g, { rating: 5 }), 'Book Id': '99000004', ISBN: isbnCell('0000000000'), Title: 'A Book Nobody Has Heard Of', Author: 'Nobody', 'Author l-f': 'Nobody' },
      rowFor(g, { rating: 1, shelf: 'currently-reading' }),
    ];
    const file = writeTmp('goodreads_library_export.csv', toCSV(rows, { bom: true, crlf: true }));
    const n = await updated('#rec-new');
    await page.setInputFiles('#gr-file', file);
    await page.waitForSelector('#gr-result .import-summary');
    assert.equal(await page.textContent('#gr-result .import-summary'), 'Matched 7 of 8 books from your Goodreads library.');
    assert.match(await page.textContent('#gr-result'), /5 ratings added; 1 book put on your want-to-read list; 1 read or being read but not rated/);
    assert.deepEqual(await page.$$eval('#gr-unmatched li', (lis) => lis.map((li) => li.firstChild.textContent)), ['A Book Nobody Has Heard Of']);
    await waitPast('#rec-new', n - 1);
    const rated = Object.fromEntries((await stored()).ratings);
    assert.deepEqual(rated, { [a.book_id]: 5, [b.book_id]: 4, [c.book_id]: 2, [d.book_id]: 3, [g.book_id]: 1 });
    assert.deepEqual((await ids('#my-ratings li')).sort(), Object.keys(rated).sort());
    assert.deepEqual(await ids('#want-list li'), [e.book_id]);
    for (const id of await ids('#rec-new .card')) assert.ok(!(id in rated), `rated book ${id} recommended`);
    assert.match(await page.textContent('#rec-new-info'), /your 5 ratings/);
    const fetched = await page.evaluate(() => performance.getEntriesByType('resource').map((x) => x.name));
    assert.ok(fetched.some((u) => u.endsWith('match.json')), 'match.json fetched for the import');
  });

  test('Goodreads import: an export of other editions, >= 95% of the catalogue\'s books matched', async (t) => {
    await fresh();
    const inCat = new Set(site.books.map((b) => String(b.book_id)));
    const books = csvBooks.filter((b) => inCat.has(b.book_id));
    const { rows } = otherEditionsExport(books, { count: books.length, other: 0.4, seed: 3 });
    await page.setInputFiles('#gr-file', writeTmp('other-editions.csv', toCSV(rows, { crlf: true })));
    await page.waitForSelector('#gr-result .import-summary');
    const [, got, of] = /Matched ([\d,]+) of ([\d,]+)/.exec(await page.textContent('#gr-result .import-summary')).map((x) => Number(String(x).replace(/,/g, '')));
    t.diagnostic(`other editions (40% of ${of} rows): matched ${got} (${((100 * got) / of).toFixed(1)}%)`);
    assert.equal(of, rows.length);
    assert.ok(got / of >= 0.95, `matched ${got} of ${of}`);
    // a long list shows 50 rows, then more on request (thousands of star controls would stall the page)
    const rated = (await stored()).ratings.length;
    assert.equal(await page.locator('#my-ratings li').count(), 50);
    assert.equal(await page.textContent('#mine-more'), `Show 200 more (${rated} in all)`);
    await page.click('#mine-more');
    assert.equal(await page.locator('#my-ratings li').count(), Math.min(250, rated));
    const f = await focused();
    assert.deepEqual([f.list, f.book], ['my-ratings', await page.getAttribute('#my-ratings li:nth-child(51)', 'data-book-id')], 'focus on the first new row');
  });

  test('not a Goodreads export: a message, nothing changed', async () => {
    const before = await stored();
    await page.setInputFiles('#gr-file', writeTmp('ratings.csv', 'user_id,book_id,rating\n1,2,3\n'));
    await page.waitForSelector('#gr-result .error');
    assert.match(await page.textContent('#gr-result'), /not a Goodreads library export/);
    assert.deepEqual(await stored(), before);
  });

  test('cards: Not interested (undo, persisted, left out), Want to read, the Goodreads link', async () => {
    await fresh();
    const card = page.locator('#rec-new .card').first();
    const id = await card.getAttribute('data-book-id');
    const link = card.locator('a.goodreads');
    const gr = csvBooks.find((b) => b.book_id === id).goodreads_book_id;
    assert.equal(await link.getAttribute('href'), `https://www.goodreads.com/book/show/${gr}`);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    let n = await updated('#rec-new');
    await card.locator('button.hide').click();
    await waitPast('#rec-new', n);
    assert.ok(!(await ids('#rec-new .card')).includes(id), 'hidden book left out');
    assert.deepEqual(await ids('#hidden-list li'), [id]);
    assert.equal((await focused()).list, 'rec-new', 'focus stays in the list');
    assert.match(await page.textContent('#toast-text'), /will not be recommended/);
    n = await updated('#rec-new');
    await page.click('#toast-action');
    await waitPast('#rec-new', n);
    assert.equal((await ids('#rec-new .card'))[0], id, 'undo brings it back');
    assert.deepEqual(await ids('#hidden-list li'), []);
    // again, then a reload: still hidden
    n = await updated('#rec-new');
    await page.locator('#rec-new .card').first().locator('button.hide').click();
    await waitPast('#rec-new', n);
    const want = (await ids('#rec-new .card'))[1];
    await page.locator(`#rec-new .card[data-book-id="${want}"] button.want`).click();
    assert.equal(await page.getAttribute(`#rec-new .card[data-book-id="${want}"] button.want`, 'aria-pressed'), 'true');
    await page.reload();
    await waitReady(page);
    assert.ok(!(await ids('#rec-new .card')).includes(id), 'still left out after a reload');
    assert.deepEqual(await ids('#hidden-list li'), [id]);
    assert.deepEqual(await ids('#want-list li'), [want]);
    assert.deepEqual(await stored(), { version: 1, ratings: [], want: [want], hidden: [id] });
    // "Show again" from the shelf
    n = await updated('#rec-new');
    await page.click('#hidden-list li button');
    await waitPast('#rec-new', n);
    assert.ok((await ids('#rec-new .card')).includes(id));
  });

  test('reader data file: save, restore after a wipe, unknown books kept aside, a broken file refused', async () => {
    await fresh();
    const [x, y, z] = site.books.slice(5, 8).map((b) => String(b.book_id));
    await page.evaluate(([k, v]) => localStorage.setItem(k, v), [STORAGE_KEY, JSON.stringify({ version: 1, ratings: [[x, 4], ['gone-123', 5]], want: [y], hidden: [z] })]);
    await page.reload();
    await waitReady(page);
    assert.match(await page.textContent('#notice-text'), /1 saved entry refers to books that are not in this catalogue; it is kept aside/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const saved = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(saved.format, 'bookrec-reader');
    assert.equal(saved.version, 1);
    assert.deepEqual(saved.ratings, [[x, 4], ['gone-123', 5]], 'what is kept aside is saved too');
    assert.deepEqual([saved.want, saved.hidden], [[y], [z]]);
    assert.match(download.suggestedFilename(), /^bookrec-reader-\d{4}-\d\d-\d\d\.json$/);
    await fresh();
    assert.equal(await page.locator('#my-ratings li').count(), 0);
    await page.setInputFiles('#restore-file', writeTmp('saved.json', JSON.stringify(saved)));
    await page.waitForFunction(() => /Restored from/.test(document.getElementById('data-info').textContent));
    assert.match(await page.textContent('#data-info'), /1 rating added, 1 want to read, 1 not interested, 1 for books not in this catalogue, kept aside/);
    assert.deepEqual(await ids('#my-ratings li'), [x]);
    assert.deepEqual(await ids('#want-list li'), [y]);
    assert.deepEqual(await ids('#hidden-list li'), [z]);
    assert.deepEqual((await stored()).ratings, [[x, 4], ['gone-123', 5]]);
    // a damaged file changes nothing; a file with one bad entry keeps the rest
    const before = await stored();
    await page.setInputFiles('#restore-file', writeTmp('broken.json', '{"format":"bookrec-reader","version":1,"ratings":[["1",'));
    await page.waitForFunction(() => /Nothing was changed/.test(document.getElementById('data-info').textContent));
    assert.deepEqual(await stored(), before);
    await page.setInputFiles('#restore-file', writeTmp('partly.json', JSON.stringify({ format: 'bookrec-reader', version: 1, ratings: [[y, 2], [z, 17]] })));
    await page.waitForFunction(() => /partly\.json/.test(document.getElementById('data-info').textContent));
    assert.match(await page.textContent('#data-info'), /1 rating added.*1 unreadable entry skipped \(rating outside 1-5\)/);
    assert.deepEqual(Object.fromEntries((await stored()).ratings), { [x]: 4, 'gone-123': 5, [y]: 2 });
  });

  test('keyboard: arrows move the stars without saving; Enter, Space or leaving saves; focus stays in the list', async () => {
    await fresh();
    // "Recommended for you": Tab to the first card's stars, → once: nothing saved, nothing redrawn
    const first = page.locator('#rec-new .card').first();
    const id = await first.getAttribute('data-book-id');
    await page.focus('#new-k');
    await page.keyboard.press('Tab');
    let f = await focused();
    assert.deepEqual([f.role, f.book], ['stars', id]);
    const n = await updated('#rec-new');
    await page.keyboard.press('ArrowRight');
    assert.equal(await updated('#rec-new'), n, 'an arrow does not save');
    assert.equal(await stored(), null);
    f = await focused();
    assert.deepEqual([f.book, f.value], [id, '2']);
    await page.keyboard.press('Enter');
    await waitPast('#rec-new', n);
    assert.deepEqual((await stored()).ratings, [[id, 2]]);
    f = await focused();
    assert.equal(f.list, 'rec-new', 'focus stays in the recommendations');
    assert.equal(f.role, 'stars');
    assert.notEqual(f.book, id, 'on the book that took the rated one\'s place');
    // Space on a star saves it at once, and focus again stays in the list
    const next = f.book;
    const n2 = await updated('#rec-new');
    await page.keyboard.press('Space');
    await waitPast('#rec-new', n2);
    assert.deepEqual(Object.fromEntries((await stored()).ratings), { [id]: 2, [next]: 1 });
    assert.equal((await focused()).list, 'rec-new');
    // "Your ratings": arrows do not save or redraw; Tab away saves, focus goes where Tab went
    const row = page.locator(`#my-ratings li[data-book-id="${id}"]`);
    await row.locator('input:checked').focus();
    const m = await updated('#rec-new');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await updated('#rec-new'), m);
    assert.equal(Object.fromEntries((await stored()).ratings)[id], 2);
    f = await focused();
    assert.deepEqual([f.list, f.book, f.value], ['my-ratings', id, '4']);
    await page.keyboard.press('Escape');
    assert.equal((await focused()).value, '2', 'Escape undoes the move');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Tab');
    await waitPast('#rec-new', m);
    assert.equal(Object.fromEntries((await stored()).ratings)[id], 3);
    f = await focused();
    assert.deepEqual([f.list, f.book, f.role], ['my-ratings', id, 'remove'], 'focus on the Remove button Tab went to');
    assert.deepEqual(await ids('#my-ratings li'), [next, id], 'a changed rating keeps its place');
  });

  test('Clear my ratings asks first and can be undone', async () => {
    const before = (await stored()).ratings;
    await page.click('#clear');
    assert.equal(await page.isVisible('#clear-confirm'), true);
    assert.match(await page.textContent('#clear-q'), /Clear all 2 ratings\?/);
    assert.equal((await focused()).id, 'clear-no');
    await page.click('#clear-no');
    assert.deepEqual((await stored()).ratings, before, 'Cancel keeps them');
    await page.click('#clear');
    await page.click('#clear-yes');
    assert.equal(await page.locator('#my-ratings li').count(), 0);
    assert.equal(await stored(), null);
    assert.match(await page.textContent('#toast-text'), /Your 2 ratings were cleared/);
    await page.click('#toast-action');
    await page.waitForFunction(() => document.querySelectorAll('#my-ratings li').length === 2);
    assert.deepEqual((await stored()).ratings.sort(), [...before].sort());
  });

  test('headings do not skip levels; covers hidden until loaded; "< 0.1 ms" not "0.00 ms"', async () => {
    await searchFor(String(site.books[1].title).split(/\s+/).slice(0, 2).join(' '));
    const levels = await page.$$eval('main h2, main h3, main h4, main h5', (hs) => hs.filter((h) => h.offsetParent !== null).map((h) => [Number(h.tagName[1]), h.textContent.slice(0, 40)]));
    let prev = 1;
    for (const [lv, text] of levels) {
      assert.ok(lv <= prev + 1, `heading h${lv} "${text}" follows h${prev}`);
      prev = lv;
    }
    const covers = await page.$$eval('img.cover', (imgs) => imgs.map((i) => [i.classList.contains('loaded'), getComputedStyle(i).opacity, i.complete && i.naturalWidth > 0]));
    for (const [loaded, opacity, ok] of covers) {
      if (!loaded) assert.equal(opacity, '0', 'a cover that has not loaded is not shown');
      if (loaded) assert.ok(ok);
    }
    assert.doesNotMatch(await page.textContent('#status'), /0\.00 ms/);
  });

  test('phone: "Show" beside its list; after rating from search, a toast leads to the recommendations', async () => {
    await page.setViewportSize(PHONE);
    await fresh();
    for (const sel of ['new-k', 'user-k']) {
      const [l, s] = await page.evaluate((id) => [document.querySelector(`label[for="${id}"]`), document.getElementById(id)].map((e) => {
        const r = e.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
      }), sel);
      assert.ok(Math.abs((l.top + l.bottom) / 2 - (s.top + s.bottom) / 2) < 8, `${sel}: label and list on one line`);
      assert.ok(s.left - l.right >= 0 && s.left - l.right < 24, `${sel}: label right beside its list`);
    }
    await searchFor('the'); // many results: the recommendations are out of view below them
    const card = page.locator('#search-results .card').first();
    const n = await updated('#rec-new');
    await card.locator('label').nth(3).click();
    await waitPast('#rec-new', n);
    await page.waitForSelector('#toast:not([hidden])');
    assert.match(await page.textContent('#toast-text'), /Recommendations updated/);
    await page.screenshot({ path: path.join(OUT, 'library-phone-toast.png') });
    await page.click('#toast-action');
    assert.equal((await focused()).id, 'rec-new-h');
    await page.waitForFunction(() => Math.abs(document.getElementById('rec-new-h').getBoundingClientRect().top) < 40);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways on a phone by ${overflow}px`);
    await page.locator('#library').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, 'library-phone.png') });
    await page.setViewportSize(DESKTOP);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(OUT, 'library.png'), fullPage: true });
  });

  test('offline after the first visit, and a new build is taken when there is one', async () => {
    await page.goto(server.url);
    await waitReady(page);
    // the web app manifest and the service worker script (not cached by HTTP, so updates are seen)
    const href = await page.getAttribute('link[rel="manifest"]', 'href');
    const man = await page.request.get(new URL(href, server.url).href);
    assert.equal(man.status(), 200);
    const manifest = await man.json();
    assert.equal(new URL(manifest.start_url, new URL(href, server.url)).href, server.url);
    assert.equal(manifest.display, 'standalone');
    const sw = await page.request.get(new URL('sw.js', server.url).href);
    assert.match(sw.headers()['cache-control'] || '', /no-cache/);
    assert.match(await sw.text(), new RegExp(`"${site.built.prefix}"`));
    await page.waitForSelector('html[data-offline="ready"]');
    await page.reload(); // now controlled by the service worker
    await waitReady(page);
    assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true);
    const recs = await ids('#rec-new .card');
    await browser.context.setOffline(true);
    try {
      await page.reload();
      await waitReady(page);
      assert.deepEqual(await ids('#rec-new .card'), recs, 'the same recommendations offline');
      await searchFor('the');
      assert.ok((await page.locator('#search-results .card').count()) > 0, 'search works offline');
    } finally {
      await browser.context.setOffline(false);
    }
    // a new build (another model, so other asset hashes), served at the same address
    const oldPrefix = site.built.prefix;
    const model = path.join(site.tmp, 'model2.bkr');
    const models = path.join(site.tmp, 'models2');
    for (const args of [['train', '--data', site.data, '--epochs', '2', '--seed', '9', '--out', model], ['export', '--data', site.data, '--model', model, '--out', models]]) {
      const r = spawnSync(CLI, args, { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    const { buildSite } = await import(path.join(ROOT, 'tools', 'build-site.mjs'));
    const built = buildSite({ models, data: site.data, wasm: WASM_DIR, out: site.dist });
    assert.notEqual(built.prefix, oldPrefix);
    const port = server.port;
    await server.close();
    const { startServer } = await import(path.join(ROOT, 'tools', 'serve.mjs'));
    server = await startServer({ dir: site.dist, port });
    await page.reload();
    await waitReady(page);
    const scripts = await page.$$eval('script[src]', (s) => s.map((x) => x.getAttribute('src')));
    assert.ok(scripts.every((s) => s.startsWith(built.prefix)), `the new build's page: ${scripts}`);
    await page.waitForFunction((p) => caches.keys().then((k) => k.includes(`bookrec-${p}`) && k.length === 1), built.prefix, { timeout: 20000 });
  });

  test('no CSP violation, console error, page error or dialog', async () => {
    await problems.collectCsp();
    assert.deepEqual(problems.csp, [], 'CSP violations');
    assert.deepEqual(problems.console, [], 'console errors');
    assert.deepEqual(problems.pageErrors, [], 'page errors');
    assert.deepEqual(problems.dialogs, [], 'dialogs');
  });
});
