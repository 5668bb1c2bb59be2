// node --test: the bookrec site before its model has arrived, in headless Debian Chromium on a desktop and a
// phone viewport. The model file (model-items.bkr) is held back with route interception while the test checks
// that the starter list is shown, the search answers, a rating is kept and the download progress is shown; then
// the model is let through and the rating given meanwhile must be folded into the model's own list (the same
// list a reload with that rating shows). Also: catalog.json carries only what the first view needs (no covers
// or genres; those come in details.json). No CSP violation, console error or page error. Not a speed test:
// `npm run bench:web` times the phone profile.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { serveFixtureSite, launchBrowser, watchPage, waitReady } from './site-common.mjs';

const STORAGE_KEY = 'bookrec.reader.v1';
const VIEWPORTS = [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]];

let site;
let server;
let origin;

before(async () => {
  ({ site, server, origin } = await serveFixtureSite());
});

after(async () => {
  await server?.close();
  site?.cleanup();
});

const cardIds = (page, sel) => page.$$eval(`${sel} .card`, (cards) => cards.map((c) => c.dataset.bookId));

describe('the site before the model arrives', () => {
  test('catalog.json holds titles, authors and the starter list; covers and genres are in details.json', () => {
    const dir = path.join(site.dist, 'a', readdirSync(path.join(site.dist, 'a'))[0], 'model');
    const cat = JSON.parse(readFileSync(path.join(dir, 'catalog.json'), 'utf8'));
    const det = JSON.parse(readFileSync(path.join(dir, 'details.json'), 'utf8'));
    const n = site.books.length;
    assert.equal(cat.title.length, n);
    assert.equal(cat.authors.length, n);
    for (const k of ['image', 'year', 'avg', 'genre', 'gr']) assert.ok(!(k in cat), `catalog.json has no ${k}`);
    assert.ok(cat.start.i.length >= 10 && cat.start.i.every((i) => Number.isInteger(i) && i >= 0 && i < n), 'a starter list of book indices');
    assert.equal(cat.start.image.length, cat.start.i.length, 'the starter books carry their covers');
    assert.equal(det.image.length, n);
    // covers round-trip through the factored prefixes
    site.books.forEach((b, i) => {
      const url = String(b.image_url || b.small_image_url || '');
      const m = /^(\d+):/.exec(det.image[i]);
      assert.equal(m ? det.imageBase[m[1]] + det.image[i].slice(m[0].length) : '', url, `cover of book ${i}`);
    });
  });

  for (const [name, viewport] of VIEWPORTS) {
    test(`${name}: starter list, search and a kept rating while the model is held, folded in after`, async () => {
      const browser = await launchBrowser();
      try {
        const page = browser.page;
        await page.setViewportSize(viewport);
        const problems = await watchPage(page, origin);
        let release;
        const held = new Promise((r) => { release = r; });
        let modelAsked = 0;
        await page.route('**/model-items.bkr', async (route) => {
          modelAsked++;
          await held;
          await route.continue();
        });
        await page.goto(server.url);
        await page.waitForSelector('html[data-catalog="ready"]');
        assert.equal(await page.getAttribute('html', 'data-state'), null, 'the model has not arrived');
        assert.equal(await page.getAttribute('#rec-new', 'data-source'), 'starter');
        const starter = await cardIds(page, '#rec-new');
        assert.equal(starter.length, 10, 'a first list of ten books');
        assert.match(await page.textContent('#rec-new-info'), /while the model downloads/);
        assert.equal(await page.locator('#rec-new .card .score').count(), 0, 'no match figures before the model');
        // the download progress is shown
        await page.waitForFunction(() => Boolean(document.getElementById('model-progress')?.offsetParent), null, { timeout: 5000 });
        const bar = page.locator('[role="progressbar"]#model-progress');
        assert.ok(await bar.isVisible(), 'the model download shows a progress bar');
        assert.equal(await bar.getAttribute('aria-valuemin'), '0');
        assert.ok(modelAsked >= 1, 'the model was requested');

        // search answers before the model
        const book = site.books.find((b) => !starter.slice(0, 10).includes(String(b.book_id)) && /[a-z]{4}/i.test(b.title)) || site.books[0];
        const query = (String(book.title).match(/[\p{L}\p{N}]+/gu) || []).slice(0, 4).join(' ');
        await page.fill('#search', query);
        const card = page.locator(`#search-results .card[data-book-id="${book.book_id}"]`);
        await card.waitFor({ timeout: 10000 });
        // a rating before the model: kept (storage, "Your ratings"), left out of the list, said so
        await card.locator('fieldset.stars label').nth(3).click();
        await page.waitForFunction((id) => document.querySelector(`#my-ratings [data-book-id="${id}"]`), String(book.book_id));
        const stored = await page.evaluate((k) => localStorage.getItem(k), STORAGE_KEY);
        assert.match(stored, new RegExp(`"${book.book_id}"`), 'the rating is saved');
        assert.match(await page.textContent('#rec-new-info'), /Your 1 rating is kept and will be folded in/);
        assert.ok(!(await cardIds(page, '#rec-new')).includes(String(book.book_id)), 'a rated book leaves the list');
        assert.equal(await page.getAttribute('html', 'data-state'), null, 'all this before the model');

        // the model arrives: its own list, with the rating folded in
        release();
        await waitReady(page);
        assert.equal(await page.getAttribute('#rec-new', 'data-source'), 'model');
        assert.match(await page.textContent('#rec-new-info'), /From your 1 rating/);
        const folded = await cardIds(page, '#rec-new');
        assert.ok(!folded.includes(String(book.book_id)), 'the rated book is left out');
        assert.ok(await page.locator('#rec-new .card .score').count() > 0, 'the model\'s match figures');
        assert.ok(!(await page.locator('#model-progress').isVisible()), 'the progress bar is gone');
        // the same list as a page that had the rating from the start
        await page.unroute('**/model-items.bkr');
        await page.reload();
        await waitReady(page);
        assert.deepEqual(await cardIds(page, '#rec-new'), folded, 'the rating given early was folded in like any other');

        await problems.collectCsp();
        assert.deepEqual(problems.csp, [], 'no CSP violations');
        assert.deepEqual(problems.console, [], 'no console errors');
        assert.deepEqual(problems.pageErrors, [], 'no page errors');
        assert.deepEqual(problems.dialogs, [], 'no dialogs');
      } finally {
        await browser.close();
      }
    });
  }
});

