// bookrec's service worker: keeps the site usable offline after the first visit. The site build
// (tools/build-site.mjs) writes it beside index.html with this build's asset folder and the files a
// first view needs filled in below, so every build has a different sw.js and the browser installs it
// when it checks for an update (on each visit). Strategy: the page itself network first (a new build
// is taken as soon as there is one; the cached copy when offline); the hashed assets in a/<hash>/ cache
// first (their names change with their content), cached when first used; nothing from other origins
// (cover images) is touched. Old builds' caches are deleted when a new one takes over.
// Not an updater UI and no background sync: nothing the reader gives is sent anywhere.
const BUILD = '__BUILD__'; // e.g. a/0123456789ab/
const PRECACHE = ['./'].concat('__PRECACHE__'.split(' ').filter(Boolean).map((f) => BUILD + f));
const CACHE = `bookrec-${BUILD}`;
const PAGE = new URL('./', self.registration.scope).href;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // the hashed assets usually come from the HTTP cache (the page has just loaded them, immutable for a
    // year), so installing costs no second download; the page itself is revalidated
    await cache.addAll(PRECACHE.map((p) => new Request(new URL(p, self.registration.scope), { cache: p === './' ? 'no-cache' : 'default' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith('bookrec-') && key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

async function pageNetworkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request);
    if (res.ok && res.type === 'basic') await cache.put(PAGE, res.clone());
    return res;
  } catch (e) {
    const hit = await cache.match(PAGE);
    if (hit) return hit;
    throw e;
  }
}

async function assetCacheFirst(request) {
  const hit = await caches.match(request, { ignoreVary: true });
  if (hit) return hit;
  const res = await fetch(request);
  if (res.ok && res.type === 'basic') {
    const cache = await caches.open(CACHE);
    await cache.put(request, res.clone());
  }
  return res;
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  const rel = url.pathname.slice(scope.pathname.length);
  if (req.mode === 'navigate' || rel === '' || rel === 'index.html') event.respondWith(pageNetworkFirst(req));
  else if (rel.startsWith('a/')) event.respondWith(assetCacheFirst(req));
});
