// Shared helpers for the end-to-end tests: build-free start of the engine
// binary, a static page server on its own loopback origin, and headless
// Chromium through playwright-core. Node's own test runner drives them.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname } from 'node:path';
import { createRequire } from 'node:module';

// NODE_DEPS is the folder whose node_modules hold @uipath/robot and
// playwright-core (installed by test/e2e/install.sh, never committed).
const depsDir = process.env.NODE_DEPS;
if (!depsDir) throw new Error('NODE_DEPS is not set: run the tests through `make test`');
const requireDep = createRequire(join(depsDir, 'node_modules', 'noop.js'));

export const binary = process.env.ROBOTBRIDGE_BIN;
if (!binary) throw new Error('ROBOTBRIDGE_BIN is not set: run the tests through `make test`');

/** Path of a file inside an installed npm package. */
export function depPath(pkgFile) {
  return requireDep.resolve(pkgFile);
}

/** Resolves with a free loopback TCP port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * Starts `robotbridge serve` and waits until its ready line is printed.
 * By default it gets a free discovery port and a fresh config dir; pass
 * discoveryPort and configDir to restart an engine where an earlier one ran.
 * Returns {discoveryPort, apiPort, demoOrigin, configDir, proc, output(), stop()}.
 */
export async function startEngine(extraArgs = [], { env = {}, discoveryPort, configDir } = {}) {
  discoveryPort ??= await freePort();
  configDir ??= mkdtempSync(join(tmpdir(), 'rb-e2e-'));
  const args = ['serve', '--port', String(discoveryPort), '--api-port', '0',
    '--config-dir', configDir, ...extraArgs];
  const proc = spawn(binary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });

  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('engine not ready in 15 s:\n' + out)), 15000);
    const check = () => {
      const m = out.match(/API on http:\/\/localhost:(\d+)/);
      if (m && (!extraArgs.includes('--demo') || /demo page at (\S+)\//.test(out))) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout.on('data', check);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`engine exited ${code}:\n${out}`)); });
    check();
  });
  const demo = out.match(/demo page at (\S+)\//);
  return {
    discoveryPort,
    apiPort: Number(ready[1]),
    demoOrigin: demo ? demo[1] : null,
    configDir,
    proc,
    output: () => out,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    }),
  };
}

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/**
 * Serves pages on http://127.0.0.1:<port>. routes maps a path to
 * {body, type} or to a file path. Returns {origin, close()}.
 */
export async function servePages(routes) {
  const srv = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const route = routes[path];
    if (!route) { res.writeHead(404); return res.end('not found'); }
    const body = typeof route === 'string' ? readFileSync(route) : route.body;
    const type = typeof route === 'string' ? (types[extname(route)] || 'application/octet-stream') : route.type;
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(body);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${srv.address().port}`,
    close: () => new Promise((resolve) => srv.close(resolve)),
  };
}

/**
 * Launches Debian's Chromium headless; never downloads a browser.
 * extraArgs (optional) are appended to the command line, e.g.
 * ['--host-resolver-rules=MAP rebind.test 127.0.0.1'].
 */
export async function launchBrowser(extraArgs = []) {
  const { chromium } = requireDep('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--log-level=3', ...extraArgs],
  });
}
