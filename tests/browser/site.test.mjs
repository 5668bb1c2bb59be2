// node --test: the bookrec site end to end in headless Debian Chromium (playwright-core), served by
// tools/serve.mjs with the same headers as Firebase (CSP active, both the header and the <meta>),
// built from a model the CLI trains on the fixture dataset. It checks: a dataset reader's
// recommendations leave out the books they rated; a new reader rates five books (mouse and keyboard)
// and gets recommendations without them; the ratings survive a reload; a corrupted storage entry
// makes the page start clean and say so; similar books; hostile titles and image URLs from the CSV
// stay text and placeholders; and no CSP violation, console error, page error or dialog happens.
// Screenshots: tests/out/site.png (desktop) and tests/out/site-phone.png (375x812).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { serveFixtureSite, OUT, launchBrowser, watchPage, waitReady, ratedByUser } from './site-common.mjs';

const HOSTILE_TITLE = '<img src=x onerror=alert(1)>';
const STORAGE_KEY = 'bookrec.reader.v1';

let site;
let server;
let browser;
let page;
let problems;
let origin;

async function cardIds(selector) {
  return page.$$eval(`${selector} .card`, (cards) => cards.map((c) => c.dataset.bookId));
}

async function updatedCount(selector) {
  return Number((await page.getAttribute(selector, 'data-updated')) || 0);
}

async function waitUpdatedPast(selector, n) {
  await page.waitForFunction(([sel, v]) => Number(document.querySelector(sel)?.dataset.updated || 0) > v, [selector, n]);
}

// Searches for a book by a few words of its title and returns the locator of its card in the results.
async function findInSearch(book) {
  const words = String(book.title).match(/[\p{L}\p{N}]+/gu) || [];
  const query = words.slice(0, 4).join(' ') || String(book.title);
  const before = await updatedCount('#search-results');
  await page.fill('#search', query);
  await waitUpdatedPast('#search-results', before);
  const card = page.locator(`#search-results .card[data-book-id="${String(book.book_id).replace(/["\\]/g, '\\$&')}"]`);
  if ((await card.count()) === 0) {
    const found = await cardIds('#search-results');
    throw new Error(`search "${query}" did not list book ${book.book_id} (got ${found.join(',')})`);
  }
  return card.first();
}

