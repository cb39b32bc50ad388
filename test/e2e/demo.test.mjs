// End-to-end tests of the demo page (assets/demo): headless Chromium uses
// the page like a person would, against a real engine serving the page on
// its own pre-approved loopback origin. The element ids are documented at
// the top of assets/demo/app.js.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, launchBrowser, freePort } from './lib.mjs';

const WAIT_MS = 10_000; // deadline of every wait for the page
const TEST_OPTS = { timeout: 45_000 };
const TERMINAL = ['Closed', 'Canceled', 'Faulted', 'Error'];

let engine;
let browser;
let context;
let page;
let pageErrors; // uncaught exceptions and rejections in the page
let offLoopback; // requests the page made to anything but loopback

before(async () => {
  engine = await startEngine(['--demo', `127.0.0.1:${await freePort()}`]);
  assert.ok(engine.demoOrigin, 'the engine printed no demo page address');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await engine?.stop();
});

beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  pageErrors = [];
  offLoopback = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('request', (req) => {
    const { hostname } = new URL(req.url());
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) offLoopback.push(req.url());
  });
  await page.goto(`${engine.demoOrigin}/`);
  await page.waitForSelector('#bridge-status[data-state="ready"]');
});

afterEach(async () => {
  await context?.close();
  context = null;
});

/** Fails the test if the page threw or reached beyond loopback. */
function assertPageClean() {
  assert.deepEqual(pageErrors, [], 'the page threw');
  assert.deepEqual(offLoopback, [], 'the page loaded something from off loopback');
}

async function selectProcess(name) {
  await page.click(`#process-list button[data-process="${name}"]`);
  await page.waitForSelector(`#args-form[data-process="${name}"]`);
}

/** Waits for the job to end and returns {state, label, error}. */
async function waitForEnd() {
  const sel = TERMINAL.map((s) => `#job-state[data-state="${s}"]`).join(', ');
  await page.waitForSelector(sel);
  return page.evaluate(() => ({
    state: document.getElementById('job-state').dataset.state,
    label: document.getElementById('job-state').textContent,
    error: document.getElementById('job-error').textContent,
  }));
}

/** The activity lines of one kind: [{name, text}]. */
function activity(kind) {
  return page.$$eval(`#activity li[data-kind="${kind}"]`, (items) => items.map((li) => ({
    name: li.dataset.name ?? null,
    text: li.querySelector('.payload').textContent,
  })));
}

function countActivity(kind) {
  return page.$$eval(`#activity li[data-kind="${kind}"]`, (items) => items.length);
}

async function jobOutput() {
  assert.equal(await page.isVisible('#job-output'), true, 'no output shown');
  return JSON.parse(await page.textContent('#job-output'));
}

test('lists the four sample processes with their descriptions', TEST_OPTS, async () => {
  const names = await page.$$eval('#process-list button[data-process]',
    (buttons) => buttons.map((b) => b.dataset.process));
  assert.deepEqual(names.sort(), ['echo', 'events', 'fail', 'sleep']);
  assert.match(await page.textContent('#process-list button[data-process="echo"]'),
    /Returns its input arguments/);
  assert.equal(await page.isDisabled('#run'), true, 'Run is enabled before a process is picked');
  assert.equal(await page.isDisabled('#stop'), true);
  assertPageClean();
});

