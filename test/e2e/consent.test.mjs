// End-to-end test of site consent (spec section 5): the unmodified RobotJS
// SDK in headless Chromium asks for consent from origins that are NOT
// pre-approved, and the user answers through the robotbridge CLI
// (`sites approve|deny|revoke`, `consent uipath-web://...`).
//
// The tests run in order and the first three share one page origin and
// browser context (its localStorage holds the token): approve, restart the
// engine on the same config dir and port, revoke. The others use origins of
// their own, so a denial's 10-minute cooldown or a stray pending request
// never leaks into another test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { startEngine, servePages, launchBrowser, depPath } from './lib.mjs';

const BIN = process.env.ROBOTBRIDGE_BIN;
const SAMPLES = ['echo', 'sleep', 'fail', 'events'];
// Upper bound for a single step; every step takes well under a second.
const STEP_MS = 10_000;
const TEST_MS = 60_000;

// The page only loads the SDK and a harness; the tests drive it through
// page.evaluate. Outcomes land in window state (calls, consentCodes, runs),
// so the Node side waits with page.waitForFunction, never with sleeps.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>robotbridge consent e2e</title>
<script src="/sdk.js"></script>
<script>
  UiPathRobot.settings.disableTelemetry = true;
  UiPathRobot.settings.portNumber = Number(new URLSearchParams(location.search).get('port'));

  window.consentCodes = [];
  window.missingComponents = 0;
  UiPathRobot.on('consent-prompt', (code) => consentCodes.push(code));
  UiPathRobot.on('missing-components', () => { missingComponents++; });

  window.describe = (err) => {
    if (err instanceof Error) return { kind: 'Error', message: err.message };
    if (typeof err === 'string') return { kind: 'string', message: err };
    return { kind: 'object', ...err };
  };

  // listProcesses starts getProcesses() and records its outcome in
  // calls[i] (i is returned): {done, list?: names, error?}.
  window.calls = [];
  window.listProcesses = () => {
    const call = { done: false };
    calls.push(call);
    UiPathRobot.getProcesses().then(
      (list) => { call.list = list.map((p) => p.name); },
      (err) => { call.error = describe(err); },
    ).finally(() => { call.done = true; });
    return calls.length - 1;
  };

  window.runJob = async (name, args) => {
    const proc = (await UiPathRobot.getProcesses()).find((p) => p.name === name);
    if (!proc) throw new Error('no process named ' + name);
    try { return { output: await proc.start(args) }; } catch (err) { return { error: describe(err) }; }
  };

  // A fetch that reports status and body instead of throwing.
  window.probe = async (url, headers) => {
    try {
      const res = await fetch(url, { headers, credentials: 'include' });
      return { status: res.status, body: await res.text(), token: res.headers.get('uipathToken') };
    } catch (err) {
      return { status: 0, body: String(err) };
    }
  };
  window.harnessReady = true;
