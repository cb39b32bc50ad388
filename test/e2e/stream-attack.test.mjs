// End-to-end attack tests of the websocket event stream (docs/events.md):
// a hostile page on an unapproved loopback origin tries to open
// ws://localhost:<api>/events from headless Chromium, with no token, a
// forged one, the approved site's real token (stolen), and tokens in the
// URL, while the approved site runs a job whose events must not leak.
//
// The approved ("trusted") site got its token through a real consent
// round (GetPort with a consent code, `robotbridge sites approve`), so
// the stream authenticates it by the "token.<token>" subprotocol. The
// trusted page is the positive control: the very socket construction the
// attacker uses opens for it and sees its job's events, so the attacks
// cannot pass by the harness seeing nothing at all.
//
// Every wait is for an event (socket close, job state in the page) with a
// deadline; nothing sleeps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startEngine, servePages, launchBrowser } from './lib.mjs';

const STEP_MS = 10_000; // deadline of any single wait
const TEST_OPTS = { timeout: 60_000 };
const CLIENT_JS = fileURLToPath(new URL('../../assets/demo/robotclient.js', import.meta.url));

// Both pages define attempt(url, protocols): it opens a websocket and
// resolves with its record (window.attempts[i]) once the socket opened or
// closed. Should it open, it subscribes to everything and keeps recording
// what arrives.
const ATTEMPT_JS = `
  window.attempts = [];
  window.attempt = (url, protocols) => new Promise((resolve) => {
    const rec = { url, protocols, opened: false, errored: false, closed: false,
      closeCode: null, messages: [], thrown: null };
    window.attempts.push(rec);
    let ws;
    try {
      ws = new WebSocket(url, protocols);
    } catch (err) {
      rec.thrown = String(err);
      return resolve(rec);
    }
    ws.onopen = () => {
      rec.opened = true;
      ws.send(JSON.stringify({ type: 'subscribe', all: true, after: 0 }));
      resolve(rec);
    };
    ws.onmessage = (m) => rec.messages.push(String(m.data));
    ws.onerror = () => { rec.errored = true; };
    ws.onclose = (e) => { rec.closed = true; rec.closeCode = e.code; resolve(rec); };
    rec.close = () => ws.close();
  });
`;

// The attacker: nothing but attempt().
const HOSTILE_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>hostile site</title>
<script>${ATTEMPT_JS} window.harnessReady = true;</script>`;

// The approved site: the project's client runs a sleep job (its progress
// lands in window.run), and observe() keeps a raw socket open the way the
// attacker builds one, with the site's token as a subprotocol.
const TRUSTED_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>trusted site</title>
<script>${ATTEMPT_JS}</script>
<script type="module">
  import { RobotClient } from '/robotclient.js';
  const port = Number(new URLSearchParams(location.search).get('port'));
  const client = new RobotClient({ discoveryPort: port });
  window.run = { statuses: [], states: [], transports: [], outcome: null, id: null };
  let sleepKey = null;
  window.startSleep = async () => {
    const procs = await client.getProcesses();
    sleepKey = procs.find((p) => p.name === 'sleep').id;
    const job = await client.startJob(sleepKey, {}, {
      onStatus: (t) => run.statuses.push(t),
      onState: (s) => run.states.push(s),
      onTransport: (t) => run.transports.push(t),
    });
    run.id = job.id;
    job.result.then((output) => { run.outcome = { output }; },
      (err) => { run.outcome = { error: err.message, state: err.state ?? null }; });
    return job.id;
  };
  window.stopSleep = () => client.stopProcess(sleepKey);
  window.harnessReady = true;
</script>`;

let engine;
let browser;
let trustedSite;
let hostileSite;
let token; // the trusted site's consent token

