// End-to-end test: the unmodified RobotJS SDK (@uipath/robot 1.3.1, loaded
// from the npm cache at test time, never vendored) drives the engine from
// headless Chromium. One page origin is pre-approved with --allow-origin;
// a second loopback origin is not, and must get nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, servePages, launchBrowser, depPath } from './lib.mjs';

const UNKNOWN_PROCESS = '00000000-0000-0000-0000-000000000000';
const SAMPLES = ['echo', 'sleep', 'fail', 'events'];
// Upper bound for anything a single step may take; tests finish in seconds.
const STEP_MS = 10_000;

// The test page. It only loads the SDK and an in-page harness; the tests
// drive the SDK through page.evaluate. Everything asynchronous is recorded
// in window state (runs, consentCodes, ...) so the Node side can wait for
// it with page.waitForFunction instead of sleeping.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>robotbridge SDK e2e</title>
<script src="/sdk.js"></script>
<script>
  // Settings must be in place before the first SDK call: no telemetry to
  // the internet, and the engine's discovery port from the page URL.
  UiPathRobot.settings.disableTelemetry = true;
  UiPathRobot.settings.portNumber = Number(new URLSearchParams(location.search).get('port'));

  window.consentCodes = [];
  window.missingComponents = 0;
  UiPathRobot.on('consent-prompt', (code) => consentCodes.push(code));
  UiPathRobot.on('missing-components', () => { missingComponents++; });

  // Rejection values come in three shapes (Error, plain object with state,
  // plain string); turn them into something page.evaluate can return.
  window.describe = (err) => {
    if (err instanceof Error) return { kind: 'Error', message: err.message };
    if (typeof err === 'string') return { kind: 'string', message: err };
    return { kind: 'object', ...err };
  };

  window.processByName = async (name) => {
    const procs = await UiPathRobot.getProcesses();
    const proc = procs.find((p) => p.name === name);
    if (!proc) throw new Error('no process named ' + name);
    return proc;
  };

  // watch records a JobPromise's statuses, events and outcome in window.runs
  // and returns the run's index.
  window.runs = [];
  window.watch = (jobPromise) => {
    const run = { statuses: [], events: [], done: false, job: jobPromise.job };
    jobPromise
      .onStatus((s) => run.statuses.push(s))
      .onWorkflowEvent((e) => run.events.push(e));
    jobPromise.then(
      (output) => { run.output = output; },
      (err) => { run.error = describe(err); },
    ).finally(() => { run.done = true; });
    runs.push(run);
    return runs.length - 1;
  };
  window.startProcess = async (name, args) => watch((await processByName(name)).start(args));
  window.harnessReady = true;
</script>`;

let engine;
let allowedSite;
let otherSite;
let browser;

before(async () => {
  const routes = { '/': { body: PAGE, type: 'text/html; charset=utf-8' },
    '/sdk.js': depPath('@uipath/robot/dist/js/UiPathRobot.js') };
  // Two page servers = two distinct loopback origins (ports differ); only
  // the first is approved.
  allowedSite = await servePages(routes);
  otherSite = await servePages(routes);
  engine = await startEngine(['--allow-origin', allowedSite.origin,
    '--packages', new URL('../../examples/packages', import.meta.url).pathname]);
  browser = await launchBrowser();
});

after(async () => {
  // Each step runs even if an earlier one throws.
  try { await browser?.close(); } finally {
    try { await engine?.stop(); } finally {
      await allowedSite?.close();
      await otherSite?.close();
    }
  }
});

/**
 * Opens the test page of a site in a fresh browser context (own
 * localStorage, so no consent token leaks between tests) and records the
 * requests the page sends to the engine. The page is closed when test t ends.
 */
async function openPage(t, site) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const engineRequests = [];
  const pageErrors = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.hostname === 'localhost') engineRequests.push({ method: req.method(), url });
  });
  // An uncaught exception in the page usually means the SDK choked on an
  // answer (e.g. a non-JSON body), which leaves its promise hanging.
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${site.origin}/?port=${engine.discoveryPort}`);
  await page.waitForFunction(() => window.harnessReady === true);
  return { page, engineRequests, pageErrors };
}

/** Rejects with message if promise has not settled within ms. */
function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Requests to one engine endpoint, e.g. 'JobStatus'. */
function requestsTo(engineRequests, endpoint) {
  return engineRequests.filter((r) => r.url.pathname === '/' + endpoint);
}