</script>`;

let engine;
let configDir;
let browser;
const servers = [];

const ROUTES = {
  '/': { body: PAGE, type: 'text/html; charset=utf-8' },
  '/sdk.js': depPath('@uipath/robot/dist/js/UiPathRobot.js'),
};

/** A page server on a loopback origin of its own, closed after the tests. */
async function newSite() {
  const site = await servePages(ROUTES);
  servers.push(site);
  return site;
}

before(async () => {
  engine = await startEngine();
  configDir = engine.configDir;
  browser = await launchBrowser();
});

after(async () => {
  // Each step runs even if an earlier one throws.
  try { await browser?.close(); } finally {
    try { await engine?.stop(); } finally {
      try { await Promise.all(servers.map((s) => s.close())); } finally {
        if (configDir) rmSync(configDir, { recursive: true, force: true });
      }
    }
  }
});

// ---- CLI -----------------------------------------------------------------

/** Runs the binary; resolves with {code, stdout, stderr}, never rejects on exit status. */
function run(args, { stdin = 'pipe' } = {}) {
  if (stdin === 'pipe') {
    return new Promise((resolve, reject) => {
      execFile(BIN, args, { timeout: STEP_MS }, (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? err.code : 0, stdout, stderr });
      });
    });
  }
  // stdin 'ignore' = /dev/null, as for a command started without a terminal.
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, args, { stdio: [stdin, 'pipe', 'pipe'], timeout: STEP_MS });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => { stdout += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `robotbridge sites --config-dir DIR ...args` (flags before the subcommand). */
async function sites(...args) {
  const res = await run(['sites', '--config-dir', configDir, ...args]);
  assert.equal(res.code, 0, `sites ${args.join(' ')} failed: ${res.stderr}${res.stdout}`);
  return res.stdout;
}

/** Parses a table printed by `sites list|pending` into rows of columns. */
function table(stdout, header) {
  const lines = stdout.trim().split('\n');
  if (lines.length === 1 && /^No site is/.test(lines[0])) return [];
  assert.match(lines[0], header, `unexpected table:\n${stdout}`);
  return lines.slice(1).map((l) => l.trim().split(/\s{2,}/));
}

/** The waiting consent requests: [{code, origin}]. */
async function pending() {
  return table(await sites('pending'), /^CODE\s+ORIGIN\s+WAITS/)
    .map(([code, origin]) => ({ code, origin }));
}

/** Origins `sites list` shows as approved. */
async function approvedOrigins() {
  return table(await sites('list'), /^ORIGIN\s+APPROVED\s+EXPIRES/).map(([origin]) => origin);
}

// ---- browser -------------------------------------------------------------

/**
 * Records the answers the engine gives a page, in arrival order: {seq,
 * path, code (consentCode query), status} at once, then {token (uipathToken
 * response header), sentToken (request header), body, complete: true}.
 * waitFor(pred) resolves with the first complete answer, recorded or
 * future, that matches pred. Survives reloads of the page.
 */
function recordEngineAnswers(page) {
  const answers = [];
  const waiters = new Set();
  page.on('response', async (res) => {
    const url = new URL(res.url());
    if (url.hostname !== 'localhost' || res.request().method() === 'OPTIONS') return;
    const answer = { seq: answers.length, path: url.pathname,
      code: url.searchParams.get('consentCode'), status: res.status(), complete: false };
    answers.push(answer);
    const [headers, sentHeaders, body] = await Promise.all([
      res.allHeaders(), res.request().allHeaders(), res.text().catch((e) => `<${e.message}>`)]);
    Object.assign(answer, { token: headers.uipathtoken ?? null,
      sentToken: sentHeaders.uipathtoken ?? null, body, complete: true });
    for (const w of waiters) {
      if (w.pred(answer)) { waiters.delete(w); w.resolve(answer); }
    }
  });
  return {
    answers,
    /** Answers from seq `from` on, as {path, code, status}. */
    since: (from) => answers.slice(from).map(({ path, code, status }) => ({ path, code, status })),
    /** The promise has cancel(): stop waiting (it then never settles). */
    waitFor(pred, what) {
      const seen = answers.find((a) => a.complete && pred(a));
      if (seen) return Object.assign(Promise.resolve(seen), { cancel() {} });
      let w;
      let timer;
      const promise = new Promise((resolve, reject) => {
        w = { pred, resolve };
        waiters.add(w);
        timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no engine answer: ${what}; seen: ${JSON.stringify(answers.map(
            ({ path, code, status }) => ({ path, code, status })))}`));
        }, STEP_MS);
      }).finally(() => clearTimeout(timer));
      return Object.assign(promise, { cancel() { clearTimeout(timer); waiters.delete(w); } });
    },
  };
}

// The site each page was opened for, so load() can reload it against the
// current engine (its discovery port is part of the page URL).
const siteOf = new WeakMap();

/**
 * Opens the test page of a site in the given browser context, or in a new
 * one (own localStorage) that is closed when test t ends.
 */
