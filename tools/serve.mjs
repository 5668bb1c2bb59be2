// `npm run serve [-- --port 8080 --host 127.0.0.1 --dir dist]`: serves the built site with sirv (a
// maintained static file server) and the same response headers Firebase Hosting applies: the header
// rules are read from firebase.json, so the local server and the hosted site cannot drift apart.
// Pre-compressed `.gz` files written by build-site are served to browsers that accept gzip.
// Not a development server: it does not rebuild or watch anything (run `npm run build:site` first).
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sirv from 'sirv';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Turns a Firebase Hosting glob ("**", "*", "{a,b}", "/a/**", "**/*.wasm") into a RegExp on URL paths.
export function globToRegExp(glob) {
  let g = glob.startsWith('/') || glob.startsWith('**') ? glob : `/${glob}`;
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*' && g[i + 1] === '*') {
      if (g[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = g.indexOf('}', i);
      if (end < 0) throw new Error(`firebase.json: unclosed "{" in header source ${glob}`);
      re += `(?:${g.slice(i + 1, end).split(',').map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&')).join('|')})`;
      i = end;
    } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

// Reads the header rules of firebase.json: [{ re, headers: [[key, value]] }], in file order.
export function loadHeaderRules(firebaseJson = path.join(ROOT, 'firebase.json')) {
  const cfg = JSON.parse(readFileSync(firebaseJson, 'utf8'));
  const rules = (cfg.hosting && cfg.hosting.headers) || [];
  return rules.map((r) => ({
    source: r.source,
    re: globToRegExp(r.source),
    headers: r.headers.map((h) => [h.key, h.value]),
  }));
}

// Returns the headers (a Map, later rules win) that the rules give a request path.
export function headersFor(rules, pathname) {
  const out = new Map();
  for (const rule of rules) {
    if (rule.re.test(pathname)) for (const [k, v] of rule.headers) out.set(k, v);
  }
  return out;
}

// Starts serving `dir`; resolves to { url, port, server, close() }. port 0 picks a free port.
export function startServer({ dir = path.join(ROOT, 'dist'), port = 8080, host = '127.0.0.1', quiet = true } = {}) {
  if (!existsSync(path.join(dir, 'index.html'))) {
    return Promise.reject(new Error(`${dir} holds no built site (no index.html): run \`npm run build:site\` first`));
  }
  const rules = loadHeaderRules();
  const files = sirv(dir, {
    etag: true,
    gzip: true,
    dev: false,
    setHeaders(res, pathname) {
      for (const [k, v] of headersFor(rules, pathname)) res.setHeader(k, v);
      if (pathname.endsWith('.wasm')) res.setHeader('Content-Type', 'application/wasm');
    },
    onNoMatch(req, res) {
      res.statusCode = 404;
      for (const [k, v] of headersFor(rules, '/404')) res.setHeader(k, v);
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('Not found\n');
    },
  });
  const server = http.createServer((req, res) => {
    if (!quiet) process.stderr.write(`${req.method} ${req.url}\n`);
    files(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use: pass --port N`) : e);
    });
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        url: `http://${host}:${actual}/`,
        port: actual,
        server,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

function parseArgs(argv) {
  const opts = { dir: path.join(ROOT, 'dist'), port: 8080, host: '127.0.0.1', quiet: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port' || a === '-p') {
      opts.port = Number(val());
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('--port: expected 0..65535');
    } else if (a === '--host') opts.host = val();
    else if (a === '--dir') opts.dir = path.resolve(val());
    else if (a === '--log') opts.quiet = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run serve -- [--port 8080] [--host 127.0.0.1] [--dir dist] [--log]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return opts;
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const { url } = await startServer(opts);
    process.stdout.write(`bookrec site: ${url}  (serving ${path.relative(process.cwd(), opts.dir) || '.'}; Ctrl-C stops)\n`);
  } catch (e) {
    process.stderr.write(`serve: ${e.message}\n`);
    process.exit(1);
  }
}