/** Run i's record so far (without the SDK's Job object, which stays in the page). */
function runRecord(page, i) {
  return page.evaluate((i) => { const { job, ...rest } = runs[i]; return rest; }, i);
}

/** Waits until run i of the page has settled and returns its record. */
async function settled(page, i) {
  await page.waitForFunction((i) => runs[i].done, i, { timeout: STEP_MS });
  return runRecord(page, i);
}

/** Runs a sample to its end and returns the run record. */
async function runToEnd(page, name, args) {
  const i = await page.evaluate(([n, a]) => startProcess(n, a), [name, args]);
  return settled(page, i);
}

test('discovers the robot and lists the four samples', async (t) => {
  const { page, engineRequests, pageErrors } = await openPage(t, allowedSite);
  const procs = await page.evaluate(async () =>
    (await UiPathRobot.getProcesses()).map(({ id, name, description }) => ({ id, name, description })));

  const names = procs.map((p) => p.name);
  for (const name of SAMPLES) assert.ok(names.includes(name), `${name} missing from ${names}`);
  for (const p of procs) {
    // The SDK puts ids into URLs without encoding.
    assert.match(p.id, /^[A-Za-z0-9._~-]+$/, `process id of ${p.name} is not URL-safe`);
  }
  assert.equal(new Set(procs.map((p) => p.id)).size, procs.length, 'process ids are not unique');

  // A pre-approved origin is served straight away: no consent round.
  assert.deepEqual(await page.evaluate(() => [consentCodes, missingComponents]), [[], 0]);
  assert.equal(requestsTo(engineRequests, 'GetPort').length, 1);
  assert.equal(requestsTo(engineRequests, 'RobotProcesses').length, 1);
  assert.deepEqual(pageErrors, []);
});

test('echo returns mixed-type arguments unchanged', async (t) => {
  const { page, pageErrors } = await openPage(t, allowedSite);
  const args = {
    text: 'héllo ✓ 日本',
    number: 3.25,
    count: 42,
    flag: true,
    data: { nested: { list: [1, 'two', { three: false }], empty: {} }, unicode: 'ünï 😀' },
    nothing: null,
    list: [1, 2.5, -7, 'x', null, true, { k: 'v' }, []],
    emptyText: '',
    big: 1e15,
  };
  const run = await runToEnd(page, 'echo', args);
  assert.equal(run.error, undefined, `echo failed: ${JSON.stringify(run.error)}`);
  assert.deepEqual(run.output, args);
  assert.deepEqual(pageErrors, []);
});

test('sleep reports status, answers a client message and is stopped as Canceled', async (t) => {
  const { page, pageErrors } = await openPage(t, allowedSite);
  const i = await page.evaluate(() => startProcess('sleep'));

  // At least one status ("Sleeping until stopped", then "Slept N s").
  await page.waitForFunction((i) => runs[i].statuses.length > 0, i, { timeout: STEP_MS });

  // A string payload comes back as is, an object payload as its JSON text.
  await page.evaluate(async (i) => {
    await runs[i].job.sendClientMessage('greeting', 'hello ✓ from the page');
    await runs[i].job.sendClientMessage('data', { n: 1, list: [true, null] });
  }, i);
  await page.waitForFunction((i) => runs[i].events.length >= 2, i, { timeout: STEP_MS });
  const { events } = await runRecord(page, i);
  // Each message exactly once, in the order sent.
  assert.deepEqual(events.map((e) => e.name), ['greeting', 'data']);
  assert.equal(events[0].payload, 'hello ✓ from the page');
  assert.equal(typeof events[1].payload, 'string', 'non-string payloads come back as JSON text');
  assert.deepEqual(JSON.parse(events[1].payload), { n: 1, list: [true, null] });

  // Still running: the job only ends because we stop it.
  assert.equal(await page.evaluate((i) => runs[i].done, i), false);
  await page.evaluate(async () => UiPathRobot.stopProcess(await processByName('sleep')));
  const run = await settled(page, i);
  assert.equal(run.output, undefined);
  assert.equal(run.error?.state, 'Canceled', `unexpected outcome: ${JSON.stringify(run.error)}`);
  assert.ok(run.statuses.every((s) => typeof s === 'string'));
  assert.deepEqual(pageErrors, []);
});