async function openSitePage(t, site, context) {
  if (!context) {
    context = await browser.newContext();
    if (t) t.after(() => context.close());
  }
  const page = await context.newPage();
  siteOf.set(page, site);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const traffic = recordEngineAnswers(page);
  await load(page);
  return { context, page, traffic, pageErrors };
}

/** (Re)loads the test page: a fresh page load in the same context. */
async function load(page) {
  await page.goto(`${siteOf.get(page).origin}/?port=${engine.discoveryPort}`);
  await page.waitForFunction(() => window.harnessReady === true, null, { timeout: STEP_MS });
}

/** Starts getProcesses() in the page; returns the call's index. */
function listProcesses(page) {
  return page.evaluate(() => listProcesses());
}

function callState(page, i) {
  return page.evaluate((i) => calls[i], i);
}

async function settledCall(page, i) {
  await page.waitForFunction((i) => calls[i].done, i, { timeout: STEP_MS });
  return callState(page, i);
}

/**
 * Waits until call i either shows a consent prompt or settles; asserts the
 * former and returns the code shown (the latest prompt).
 */
async function promptedCode(page, i, promptsBefore = 0) {
  await page.waitForFunction(([i, n]) => consentCodes.length > n || calls[i].done,
    [i, promptsBefore], { timeout: STEP_MS });
  const { codes, call } = await page.evaluate((i) => ({ codes: consentCodes, call: calls[i] }), i);
  assert.equal(call.done, false, `getProcesses settled without consent: ${JSON.stringify(call)}`);
  assert.equal(codes.length, promptsBefore + 1, `consent prompts: ${codes}`);
  const code = codes.at(-1);
  assert.ok(Number.isInteger(code) && code >= 100001 && code <= 999999, `odd consent code ${code}`);
  return code;
}

/** Waits for the first refused (401) consent poll with this code. */
function firstPoll(traffic, code) {
  return traffic.waitFor((a) => a.path === '/GetPort' && a.code === String(code),
    `consent poll with code ${code}`);
}

/**
 * Full consent round for a page through `sites approve`: asserts the
 * pending entry, approves, waits for the list. Returns {code, token}.
 */
async function consentThroughCli(page, traffic, origin) {
  const i = await listProcesses(page);
  const code = await promptedCode(page, i);
  const poll = await firstPoll(traffic, code);
  assert.equal(poll.status, 401, `first consent poll answered ${poll.status}: ${poll.body}`);

  const waiting = (await pending()).filter((p) => p.code === String(code));
  assert.deepEqual(waiting, [{ code: String(code), origin }], 'sites pending');
  // Still waiting for the user.
  assert.equal((await callState(page, i)).done, false);

  const out = await sites('approve', String(code));
  assert.match(out, new RegExp(`^Approved ${origin.replace(/\./g, '\\.')} \\(code ${code}\\)`));

  const call = await settledCall(page, i);
  assert.equal(call.error, undefined, `getProcesses failed after approval: ${JSON.stringify(call.error)}`);
  assert.deepEqual([...call.list].sort(), [...SAMPLES].sort());

  // The approving poll delivered the token, and the SDK stored it.
  const approving = await traffic.waitFor(
    (a) => a.path === '/GetPort' && a.code === String(code) && a.status === 200, 'approving poll');
  assert.match(approving.token ?? '', /^[A-Za-z0-9_-]{22,}$/, 'no usable uipathToken on the approving answer');
  const stored = await page.evaluate(() => localStorage.getItem('uipathToken'));
  assert.equal(stored, approving.token, 'localStorage uipathToken');
  return { code, token: stored };
}

function assertNoProcessNames(body, what) {
  for (const name of SAMPLES) assert.ok(!body.includes(`"${name}"`), `${what} leaks ${name}: ${body}`);
}

// ---- tests ---------------------------------------------------------------

// Shared by the first three tests.
let siteA;
let pageA;