/** One raw HTTP GET from Node; never throws on an HTTP status. */
function get(port, path, headers) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: `localhost:${port}`, ...headers },
      agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.setTimeout(STEP_MS, () => req.destroy(new Error(`GET ${path}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

/** `robotbridge sites --config-dir DIR ...args`; resolves with stdout. */
function sites(...args) {
  return new Promise((resolve, reject) => {
    execFile(process.env.ROBOTBRIDGE_BIN, ['sites', '--config-dir', engine.configDir, ...args],
      { timeout: STEP_MS }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

/**
 * A consent round for origin, as the SDK does it but from Node: GetPort
 * with a consent code (401, pending), the user approves the code with the
 * CLI, GetPort again hands out the token.
 */
async function consent(origin) {
  const code = String(100000 + Math.floor(Math.random() * 800000));
  const path = `/GetPort?consentCode=${code}`;
  const first = await get(engine.discoveryPort, path, { Origin: origin });
  assert.equal(first.status, 401, `first consent poll: ${first.status} ${first.body}`);
  await sites('approve', code);
  const second = await get(engine.discoveryPort, path, { Origin: origin });
  assert.equal(second.status, 200, `approving poll: ${second.status} ${second.body}`);
  assert.match(second.headers.uipathtoken ?? '', /^[A-Za-z0-9_-]{22,}$/, 'no usable token');
  return second.headers.uipathtoken;
}

before(async () => {
  engine = await startEngine();
  trustedSite = await servePages({
    '/': { body: TRUSTED_PAGE, type: 'text/html; charset=utf-8' },
    '/robotclient.js': CLIENT_JS,
  });
  hostileSite = await servePages({ '/': { body: HOSTILE_PAGE, type: 'text/html; charset=utf-8' } });
  token = await consent(trustedSite.origin);
  browser = await launchBrowser();
});

after(async () => {
  // Each step runs even if an earlier one throws.
  try { await browser?.close(); } finally {
    try { await engine?.stop(); } finally {
      try { await Promise.all([trustedSite?.close(), hostileSite?.close()]); } finally {
        if (engine) rmSync(engine.configDir, { recursive: true, force: true });
      }
    }
  }
});

/**
 * Opens a page of site in a context of its own (closed when test t ends),
 * with the given token in its localStorage. Each websocket the page
 * creates is listed in `sockets`, in order, as {url, error, closed}: error
 * is how Playwright reports a failed handshake ("socketerror"), closed a
 * promise settled by its close.
 */
async function openPage(t, site, storedToken) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  const pageErrors = [];
  const sockets = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('websocket', (ws) => {
    const entry = { url: ws.url(), error: null, closed: null };
    ws.on('socketerror', (e) => { entry.error = e; });
    entry.closed = deadline(new Promise((resolve) => ws.on('close', resolve)), `close of ${entry.url}`);
    entry.closed.catch(() => {}); // awaited where it matters
    sockets.push(entry);
  });
  if (storedToken) {
    await context.addInitScript((tok) => localStorage.setItem('uipathToken', tok), storedToken);
  }
  await page.goto(`${site.origin}/?port=${engine.discoveryPort}`);
  await page.waitForFunction(() => window.harnessReady === true);
  return { page, pageErrors, sockets };
}

/** Rejects if promise has not settled within STEP_MS. */
function deadline(promise, what) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${STEP_MS} ms`)), STEP_MS);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Runs attempt(url, protocols) in page; resolves with its record once opened or closed. */
function attempt(page, url, protocols) {
  return page.evaluate(([u, p]) => window.attempt(u, p), [url, protocols]);
}

/**
 * Asserts an attempt never opened, saw nothing, and ended as a failed
 * handshake whose error (as Chromium words it) matches errorPattern.
 * socket is the page's websocket entry of that attempt (openPage).
 */
async function assertRefused(rec, socket, errorPattern, what) {
  assert.equal(rec.thrown, null, `${what}: the page could not even try: ${rec.thrown}`);
  assert.equal(rec.opened, false, `${what}: the websocket opened`);
  assert.deepEqual(rec.messages, [], `${what}: the page received messages`);
  assert.equal(rec.errored, true, `${what}: no error event`);
  assert.equal(rec.closed, true, `${what}: no close event`);
  assert.equal(rec.closeCode, 1006, `${what}: closed with ${rec.closeCode}, not as a failed handshake`);
  assert.equal(socket?.url, rec.url, `${what}: websocket list out of step`);
  await socket.closed;
  assert.match(socket.error ?? '', errorPattern, `${what}: handshake error`);
}

// How Chromium reports the bridge's refusals of the upgrade.
const REFUSED_401 = /^HTTP Authentication failed/;
const REFUSED_400 = /Unexpected response code: 400$/;