test('echo: typed form arguments come back unchanged', TEST_OPTS, async () => {
  await selectProcess('echo');

  // The schema decides each field's kind of input.
  const kinds = await page.$$eval('#arg-fields [id^="arg-"]', (inputs) => inputs.map((i) =>
    [i.id, i.tagName.toLowerCase(), i.getAttribute('type'), i.getAttribute('step')]));
  assert.deepEqual(kinds, [
    ['arg-text', 'input', 'text', null],
    ['arg-number', 'input', 'number', 'any'],
    ['arg-count', 'input', 'number', '1'],
    ['arg-flag', 'input', 'checkbox', null],
    ['arg-data', 'textarea', null, null],
  ]);

  const data = { nested: { list: [1, 'zwei', null, true] }, emoji: '🚀', empty: {} };
  const expected = {
    text: 'Grüße, 世界 🌍 — "quoted" & <b>not html</b>',
    number: -12.75,
    count: 2147483647,
    flag: true,
    data,
    extra: ['a', 2.5],
  };
  await page.fill('#arg-text', expected.text);
  await page.fill('#arg-number', '-12.75');
  await page.fill('#arg-count', '2147483647');
  await page.check('#arg-flag');
  await page.fill('#arg-data', JSON.stringify(data, null, 1));
  await page.fill('#extra-args', '{"extra": ["a", 2.5]}');

  const invoke = page.waitForRequest((r) => r.url().includes('/InvokeRobot?'));
  await page.click('#run');
  const request = await invoke;
  assert.deepEqual(request.postDataJSON(), expected, 'InvokeRobot body');
  const sentJobId = new URL(request.url()).searchParams.get('jobId');
  assert.match(sentJobId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

  const end = await waitForEnd();
  assert.equal(end.state, 'Closed', `job ended ${end.state}: ${end.error}`);
  assert.equal(end.label, 'Closed (success)');
  assert.deepEqual(await jobOutput(), expected);
  assert.match(await page.textContent('#job-output'), /\n {2}"text": /, 'output is not pretty-printed');
  // The bridge adopts the page's job id (UseGivenJobId) and the page shows it.
  assert.equal(await page.textContent('#job-id'), sentJobId);
  assert.equal(await page.textContent('#job-error'), '');
  assert.equal(await page.isEnabled('#run'), true, 'Run stays disabled after the job');

  await page.screenshot({ path: '/tmp/demo-shot.png', fullPage: true });
  assertPageClean();
});

test('echo: the form refuses a fraction for an integer and bad JSON', TEST_OPTS, async () => {
  await selectProcess('echo');
  let invokes = 0;
  page.on('request', (r) => { if (r.url().includes('/InvokeRobot?')) invokes++; });

  await page.fill('#arg-count', '2.5');
  await page.click('#run');
  await page.waitForFunction(() => document.getElementById('form-error').textContent !== '');
  assert.match(await page.textContent('#form-error'), /count must be a whole number/);
  assert.equal(await page.getAttribute('#arg-count', 'aria-invalid'), 'true');

  await page.fill('#arg-count', '3');
  await page.fill('#arg-data', '[1, 2]');
  await page.click('#run');
  await page.waitForFunction(() => /data must be a JSON object/.test(
    document.getElementById('form-error').textContent));
  assert.equal(await page.getAttribute('#arg-count', 'aria-invalid'), null, 'stale mark on count');

  await page.fill('#arg-data', '{"a": 1');
  await page.click('#run');
  await page.waitForFunction(() => /data is not valid JSON/.test(
    document.getElementById('form-error').textContent));

  assert.equal(await page.getAttribute('#job-state', 'data-state'), 'Idle');
  assert.equal(invokes, 0, 'a job was started despite the invalid form');
  assertPageClean();
});

test('echo: an argument the bridge refuses shows its error text', TEST_OPTS, async () => {
  await selectProcess('echo');
  await page.fill('#extra-args', '{"count": "seven"}');
  await page.click('#run');
  const end = await waitForEnd();
  assert.equal(end.state, 'Error');
  // The bridge's {"response":{"Error": ...}} envelope, as "<status> - <text>".
  assert.equal(end.error, '400 - input argument "count": must be a whole number, got a string');
  assert.equal(await page.isEnabled('#run'), true);
  assertPageClean();
});

test('sleep: live status, a client message comes back as an event, stop cancels', TEST_OPTS, async () => {
  await selectProcess('sleep');
  await page.click('#run'); // no seconds: sleeps until stopped
  await page.waitForSelector('#job-state[data-state="Executing"]');

  // Status lines arrive while the job is still running.
  await page.waitForFunction(() =>
    document.querySelectorAll('#activity li[data-kind="status"]').length >= 3);
  assert.equal(await page.getAttribute('#job-state', 'data-state'), 'Executing');
  const live = await activity('status');
  assert.equal(live[0].text, 'Sleeping until stopped');
  assert.match(live[1].text, /^Slept \d+ s$/);
  assert.equal(await page.isEnabled('#stop'), true);
  assert.equal(await page.isDisabled('#run'), true, 'Run is enabled while a job runs');

  const payload = 'hello from the page ✓ <3';
  await page.fill('#message-channel', 'greeting');
  await page.fill('#message-payload', payload);
  await page.click('#send-message');
  await page.waitForSelector('#activity li[data-kind="event"][data-name="greeting"]');
  assert.deepEqual(await activity('event'), [{ name: 'greeting', text: payload }]);
  assert.deepEqual(await activity('sent'), [{ name: 'greeting', text: payload }]);

  await page.click('#stop');
  const end = await waitForEnd();
  assert.equal(end.state, 'Canceled', `job ended ${end.state}: ${end.error}`);
  assert.equal(end.label, 'Canceled (stopped)');
  assert.match(end.error, /stopped/);
  assert.equal(await page.isVisible('#job-result'), false, 'a stopped job shows output');

  // Drain semantics: nothing was delivered twice.
  const statuses = (await activity('status')).map((s) => s.text);
  assert.deepEqual(statuses, [...new Set(statuses)], 'duplicate status lines');
  assert.equal(await countActivity('event'), 1, 'the event was delivered more than once');
  assert.equal(await page.isDisabled('#stop'), true);
  assert.equal(await page.isDisabled('#send-message'), true);
  assert.equal(await page.isEnabled('#run'), true);
  assertPageClean();
});

test('fail: the message argument becomes the error', TEST_OPTS, async () => {
  await selectProcess('fail');
  const message = 'Das ging schief: ✗ <script>nope</script>';
  await page.fill('#arg-message', message);
  await page.click('#run');
  const end = await waitForEnd();
  assert.equal(end.state, 'Faulted', `job ended ${end.state}: ${end.error}`);
  assert.equal(end.label, 'Faulted (failed)');
  assert.equal(end.error, `${message} (SampleFailure)`);
  assert.deepEqual(await activity('status'), [{ name: null, text: 'Failing on purpose' }]);
  assert.equal(await page.isVisible('#job-result'), false);
  assertPageClean();
});

test('events: workflow events and statuses arrive once each, then the output', TEST_OPTS, async () => {
  await selectProcess('events');
  assert.match(await page.textContent('#args-hint'), /takes no arguments/);
  await page.click('#run');
  const end = await waitForEnd();
  assert.equal(end.state, 'Closed', `job ended ${end.state}: ${end.error}`);
  assert.deepEqual(await activity('event'), [
    { name: 'progress', text: '33' },
    { name: 'progress', text: '66' },
    { name: 'progress', text: '100' },
    { name: 'summary', text: '{"ok":true,"steps":3}' },
  ]);
  assert.deepEqual((await activity('status')).map((s) => s.text), [
    'Step 1 of 3: reading', 'Step 2 of 3: checking', 'Step 3 of 3: writing',
  ]);
  assert.deepEqual(await jobOutput(), { steps: 3 });
  assertPageClean();
});

test('a stored consent token is sent on every request and a new one is kept', TEST_OPTS, async () => {
  // The pre-approved demo origin gets no token from the bridge, so the test
  // adds one to the GetPort answer (the bridge's own CORS headers expose it).
  await page.route('**/GetPort', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), uipathToken: 'fresh-token-2' } });
  });
  await page.evaluate(() => localStorage.setItem('uipathToken', 'stored-token-1'));
  const sent = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(engine.demoOrigin)) sent.push([new URL(r.url()).pathname, r.headers().uipathtoken]);
  });

  await page.reload();
  await page.waitForSelector('#bridge-status[data-state="ready"]');
  assert.equal(await page.evaluate(() => localStorage.getItem('uipathToken')), 'fresh-token-2');
  await selectProcess('events');
  await page.click('#run');
  const end = await waitForEnd();
  assert.equal(end.state, 'Closed', `job ended ${end.state}: ${end.error}`);

  const paths = sent.map(([path]) => path);
  for (const path of ['/GetPort', '/RobotProcesses', '/InstallProcess', '/InvokeRobot', '/JobStatus']) {
    assert.ok(paths.includes(path), `no ${path} request seen`);
  }
  assert.deepEqual(sent[0], ['/GetPort', 'stored-token-1']);
  assert.deepEqual(sent.slice(1).filter(([, token]) => token !== 'fresh-token-2'), [],
    'requests after GetPort did not carry the new token');
  assertPageClean();
});