test('consent through the CLI: prompt, pending code, approve, list, echo, token, sites list',
  { timeout: TEST_MS }, async () => {
    siteA = await newSite();
    pageA = await openSitePage(null, siteA);
    const { page, traffic, pageErrors } = pageA;

    const { code } = await consentThroughCli(page, traffic, siteA.origin);

    // The approved page uses the robot: echo returns its arguments.
    const args = { text: 'approved ✓', n: 7, flag: false, list: [1, 'two', null], nested: { k: 'v' } };
    const echo = await page.evaluate((a) => runJob('echo', a), args);
    assert.equal(echo.error, undefined, `echo failed: ${JSON.stringify(echo.error)}`);
    assert.deepEqual(echo.output, args);

    assert.ok((await approvedOrigins()).includes(siteA.origin), 'sites list lacks the approved origin');
    assert.ok(!(await pending()).some((p) => p.code === String(code)), 'approved code still pending');
    // One consent round only, and the robot was found throughout.
    assert.deepEqual(await page.evaluate(() => [consentCodes.length, missingComponents]), [1, 0]);
    assert.deepEqual(pageErrors, []);
  });

test('consent persists across an engine restart: reload gets the list, no new prompt (field report 3)',
  { timeout: TEST_MS }, async () => {
    assert.ok(pageA, 'needs the approved page of the first test');
    const { page, traffic, pageErrors } = pageA;
    const token = await page.evaluate(() => localStorage.getItem('uipathToken'));
    assert.ok(token, 'the first test left no token');

    const { discoveryPort } = engine;
    await engine.stop();
    engine = await startEngine([], { discoveryPort, configDir });
    assert.equal(engine.discoveryPort, discoveryPort);

    // Stored as a hash only.
    const stored = readFileSync(join(configDir, 'sites.json'), 'utf8');
    assert.ok(stored.includes(siteA.origin), 'sites.json lacks the approved origin');
    assert.ok(!stored.includes(token), 'sites.json holds the token itself');
    assert.ok((await approvedOrigins()).includes(siteA.origin), 'approval lost by the restart');

    const from = traffic.answers.length;
    await load(page);
    assert.equal(await page.evaluate(() => localStorage.getItem('uipathToken')), token);
    const call = await settledCall(page, await listProcesses(page));
    assert.equal(call.error, undefined, `getProcesses failed: ${JSON.stringify(call.error)}`);
    assert.deepEqual([...call.list].sort(), [...SAMPLES].sort());
    assert.deepEqual(await page.evaluate(() => consentCodes), [], 'consent prompt after restart');

    // One GetPort with the stored token, served; then the list; no
    // consent poll at all.
    const getPort = await traffic.waitFor((a) => a.seq >= from && a.path === '/GetPort', 'GetPort');
    assert.equal(getPort.sentToken, token, 'GetPort without the stored token');
    assert.equal(getPort.status, 200, getPort.body);
    await traffic.waitFor((a) => a.seq >= from && a.path === '/RobotProcesses', 'RobotProcesses');
    assert.deepEqual(traffic.since(from), [
      { path: '/GetPort', code: null, status: 200 },
      { path: '/RobotProcesses', code: null, status: 200 }]);
    assert.deepEqual(pageErrors, []);
  });