test('JobStatus long polling does not spin during a 3 s sleep', async (t) => {
  const { page, engineRequests, pageErrors } = await openPage(t, allowedSite);
  const started = Date.now();
  const run = await runToEnd(page, 'sleep', { seconds: 3 });
  const elapsed = Date.now() - started;

  assert.equal(run.error, undefined, `sleep failed: ${JSON.stringify(run.error)}`);
  assert.ok(run.output.slept >= 2.9, `slept only ${run.output.slept} s`);
  assert.ok(elapsed >= 2900, `job ended after ${elapsed} ms`);
  // "Slept 1 s", "Slept 2 s" each once: drained, not repeated per answer.
  const slept = run.statuses.filter((s) => /^Slept \d+ s$/.test(s));
  assert.equal(new Set(slept).size, slept.length, `duplicate statuses: ${run.statuses}`);
  assert.ok(slept.length >= 2, `too few statuses: ${run.statuses}`);

  // The SDK re-polls at once with long polling, so a bridge answering
  // without news would show hundreds of requests here. Roughly one per
  // status is expected.
  const polls = requestsTo(engineRequests, 'JobStatus').length;
  assert.ok(polls >= 1 && polls < 20, `${polls} JobStatus requests for a 3 s job`);
  assert.deepEqual(pageErrors, []);
});

test('fail rejects with its message and state Faulted', async (t) => {
  const { page, pageErrors } = await openPage(t, allowedSite);
  const run = await runToEnd(page, 'fail', { message: 'boom 42' });
  assert.equal(run.output, undefined);
  // The SDK rejects with the bridge's Error object plus state, not an Error.
  assert.equal(run.error.kind, 'object');
  assert.equal(run.error.message, 'boom 42');
  assert.equal(run.error.state, 'Faulted');
  assert.equal(run.error.type, 'SampleFailure');
  assert.deepEqual(pageErrors, []);
});

test('an unknown process id gives a clear 404 error', async (t) => {
  const { page, engineRequests, pageErrors } = await openPage(t, allowedSite);
  const outcomes = await page.evaluate(async (id) => {
    const attempt = (p) => p.then((v) => ({ resolved: v }), (err) => describe(err));
    return {
      install: await attempt(UiPathRobot.installProcess(id)),
      start: await attempt(UiPathRobot.startJob(UiPathRobot.createJob(id, { text: 'x' }))),
    };
  }, UNKNOWN_PROCESS);

  for (const [call, outcome] of Object.entries(outcomes)) {
    assert.equal(outcome.kind, 'Error', `${call}: ${JSON.stringify(outcome)}`);
    assert.match(outcome.message, /^404 - \S/, `${call}: ${outcome.message}`);
  }
  // The start failed at InvokeRobot: no job to watch.
  assert.equal(requestsTo(engineRequests, 'InvokeRobot').length, 1);
  assert.equal(requestsTo(engineRequests, 'JobStatus').length, 0);
  assert.deepEqual(pageErrors, []);
});

test('events delivers workflow events, statuses and output in order', async (t) => {
  const { page, pageErrors } = await openPage(t, allowedSite);
  const run = await runToEnd(page, 'events');
  assert.equal(run.error, undefined, `events failed: ${JSON.stringify(run.error)}`);
  assert.deepEqual(run.output, { steps: 3 });

  assert.deepEqual(run.events.map((e) => e.name), ['progress', 'progress', 'progress', 'summary']);
  assert.deepEqual(run.events.slice(0, 3).map((e) => e.payload), ['33', '66', '100']);
  assert.equal(typeof run.events[3].payload, 'string');
  assert.deepEqual(JSON.parse(run.events[3].payload), { steps: 3, ok: true });

  const steps = run.statuses.filter((s) => s.startsWith('Step '));
  assert.deepEqual(steps, ['Step 1 of 3: reading', 'Step 2 of 3: checking', 'Step 3 of 3: writing']);
  assert.deepEqual(pageErrors, []);
});