before(async () => {
  ({ site, server, origin } = await serveFixtureSite());
  browser = await launchBrowser();
  page = browser.page;
  problems = await watchPage(page, origin);
  mkdirSync(OUT, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  site?.cleanup();
});

describe('bookrec site', () => {
  test('starts with the SIMD kernel and a status line', async () => {
    await page.goto(server.url);
    await waitReady(page);
    assert.equal(await page.getAttribute('html', 'data-kernel'), 'simd');
    const status = await page.textContent('#status');
    assert.match(status, /SIMD/);
    assert.match(status, /last: top-10 of [\d,]+ (< )?[\d.]+ ms/);
    assert.doesNotMatch(status, /\b0\.00 ms/, 'a time below the timer resolution is not shown as 0.00 ms');
    assert.equal(await page.locator('#rec-new .card').count(), 10, 'first recommendations for a new reader');
    // the users' part is not fetched until the dataset panel is used
    const fetched = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    assert.ok(fetched.some((u) => u.endsWith('model-items.bkr')), 'model-items.bkr fetched');
    assert.ok(!fetched.some((u) => u.endsWith('model-users.bkr') || u.endsWith('rated.bin')), `users part fetched early: ${fetched.join(' ')}`);
  });

  test('a dataset reader: top-k leaves out the books they rated', async () => {
    const rated = ratedByUser(site.data);
    // the reader with the most ratings: if exclusion were broken, their books would show up
    const [userId, books] = [...rated].sort((a, b) => b[1].size - a[1].size)[0];
    await page.fill('#user-id', userId);
    await page.selectOption('#user-k', '20');
    const n0 = await updatedCount('#rec-user');
    await page.click('#user-go');
    await waitUpdatedPast('#rec-user', n0);
    const ids = await cardIds('#rec-user');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'user-go', 'focus stays on the button after the first Recommend');
    assert.equal(ids.length, Math.min(20, site.books.length - books.size));
    for (const id of ids) assert.ok(!books.has(id), `book ${id} was rated by user ${userId} but recommended`);
    assert.match(await page.textContent('#user-info'), new RegExp(`The ${books.size} books? they rated`));
    // every card shows the shipped top-N model's match chance (a percentage, never a capped rating)
    const scores = await page.$$eval('#rec-user .card .score', (ps) => ps.map((p) => p.textContent));
    assert.equal(scores.length, ids.length);
    for (const s of scores) {
      const v = Number((s.match(/^(\d+)% match$/) || [])[1]);
      assert.ok(v >= 1 && v <= 99, `card score "${s}"`);
    }
    // ids that are not readers get a message for people (with the valid range), not a developer's
    const hi = Math.max(...[...rated.keys()].map(Number));
    for (const bad of ['abc', '-1', '0', '1.5', '999999999', 'no-such-user-42']) {
      await page.fill('#user-id', bad);
      const n1 = await updatedCount('#rec-user');
      await page.press('#user-id', 'Enter');
      await waitUpdatedPast('#rec-user', n1);
      const info = await page.textContent('#user-info');
      assert.doesNotMatch(info, /recommendUser|unknown user id/, `${bad}: ${info}`);
      assert.match(info, new RegExp(`from 1 to ${hi.toLocaleString('en')}`), `${bad}: ${info}`);
      assert.equal(await page.locator('#rec-user .card').count(), 0);
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'user-id', 'focus stays in the field');
    }
    // full-width digits are the same id
    await page.fill('#user-id', String(userId).replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))));
    const n2 = await updatedCount('#rec-user');
    await page.click('#user-go');
    await waitUpdatedPast('#rec-user', n2);
    assert.deepEqual(await cardIds('#rec-user'), ids, 'the same reader');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'user-go', 'focus stays on the button');
  });

  test('a new reader rates five books and gets recommendations without them', async () => {
    const picks = [site.books[0], site.books[3], site.books[7], site.books[12], site.books[20]].filter(Boolean);
    assert.equal(picks.length, 5, 'the fixture has at least 21 books');
    const stars = [5, 4, 5, 2, 4];
    for (let j = 0; j < picks.length; j++) {
      const card = await findInSearch(picks[j]);
      const n0 = await updatedCount('#rec-new');
      if (j === 1) {
        // keyboard: focus the radio for 1 star, Space saves 1; arrows move without saving, Enter saves
        await card.locator('input[type=radio]').first().focus();
        await page.keyboard.press('Space');
        await waitUpdatedPast('#rec-new', n0);
        const n1 = await updatedCount('#rec-new');
        for (let s = 1; s < stars[j]; s++) await page.keyboard.press('ArrowRight');
        assert.equal(await updatedCount('#rec-new'), n1, 'arrows alone save nothing');
        await page.keyboard.press('Enter');
        await waitUpdatedPast('#rec-new', n1);
      } else {
        await card.locator('label').nth(stars[j] - 1).click();
        await waitUpdatedPast('#rec-new', n0);
      }
    }
    const ratedIds = picks.map((b) => String(b.book_id));
    const mine = await page.$$eval('#my-ratings li', (lis) => lis.map((li) => li.dataset.bookId));
    assert.deepEqual([...mine].sort(), [...ratedIds].sort());
    const checked = await page.$$eval('#my-ratings li', (lis) => lis.map((li) => [li.dataset.bookId, li.querySelector('input:checked')?.value]));
    for (const [id, v] of checked) assert.equal(Number(v), stars[ratedIds.indexOf(id)], `stars of book ${id}`);
    const recs = await cardIds('#rec-new');
    assert.equal(recs.length, Math.min(10, site.books.length - 5));
    for (const id of recs) assert.ok(!ratedIds.includes(id), `rated book ${id} recommended`);
    assert.match(await page.textContent('#rec-new-info'), /your 5 ratings/);
    // the shipped top-N model: a calibrated match on every card (no rating, no "5.00" cap), falling down the
    // list, and the rated books behind the recommendations
    // (a series' first book offered in place of a later one, data-series-start, keeps its own lower match)
    const scores = await page.$$eval('#rec-new .card .score', (ps) => ps.map((p) => p.textContent));
    // (and a later book shown right below its series' first book, data-series-after, keeps its own higher match)
    const starts = await page.$$eval('#rec-new .card', (cs) => cs.map((c) => c.dataset.seriesStart !== undefined
      || c.dataset.seriesAfter !== undefined));
    assert.equal(scores.length, recs.length);
    const pct = scores.map((t) => Number((t.match(/^(\d+)% match$/) || [])[1]));
    let prev = Infinity;
    for (let j = 0; j < pct.length; j++) {
      assert.ok(pct[j] >= 1 && pct[j] <= 99, `card ${j}: "${scores[j]}"`);
      if (starts[j]) continue;
      assert.ok(pct[j] <= prev, 'matches fall down the list');
      prev = pct[j];
    }
    const because = await page.$$eval('#rec-new .card .because', (ps) => ps.map((p) => p.textContent));
    assert.ok(because.length >= 3, `only ${because.length} cards say why`);
    const likedTitles = picks.filter((b, j) => stars[j] >= 4).map((b) => b.title);
    for (const t of because) {
      assert.match(t, /^Because you liked /);
      assert.ok(likedTitles.some((title) => t.includes(title)), `"${t}" names no book the reader liked`);
    }
  });

  test('the ratings survive a reload', async () => {
    const before = await page.$$eval('#my-ratings li', (lis) => lis.map((li) => [li.dataset.bookId, li.querySelector('input:checked')?.value]));
    const recsBefore = await cardIds('#rec-new');
    await page.reload();
    await waitReady(page);
    const after = await page.$$eval('#my-ratings li', (lis) => lis.map((li) => [li.dataset.bookId, li.querySelector('input:checked')?.value]));
    assert.equal(after.length, 5);
    assert.deepEqual(after, before);
    assert.deepEqual(await cardIds('#rec-new'), recsBefore, 'same ratings, same recommendations');
    assert.equal(await page.isVisible('#notice'), false, 'no notice on a clean reload');
  });

  test('the no-SIMD build gives the same recommendations', async () => {
    const simdRecs = await cardIds('#rec-new');
    await page.goto(`${server.url}?nosimd`);
    await waitReady(page);
    assert.equal(await page.getAttribute('html', 'data-kernel'), 'nosimd');
    assert.match(await page.textContent('#status'), /no SIMD/);
    const scalarRecs = await cardIds('#rec-new');
    assert.equal(scalarRecs.length, simdRecs.length);
    // the two kernels round differently, so near-ties may swap; the lists must still agree
    const common = scalarRecs.filter((id) => simdRecs.includes(id)).length;
    assert.ok(common >= simdRecs.length - 2, `SIMD ${simdRecs} vs scalar ${scalarRecs}`);
    await page.goto(server.url);
    await waitReady(page);
    assert.equal(await page.getAttribute('html', 'data-kernel'), 'simd');
  });

  test('similar books for a recommended book', async () => {
    const first = page.locator('#rec-new .card').first();
    const id = await first.getAttribute('data-book-id');
    await first.locator('button.similar').click();
    await page.waitForSelector('#similar-list .card');
    const ids = await cardIds('#similar-list');
    assert.ok(ids.length >= Math.min(5, site.books.length - 1), `only ${ids.length} similar books`);
    assert.ok(!ids.includes(id), 'a book is not similar to itself');
    const title = site.books.find((b) => String(b.book_id) === id).title;
    assert.equal(await page.textContent('#similar-h'), `Books similar to “${title}”`);
    const sims = await page.$$eval('#similar-list .score', (ps) => ps.map((p) => Number(p.textContent.replace(/[^\d.-]/g, ''))));
    for (let j = 1; j < sims.length; j++) assert.ok(sims[j] <= sims[j - 1] + 1e-9, 'similarities descend');
    // keyboard focus moved to the panel's heading
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'similar-h');
  });

  test('hostile titles and image URLs stay text and placeholders', async () => {
    const hostile = site.books.find((b) => b.title === HOSTILE_TITLE);
    assert.ok(hostile, 'the fixture has the hostile title');
    const card = await findInSearch({ ...hostile, title: 'img src onerror alert' });
    assert.equal(await card.locator('.title').textContent(), HOSTILE_TITLE);
    assert.equal(await page.evaluate(() => document.querySelectorAll('img:not(.cover)').length), 0, 'no img element besides covers');
    assert.equal(await page.evaluate(() => [...document.images].filter((i) => /\/x$/.test(i.src)).length), 0);
    const bad = site.books.find((b) => /^\s*javascript:/i.test(b.image_url || '') || /^\s*javascript:/i.test(b.small_image_url || ''));
    assert.ok(bad, 'the fixture has a javascript: image URL');
    const badCard = await findInSearch(bad);
    assert.equal(await badCard.locator('.authors').textContent(), bad.authors, 'authors shown as text');
    assert.equal(await page.evaluate(() => document.querySelectorAll('main b, main script, main iframe').length), 0);
    const src = await badCard.locator('img.cover').getAttribute('src');
    assert.match(src, /cover\.svg$/, `unsafe image URL used: ${src}`);
    const srcs = await page.evaluate(() => [...document.images].map((i) => i.getAttribute('src')));
    for (const s of srcs) assert.ok(/^(https:|a\/|\/)|cover\.svg$/.test(s) || s.startsWith('http://127.0.0.1'), `image src ${s}`);
    await page.waitForTimeout(300); // give a would-be onerror handler its chance
    assert.deepEqual(problems.dialogs, []);
  });

  test('screenshots: desktop and phone', async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: path.join(OUT, 'site.png'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 812 });
    await page.evaluate(() => window.scrollTo(0, 0));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways on a phone by ${overflow}px`);
    await page.screenshot({ path: path.join(OUT, 'site-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('a corrupted storage entry: the page starts clean and says so, keeping a copy', async () => {
    for (const bad of ['{"version":1,"ratings":[["1",5', 'null', '[]']) {
      await page.evaluate(([k, v]) => localStorage.setItem(k, v), [STORAGE_KEY, bad]);
      await page.reload();
      await waitReady(page);
      assert.equal(await page.isVisible('#notice'), true, `notice shown for ${bad}`);
      assert.match(await page.textContent('#notice-text'), /started clean; a copy of the old entry is kept/);
      assert.equal(await page.locator('#my-ratings li').count(), 0);
      assert.equal(await page.evaluate((k) => localStorage.getItem(k), STORAGE_KEY), null, 'the bad entry is removed');
      assert.equal(await page.evaluate(() => localStorage.getItem('bookrec.reader.backup')), bad, 'and kept as a backup');
      assert.ok((await cardIds('#rec-new')).length > 0, 'recommendations still work');
    }
    // one bad entry among good ones: only it is left out
    const good = String(site.books[2].book_id);
    await page.evaluate(([k, v]) => localStorage.setItem(k, v), [STORAGE_KEY, JSON.stringify({ version: 1, ratings: [['1', 9], [good, 3]] })]);
    await page.reload();
    await waitReady(page);
    assert.match(await page.textContent('#notice-text'), /1 saved entry could not be read \(rating outside 1-5\)/);
    assert.deepEqual(await page.$$eval('#my-ratings li', (lis) => lis.map((li) => li.dataset.bookId)), [good]);
    await page.click('#my-ratings li button.remove');
    await page.waitForFunction(() => document.querySelectorAll('#my-ratings li').length === 0);
    // and rating again works and is saved
    const card = await findInSearch(site.books[1]);
    const n0 = await updatedCount('#rec-new');
    await card.locator('label').nth(3).click();
    await waitUpdatedPast('#rec-new', n0);
    const saved = JSON.parse(await page.evaluate((k) => localStorage.getItem(k), STORAGE_KEY));
    assert.deepEqual(saved, { version: 1, ratings: [[String(site.books[1].book_id), 4]] });
    // the clear button asks, then empties it
    await page.click('#clear');
    await page.click('#clear-yes');
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), STORAGE_KEY), null);
    assert.equal(await page.locator('#my-ratings li').count(), 0);
  });

  test('no CSP violation, console error, page error or dialog during the run', async () => {
    await problems.collectCsp();
    assert.deepEqual(problems.csp, [], 'CSP violations');
    assert.deepEqual(problems.console, [], 'console errors');
    assert.deepEqual(problems.pageErrors, [], 'page errors');
    assert.deepEqual(problems.dialogs, [], 'dialogs');
    // the CSP really is active: the header and the meta tag both forbid inline script
    const res = await page.request.get(server.url);
    assert.match(res.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval';/);
    assert.doesNotMatch(res.headers()['content-security-policy'], /'unsafe-inline'|'unsafe-eval'/);
    const blocked = await page.evaluate(() => new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', () => resolve(true), { once: true });
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
      setTimeout(() => resolve(false), 1000);
    }));
    assert.equal(blocked, true, 'an inline script is blocked by the CSP');
    assert.equal(await page.evaluate(() => window.__inlineRan === true), false);
  });
});