test('a revoked site is asked again: the old token gets 401 and a new round starts',
  { timeout: TEST_MS }, async () => {
    assert.ok(pageA, 'needs the approved page of the first test');
    const { page, traffic, pageErrors } = pageA;
    const token = await page.evaluate(() => localStorage.getItem('uipathToken'));
    assert.ok(token, 'no token to revoke');

    const out = await sites('revoke', siteA.origin);
    assert.match(out, /^Revoked /);
    assert.ok(!(await approvedOrigins()).includes(siteA.origin), 'sites list still shows the revoked origin');

    const from = traffic.answers.length;
    await load(page); // a fresh page load; localStorage keeps the old token
    const i = await listProcesses(page);
    const code = await promptedCode(page, i);

    const refused = await traffic.waitFor((a) => a.seq >= from && a.path === '/GetPort' && a.code === null,
      'GetPort with the old token');
    assert.equal(refused.sentToken, token, 'the SDK did not send its old token');
    assert.equal(refused.status, 401, `old token answered ${refused.status}: ${refused.body}`);
    assert.equal(refused.token, null, 'a refused answer carried a token');

    const poll = await firstPoll(traffic, code);
    assert.equal(poll.status, 401, `consent poll answered ${poll.status}: ${poll.body}`);
    assertNoProcessNames(poll.body, 'consent poll');
    assert.ok((await pending()).some((p) => p.code === String(code) && p.origin === siteA.origin),
      'the new round is not pending');

    // No list arrived, and nothing reached the API.
    assert.equal((await callState(page, i)).done, false, 'getProcesses settled after revocation');
    assert.deepEqual(traffic.since(from).filter((a) => a.path !== '/GetPort'), []);

    // The old token straight at the API: 401 and nothing else.
    const direct = await page.evaluate(([api, tok]) =>
      probe(`http://localhost:${api}/RobotProcesses`, { uipathToken: tok }), [engine.apiPort, token]);
    assert.equal(direct.status, 401, `revoked token at the API: ${JSON.stringify(direct)}`);
    assertNoProcessNames(direct.body, 'API answer');
    assert.deepEqual(pageErrors, []);
    await pageA.context.close(); // ends the page's 60 s poll
  });

test('a denied code rejects the waiting call with 403; the site is then refused at once',
  { timeout: TEST_MS }, async (t) => {
    const site = await newSite();
    const { page, context, traffic, pageErrors } = await openSitePage(t, site);

    const i = await listProcesses(page);
    const code = await promptedCode(page, i);
    assert.equal((await firstPoll(traffic, code)).status, 401);
    assert.deepEqual((await pending()).filter((p) => p.origin === site.origin),
      [{ code: String(code), origin: site.origin }]);

    const out = await sites('deny', String(code));
    assert.match(out, new RegExp(`^Denied ${site.origin.replace(/\./g, '\\.')} \\(code ${code}\\)`));

    const call = await settledCall(page, i);
    assert.equal(call.list, undefined, 'a denied site got the list');
    assert.equal(call.error?.kind, 'Error', JSON.stringify(call.error));
    assert.match(call.error.message, /^403/);
    const rejected = await traffic.waitFor((a) => a.code === String(code) && a.status === 403, '403 poll');
    assertNoProcessNames(rejected.body, '403 answer');
    assert.equal((await pending()).some((p) => p.origin === site.origin), false, 'denied site still pending');

    // Again from the same page, and from a fresh page of the same origin:
    // refused straight away, no prompt, no consent poll, nothing pending.
    const again = async (p, tr) => {
      const from = tr.answers.length;
      const c = await settledCall(p, await listProcesses(p));
      assert.equal(c.list, undefined);
      assert.equal(c.error?.kind, 'Error', JSON.stringify(c.error));
      assert.match(c.error.message, /^403/);
      assert.deepEqual(tr.since(from), [{ path: '/GetPort', code: null, status: 403 }]);
    };
    await again(page, traffic);
    assert.equal(await page.evaluate(() => consentCodes.length), 1, 'new consent prompt after denial');
    const fresh = await openSitePage(t, site, context);
    await again(fresh.page, fresh.traffic);
    assert.deepEqual(await fresh.page.evaluate(() => consentCodes), []);
    assert.equal((await pending()).some((p) => p.origin === site.origin), false,
      'a refused site got a pending entry');
    assert.deepEqual([...pageErrors, ...fresh.pageErrors], []);
  });