test('installProcess describes the input arguments of echo', async (t) => {
  const { page, pageErrors } = await openPage(t, allowedSite);
  const [viaSdk, viaProcess] = await page.evaluate(async () => {
    const echo = await processByName('echo');
    return [await UiPathRobot.installProcess(echo.id), await echo.install()];
  });
  assert.ok(Array.isArray(viaSdk.inputArgumentsSchema), JSON.stringify(viaSdk));
  const text = viaSdk.inputArgumentsSchema.find((a) => a.name === 'text');
  assert.ok(text, `no 'text' argument in ${JSON.stringify(viaSdk)}`);
  assert.equal(text.type, 'System.String');
  assert.deepEqual(viaProcess, viaSdk);
  assert.deepEqual(pageErrors, []);
});

test('a site that is not approved gets no process list', async (t) => {
  const { page, engineRequests, pageErrors } = await openPage(t, otherSite);

  // Watch the consent poll answers: the poll must be refused (401), and we
  // wait for two of them so the SDK has had a chance to resolve wrongly.
  const pollAnswers = [];
  const twoPollAnswers = new Promise((resolve) => {
    page.on('response', async (res) => {
      const url = new URL(res.url());
      if (url.pathname !== '/GetPort' || !url.searchParams.has('consentCode')) return;
      pollAnswers.push({ status: res.status(), body: await res.text().catch((e) => `<${e.message}>`) });
      if (pollAnswers.length === 2) resolve();
    });
  });

  await page.evaluate(() => {
    window.listOutcome = null;
    UiPathRobot.getProcesses().then(
      (list) => { listOutcome = { list: list.map((p) => p.name) }; },
      (err) => { listOutcome = describe(err); });
  });
  // Stop waiting early if the list call settles: that is a failure too.
  await page.waitForFunction(() => consentCodes.length > 0 || listOutcome !== null, null, { timeout: STEP_MS });
  assert.equal(await page.evaluate(() => listOutcome), null, 'getProcesses settled without consent');
  await withTimeout(twoPollAnswers, STEP_MS, 'the SDK sent no consent polls');

  const state = await page.evaluate(() => ({ listOutcome, consentCodes, missingComponents }));
  assert.equal(state.listOutcome, null, `getProcesses settled: ${JSON.stringify(state.listOutcome)}`);
  assert.equal(state.consentCodes.length, 1);
  assert.ok(state.consentCodes[0] >= 100001 && state.consentCodes[0] <= 999999);
  // The 401 carried CORS headers: otherwise the SDK would report a missing robot.
  assert.equal(state.missingComponents, 0);
  for (const a of pollAnswers) {
    assert.equal(a.status, 401, `consent poll answered ${a.status}`);
    for (const name of SAMPLES) assert.ok(!a.body.includes(`"${name}"`), `poll answer leaks ${name}`);
  }
  assert.equal(requestsTo(engineRequests, 'RobotProcesses').length, 0);

  // Going straight to the API port does not help either.
  const direct = await page.evaluate(async (api) => {
    const res = await fetch(`http://localhost:${api}/RobotProcesses`);
    return { status: res.status, body: await res.text() };
  }, engine.apiPort);
  assert.equal(direct.status, 401);
  for (const name of SAMPLES) assert.ok(!direct.body.includes(name), `body leaks ${name}: ${direct.body}`);
  assert.doesNotThrow(() => JSON.parse(direct.body), 'error body is not JSON');
  assert.deepEqual(pageErrors, []);
});

test('a process written in Python runs through the SDK', async (t) => {
  const { page, pageErrors } = await openPage(t, allowedSite);
  const run = await runToEnd(page, 'greeter-python', { name: 'Zoë', times: 2 });

  assert.equal(run.error, undefined, `greeter-python failed: ${JSON.stringify(run.error)}`);
  assert.equal(run.output.greeting, 'Hello, Zoë!, Hello, Zoë!');
  assert.match(run.output.language, /^Python 3\./);
  assert.deepEqual(run.statuses, ['Greeting 1 of 2', 'Greeting 2 of 2']);
  assert.deepEqual(run.events.map((e) => [e.name, e.payload]), [['greeted', '1'], ['greeted', '2']]);
  assert.deepEqual(pageErrors, []);
});

test('a wrong argument type for the Python process is refused before it runs', async (t) => {
  const { page } = await openPage(t, allowedSite);
  const run = await runToEnd(page, 'greeter-python', { name: 'x', times: 'twice' });
  assert.match(String(run.error?.message ?? run.error), /^400 - input argument "times": must be a whole number/);
});