test('a hostile origin cannot open the event stream, with or without tokens, while the approved site\'s job runs',
  TEST_OPTS, async (t) => {
    const api = engine.apiPort;
    const events = `ws://localhost:${api}/events`;
    const proto = 'robotbridge.events.v1';

    // The approved site: the project's client runs a sleep job over the
    // stream, and a raw socket built like the attacker's sees it.
    const trusted = await openPage(t, trustedSite, token);
    t.after(() => trusted.page.evaluate(() => window.stopSleep?.()).catch(() => {}));
    const observer = await attempt(trusted.page, events, [proto, `token.${token}`]);
    assert.equal(observer.opened, true, 'the approved site\'s own socket did not open');
    const jobId = await trusted.page.evaluate(() => window.startSleep());
    await trusted.page.waitForFunction(() => window.run.statuses.length >= 2);
    assert.deepEqual(await trusted.page.evaluate(() => window.run.transports), ['stream'],
      'the approved page does not watch its job over the stream');

    // The attacks, one after the other, each until its socket has closed.
    const hostile = await openPage(t, hostileSite);
    const cases = [
      ['no token', events, [proto], REFUSED_401],
      ['a forged token', events, [proto, 'token.xyz'], REFUSED_401],
      ['the approved site\'s stolen token', events, [proto, `token.${token}`], REFUSED_401],
      ['the stolen token, to 127.0.0.1', `ws://127.0.0.1:${api}/events`, [proto, `token.${token}`],
        REFUSED_401],
      ['a forged token in the URL', `${events}?token=xyz`, [proto], REFUSED_400],
      ['the stolen token in the URL', `${events}?token=${token}`, [proto], REFUSED_400],
      ['the stolen token in the URL as uipathToken', `${events}?uipathToken=${token}`, [proto],
        REFUSED_400],
      ['a token in the URL and the stolen one as subprotocol', `${events}?token=xyz`,
        [proto, `token.${token}`], REFUSED_400],
    ];
    const records = [];
    for (const [what, url, protocols] of cases) {
      records.push([what, await attempt(hostile.page, url, protocols)]);
    }

    // The job kept reporting meanwhile, and ends.
    const seen = await trusted.page.evaluate(() => window.run.statuses.length);
    await trusted.page.waitForFunction((n) => window.run.statuses.length > n, seen);
    await trusted.page.evaluate(() => window.stopSleep());
    await trusted.page.waitForFunction(() => window.run.outcome !== null);
    const run = await trusted.page.evaluate(() => window.run);
    assert.deepEqual(run.outcome, { error: 'the job was stopped on request', state: 'Canceled' });
    assert.deepEqual(run.states, ['pending', 'running', 'stopping', 'stopped']);

    // Positive control: the observer got the job's events, including those
    // published while the attacks ran.
    await trusted.page.waitForFunction((id) => window.attempts[0].messages.some((m) => {
      const e = JSON.parse(m);
      return e.jobId === id && e.state === 'stopped';
    }), jobId);
    const observed = (await trusted.page.evaluate(() => window.attempts[0].messages))
      .map((m) => JSON.parse(m)).filter((e) => e.jobId === jobId);
    assert.deepEqual(observed.filter((e) => e.type === 'job.status').map((e) => e.text), run.statuses,
      'the approved raw socket did not see the job\'s statuses');

    // Not one attack opened or saw anything; each failed its handshake
    // (Chromium names the HTTP status: 401 or 400, never 101).
    assert.equal(hostile.sockets.length, cases.length, 'websockets the hostile page created');
    for (const [i, [what, rec]] of records.entries()) {
      await assertRefused(rec, hostile.sockets[i], cases[i][3], what);
    }
    const late = await hostile.page.evaluate(() => window.attempts.map((a) => a.messages.length));
    assert.deepEqual(late, cases.map(() => 0), 'a hostile socket received something after all');
    assert.deepEqual(hostile.pageErrors, []);
    assert.deepEqual(trusted.pageErrors, []);
    await trusted.page.evaluate(() => window.attempts[0].close());
  });

test('the approved site itself may not put its token in the URL', TEST_OPTS, async (t) => {
  const events = `ws://localhost:${engine.apiPort}/events`;
  const proto = 'robotbridge.events.v1';
  const trusted = await openPage(t, trustedSite, token);

  // Control: the same page opens the stream with the token as subprotocol.
  const good = await attempt(trusted.page, events, [proto, `token.${token}`]);
  assert.equal(good.opened, true, 'the approved site\'s socket did not open');
  await trusted.page.evaluate(() => window.attempts[0].close());

  const cases = [
    ['token in the URL only', `${events}?token=${token}`, [proto]],
    ['token in the URL and as subprotocol', `${events}?token=${token}`, [proto, `token.${token}`]],
    // Not an attack, but refused before the upgrade too: no stream subprotocol.
    ['no stream subprotocol', events, [`token.${token}`]],
  ];
  for (const [i, [what, url, protocols]] of cases.entries()) {
    const rec = await attempt(trusted.page, url, protocols);
    await assertRefused(rec, trusted.sockets[i + 1], REFUSED_400, what);
  }
  assert.equal(trusted.sockets.length, 1 + cases.length);
  assert.deepEqual(trusted.pageErrors, []);
});