test('a token issued to one origin is refused from another (token theft)',
  { timeout: TEST_MS }, async (t) => {
    const owner = await newSite();
    const thief = await newSite();
    const a = await openSitePage(t, owner);
    const { token } = await consentThroughCli(a.page, a.traffic, owner.origin);

    // Control: the token works for its own origin.
    const api = `http://localhost:${engine.apiPort}/RobotProcesses`;
    const own = await a.page.evaluate(([u, tok]) => probe(u, { uipathToken: tok }), [api, token]);
    assert.equal(own.status, 200, `owner's token refused: ${JSON.stringify(own)}`);
    assert.ok(own.body.includes('"echo"'), own.body);

    const b = await openSitePage(t, thief);
    const stolen = await b.page.evaluate(([u, tok]) => probe(u, { uipathToken: tok }), [api, token]);
    assert.equal(stolen.status, 401, `stolen token at the API: ${JSON.stringify(stolen)}`);
    assertNoProcessNames(stolen.body, 'API answer');
    assert.doesNotThrow(() => JSON.parse(stolen.body), 'error body is not JSON');

    // Nor does it buy a port or a token of the thief's own at discovery.
    const getPort = await b.page.evaluate(([u, tok]) => probe(u, { uipathToken: tok }),
      [`http://localhost:${engine.discoveryPort}/GetPort`, token]);
    assert.equal(getPort.status, 401, `stolen token at GetPort: ${JSON.stringify(getPort)}`);
    assert.equal(getPort.token, null);
    assert.ok(!/"Port"/i.test(getPort.body), `GetPort answer names a port: ${getPort.body}`);

    assert.ok(!(await approvedOrigins()).includes(thief.origin), 'the thief is listed as approved');
    assert.deepEqual([...a.pageErrors, ...b.pageErrors], []);
  });

/** The link Chromium hands the OS for this code and origin (colon after the scheme dropped). */
function mangledLink(code, origin) {
  return `uipath-web://consentCode=${code}&Origin=${origin.replace(/^(https?):\/\//, '$1//')}`;
}

test('`robotbridge consent` shows the waiting site and code, and warns about a forged link',
  { timeout: TEST_MS }, async (t) => {
    const site = await newSite();
    const other = await newSite();
    const { page, traffic, pageErrors } = await openSitePage(t, site);
    const i = await listProcesses(page);
    const code = await promptedCode(page, i);
    const link = mangledLink(code, site.origin);
    assert.match(link, /&Origin=http\/\/127\.0\.0\.1:\d+$/);

    // No waiting for the first poll: the command waits for the code itself.
    const genuine = await run(['consent', '--config-dir', configDir, link]);
    assert.equal(genuine.code, 0, genuine.stderr);
    assert.ok(genuine.stdout.includes(`The site ${site.origin} asks`), genuine.stdout);
    assert.ok(genuine.stdout.includes(`code ${code}`), genuine.stdout);
    assert.ok(genuine.stdout.includes(`robotbridge sites approve ${code}`), genuine.stdout);
    assert.ok(!genuine.stdout.includes('WARNING'), genuine.stdout);

    const forged = await run(['consent', '--config-dir', configDir, mangledLink(code, other.origin)]);
    assert.equal(forged.code, 0, forged.stderr);
    assert.match(forged.stdout, /WARNING/);
    assert.ok(forged.stdout.includes(other.origin), `warning does not name ${other.origin}: ${forged.stdout}`);
    // The site shown is the one the bridge saw, not the one in the link.
    assert.ok(forged.stdout.includes(`The site ${site.origin} asks`), forged.stdout);
    assert.ok(forged.stdout.includes(`robotbridge sites approve ${code}`), forged.stdout);

    // Neither command decided anything: the page still waits, then the
    // user approves and the page gets its list.
    assert.equal((await callState(page, i)).done, false, 'the consent command settled the call');
    assert.ok((await pending()).some((p) => p.code === String(code) && p.origin === site.origin));
    assert.equal((await firstPoll(traffic, code)).status, 401);
    await sites('approve', String(code));
    const call = await settledCall(page, i);
    assert.deepEqual([...(call.list ?? [])].sort(), [...SAMPLES].sort(), JSON.stringify(call));
    assert.deepEqual(pageErrors, []);
  });

// Engine bug (reported, not fixed here): `consent` takes stdin for a
// terminal whenever it is a character device, and /dev/null is one. Run
// with stdin = /dev/null (what a launcher without a terminal gives it), it
// prints "Approve? [y/N]", reads EOF and DENIES the site for 10 minutes.
test('`robotbridge consent` with stdin /dev/null only prints the approve command',
  { timeout: TEST_MS },
  async (t) => {
    const site = await newSite();
    const { page, traffic, pageErrors } = await openSitePage(t, site);
    const i = await listProcesses(page);
    const code = await promptedCode(page, i);
    assert.equal((await firstPoll(traffic, code)).status, 401);

    const res = await run(['consent', '--config-dir', configDir, mangledLink(code, site.origin)],
      { stdin: 'ignore' });
    assert.equal(res.code, 0, res.stderr);
    assert.ok(res.stdout.includes(`robotbridge sites approve ${code}`), res.stdout);
    assert.ok(!/Denied/.test(res.stdout), `the site was denied without asking anybody:\n${res.stdout}`);
    assert.ok((await pending()).some((p) => p.code === String(code)), 'the request is no longer waiting');
    assert.equal((await callState(page, i)).done, false, 'the page call settled');
    assert.deepEqual(pageErrors, []);
  });

/** A page server on a free loopback port containing "403" (40300-40399), or null. */
async function siteOnPortWith403() {
  const sdk = readFileSync(ROUTES['/sdk.js']);
  for (let port = 40300; port < 40400; port++) {
    const srv = createServer((req, res) => {
      const path = new URL(req.url, 'http://x').pathname;
      const [body, type] = path === '/' ? [PAGE, 'text/html; charset=utf-8']
        : path === '/sdk.js' ? [sdk, 'text/javascript; charset=utf-8'] : [null];
      if (!body) { res.writeHead(404); return res.end('not found'); }
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    });
    const ok = await new Promise((resolve) => {
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!ok) continue;
    const site = { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(r)) };
    servers.push(site);
    return site;
  }
  return null;
}

// Engine bug (reported, not fixed here): the 401 "Consent required" text
// names the origin, and the SDK's consent poll gives up with "403 - Consent
// rejected" on any error text containing "403" (spec 5.1). So every site
// whose origin contains "403" (port 40300-40399, 14030, ...; a host such as
// app403.example.com) is rejected on its first poll, without the user ever
// being asked.
test('a site whose origin contains "403" gets a consent round like any other',
  { timeout: TEST_MS },
  async (t) => {
    const site = await siteOnPortWith403();
    if (!site) return t.skip('no free port in 40300-40399');
    const { page, traffic, pageErrors } = await openSitePage(t, site);
    const i = await listProcesses(page);
    await page.waitForFunction(() => consentCodes.length > 0, null, { timeout: STEP_MS });
    const code = await page.evaluate(() => consentCodes[0]);

    // Either the SDK polls a second time (still waiting for the user) or
    // it has given up: whichever comes first.
    const isPoll = (a) => a.path === '/GetPort' && a.code === String(code);
    const secondPoll = traffic.waitFor((a) => isPoll(a) && traffic.answers.filter(isPoll).length >= 2,
      'second consent poll');
    const gaveUp = page.waitForFunction((i) => calls[i].done, i, { timeout: STEP_MS });
    gaveUp.catch(() => {}); // the loser; rejects when the page closes
    await Promise.race([secondPoll, gaveUp]);
    secondPoll.cancel();
    const early = await callState(page, i);
    assert.equal(early.done, false, `the SDK ended the round before anybody answered: ${JSON.stringify(early)}; ` +
      `first poll answer: ${JSON.stringify(traffic.answers.find(isPoll))}`);

    await sites('approve', String(code));
    const call = await settledCall(page, i);
    assert.deepEqual([...(call.list ?? [])].sort(), [...SAMPLES].sort(), JSON.stringify(call));
    assert.deepEqual(pageErrors, []);
  });
