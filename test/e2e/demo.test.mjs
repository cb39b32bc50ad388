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
let traffic; // the page's requests to the bridge and its websockets (recordTraffic)

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
  traffic = recordTraffic(page);
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

/**
 * The whole activity log in order, one string a line: "state:running",
 * "status:TEXT", "event:NAME=PAYLOAD", "sent:NAME=PAYLOAD".
 */
function timeline() {
  return page.$$eval('#activity li', (items) => items.map((li) => {
    const name = li.dataset.name === undefined ? '' : `${li.dataset.name}=`;
    return `${li.dataset.kind}:${name}${li.querySelector('.payload').textContent}`;
  }));
}

/** Waits until the activity log has at least n lines of a kind. */
function waitForActivity(kind, n) {
  return page.waitForFunction(([k, count]) =>
    document.querySelectorAll(`#activity li[data-kind="${k}"]`).length >= count, [kind, n]);
}

/** The sleep sample's status texts after `seconds` seconds. */
function sleepStatuses(n) {
  return ['Sleeping until stopped', ...Array.from({ length: n - 1 }, (_, i) => `Slept ${i + 1} s`)];
}

/** A header's value from a DevTools headers object (any letter case). */
function header(headers, name) {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? null : headers[key];
}

function parseFrame(payload) {
  try {
    return JSON.parse(String(payload));
  } catch {
    return { unparsed: String(payload) };
  }
}

/**
 * Records the page's traffic to the bridge: the path of each HTTP request
 * to localhost, and each websocket (url, frames sent and received, parsed).
 * waitForFrame(pred) resolves with the first received frame, recorded or
 * future, matching pred; reset() forgets everything recorded so far.
 */
function recordTraffic(p) {
  const t = { paths: [], sockets: [], waiters: new Set() };
  p.on('request', (r) => {
    const url = new URL(r.url());
    if (url.hostname === 'localhost') t.paths.push(url.pathname);
  });
  p.on('websocket', (ws) => {
    const socket = { url: ws.url(), received: [], sent: [], error: null, closed: false };
    t.sockets.push(socket);
    ws.on('framesent', (f) => socket.sent.push(parseFrame(f.payload)));
    ws.on('framereceived', (f) => {
      const frame = parseFrame(f.payload);
      socket.received.push(frame);
      for (const w of t.waiters) {
        if (w.pred(frame)) { t.waiters.delete(w); w.resolve(frame); }
      }
    });
    ws.on('socketerror', (e) => { socket.error = e; });
    ws.on('close', () => { socket.closed = true; });
  });
  t.count = (path) => t.paths.filter((x) => x === path).length;
  t.received = () => t.sockets.flatMap((s) => s.received);
  t.reset = () => { t.paths.length = 0; t.sockets.length = 0; };
  t.waitForFrame = (pred, what) => {
    const seen = t.received().find(pred);
    if (seen) return Promise.resolve(seen);
    let timer;
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      t.waiters.add(w);
      timer = setTimeout(() => {
        t.waiters.delete(w);
        reject(new Error(`no websocket frame: ${what}`));
      }, WAIT_MS);
    }).finally(() => clearTimeout(timer));
  };
  return t;
}

/**
 * A stream frame as a timeline entry, in the page's words: the page shows
 * states, statuses and events; the output frame is "output".
 */
function frameLine(f) {
  switch (f.type) {
    case 'job.state': return `state:${f.state}`;
    case 'job.status': return `status:${f.text}`;
    case 'job.event': return `event:${f.name}=${f.payload}`;
    case 'job.output': return 'output';
    default: return `?${JSON.stringify(f)}`;
  }
}

/**
 * Asserts the job was watched over the event stream only: one websocket
 * for the page's life, subscribed to the site's jobs, no JobStatus or
 * SendClientMessage request; the job's frames are schema version 1 with
 * strictly increasing seq (so none came twice) and read as `want`.
 */
async function assertStreamOnly(jobId, want) {
  // The end is in the page, so its frames have all arrived; wait for the
  // recorder to have seen the last one too.
  await traffic.waitForFrame((f) => f.jobId === jobId && f.type === 'job.state' &&
    ['successful', 'faulted', 'stopped'].includes(f.state), `end of job ${jobId}`);
  assert.equal(traffic.count('/JobStatus'), 0, 'the page polled JobStatus');
  assert.equal(traffic.count('/SendClientMessage'), 0, 'a client message went over HTTP');
  assert.equal(traffic.sockets.length, 1, 'the page opened more than one websocket');
  const [socket] = traffic.sockets;
  assert.equal(socket.url, `ws://localhost:${engine.apiPort}/events`);
  assert.equal(socket.error, null, `websocket error: ${socket.error}`);
  assert.equal(socket.closed, false, 'the websocket closed');
  const { ref, ...subscribe } = socket.sent[0];
  assert.deepEqual(subscribe, { type: 'subscribe', all: true }, 'first client frame');
  assert.deepEqual(socket.received.find((f) => f.ref === ref), { v: 1, type: 'ack', ref },
    'the subscription was not acknowledged');

  const frames = socket.received.filter((f) => f.jobId === jobId);
  for (const [i, f] of frames.entries()) {
    assert.equal(f.v, 1, `frame without schema version 1: ${JSON.stringify(f)}`);
    if (i > 0) assert.ok(f.seq > frames[i - 1].seq, `seq not increasing: ${JSON.stringify(frames)}`);
  }
  assert.deepEqual(frames.map(frameLine), want, 'the job\'s frames');
  return frames;
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
    ['arg-flag', 'select', null, null],
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
  assert.equal(await page.inputValue('#arg-flag'), '', 'a Boolean starts as not set');
  await page.selectOption('#arg-flag', 'true');
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
  // The stream says "faulted" with the message and the error's type
  // (SampleFailure): no JobStatus request at all.
  assert.equal(await page.getAttribute('#job-transport', 'data-transport'), 'stream');
  assert.equal(traffic.count('/JobStatus'), 0, 'JobStatus requests for a faulted job');
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
  // Websocket handshakes are not requests to Playwright; Chromium's
  // DevTools protocol shows their headers.
  const handshakes = [];
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const byId = new Map(); // DevTools request id -> handshake record
  cdp.on('Network.webSocketCreated', ({ requestId, url }) => {
    const hs = { url, protocols: null, status: null, chosen: null };
    byId.set(requestId, hs);
    handshakes.push(hs);
  });
  cdp.on('Network.webSocketWillSendHandshakeRequest', ({ requestId, request }) => {
    const hs = byId.get(requestId);
    if (hs) hs.protocols = header(request.headers, 'Sec-WebSocket-Protocol');
  });
  cdp.on('Network.webSocketHandshakeResponseReceived', ({ requestId, response }) => {
    const hs = byId.get(requestId);
    if (hs) Object.assign(hs, { status: response.status,
      chosen: header(response.headers, 'Sec-WebSocket-Protocol') });
  });
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
  for (const path of ['/GetPort', '/RobotProcesses', '/InstallProcess', '/InvokeRobot']) {
    assert.ok(paths.includes(path), `no ${path} request seen`);
  }
  assert.deepEqual(sent[0], ['/GetPort', 'stored-token-1']);
  assert.deepEqual(sent.slice(1).filter(([, token]) => token !== 'fresh-token-2'), [],
    'requests after GetPort did not carry the new token');

  // The event stream got the new token as a subprotocol, never in its URL,
  // and the bridge did not echo the token back.
  assert.equal(await page.getAttribute('#job-transport', 'data-transport'), 'stream');
  assert.equal(handshakes.length, 1, `websocket handshakes: ${JSON.stringify(handshakes)}`);
  const [hs] = handshakes;
  assert.equal(hs.url, `ws://localhost:${engine.apiPort}/events`);
  assert.equal(hs.protocols, 'robotbridge.events.v1, token.fresh-token-2');
  assert.equal(hs.status, 101);
  assert.equal(hs.chosen, 'robotbridge.events.v1');
  assertPageClean();
});

// ---- the event stream (docs/events.md) ------------------------------------
//
// The bridge advertises "robotbridge.EventStream", so the page's client
// keeps one websocket open and the bridge pushes job progress over it. The
// fallback tests take the stream away (GetPort without the feature, a
// socket that cannot open, one that drops mid-job) through Playwright's
// request and websocket routing, and check the client then polls JobStatus
// without losing or repeating anything.

const EVENTS_TIMELINE = [
  'state:pending', 'state:running',
  'status:Step 1 of 3: reading', 'event:progress=33',
  'status:Step 2 of 3: checking', 'event:progress=66',
  'status:Step 3 of 3: writing', 'event:progress=100',
  'event:summary={"ok":true,"steps":3}',
  'state:successful',
];

/** Is this URL the bridge's event stream? (for page.routeWebSocket) */
const isEventStream = (url) => url.pathname === '/events';

/** Reloads the page (after installing routes) and waits until it is ready. */
async function reloadReady(updates) {
  traffic.reset();
  await page.reload();
  await page.waitForSelector('#bridge-status[data-state="ready"]');
  assert.equal(await page.getAttribute('#bridge-status', 'data-updates'), updates,
    'how the page says updates arrive');
}

test('stream: events are pushed in order, once each, with no JobStatus request', TEST_OPTS, async () => {
  assert.equal(await page.getAttribute('#bridge-status', 'data-updates'), 'stream');
  assert.match(await page.textContent('#bridge-status'), /Live updates over the event stream/);
  await selectProcess('events');
  await page.click('#run');
  await page.waitForSelector('#job-transport[data-transport="stream"]');
  const end = await waitForEnd();
  assert.equal(end.state, 'Closed', `job ended ${end.state}: ${end.error}`);
  const id = await page.textContent('#job-id');

  assert.deepEqual(await timeline(), EVENTS_TIMELINE);
  assert.deepEqual(await jobOutput(), { steps: 3 });
  const frames = await assertStreamOnly(id,
    [...EVENTS_TIMELINE.slice(0, -1), 'output', 'state:successful']);
  assert.deepEqual(frames.find((f) => f.type === 'job.output').output, { steps: 3 });
  assert.equal(await page.getAttribute('#job-transport', 'data-transport'), 'stream');
  assertPageClean();
});

test('stream: echo\'s states and output are pushed, with no JobStatus request', TEST_OPTS, async () => {
  await selectProcess('echo');
  await page.fill('#arg-text', 'pushed, not polled ✓');
  await page.fill('#arg-count', '7');
  const invoke = page.waitForRequest((r) => r.url().includes('/InvokeRobot?'));
  await page.click('#run');
  const args = (await invoke).postDataJSON();
  // Empty fields, the unset Boolean flag among them, are left out.
  assert.deepEqual(args, { text: 'pushed, not polled ✓', count: 7 }, 'InvokeRobot body');
  const end = await waitForEnd();
  assert.equal(end.state, 'Closed', `job ended ${end.state}: ${end.error}`);
  const id = await page.textContent('#job-id');

  assert.deepEqual(await timeline(), ['state:pending', 'state:running', 'state:successful']);
  assert.deepEqual(await jobOutput(), args);
  const frames = await assertStreamOnly(id,
    ['state:pending', 'state:running', 'output', 'state:successful']);
  assert.deepEqual(frames.find((f) => f.type === 'job.output').output, args);
  assertPageClean();
});

test('stream: sleep with a client message over the socket and a stop, no JobStatus', TEST_OPTS, async () => {
  await selectProcess('sleep');
  await page.click('#run');
  await page.waitForSelector('#job-state[data-state="Executing"]');
  await waitForActivity('status', 2);
  const id = await page.textContent('#job-id');
  assert.equal(await page.getAttribute('#job-transport', 'data-transport'), 'stream');

  const payload = 'über the socket ✓ <3';
  await page.fill('#message-channel', 'greeting');
  await page.fill('#message-payload', payload);
  await page.click('#send-message');
  await page.waitForSelector('#activity li[data-kind="event"][data-name="greeting"]');
  await page.waitForSelector('#activity li[data-kind="sent"]'); // logged once acknowledged

  const [socket] = traffic.sockets;
  const sentMessage = socket.sent.find((f) => f.type === 'message');
  assert.deepEqual(sentMessage, { type: 'message', jobId: id, channel: 'greeting', payload,
    ref: sentMessage?.ref });
  await traffic.waitForFrame((f) => f.type === 'ack' && f.ref === sentMessage.ref, 'message ack');

  await waitForActivity('status', 3); // still running and reporting after the message
  await page.click('#stop');
  const end = await waitForEnd();
  assert.equal(end.state, 'Canceled', `job ended ${end.state}: ${end.error}`);
  assert.match(end.error, /stopped/);

  const lines = await timeline();
  assert.deepEqual(lines.filter((l) => l.startsWith('state:')),
    ['state:pending', 'state:running', 'state:stopping', 'state:stopped']);
  assert.deepEqual(lines.slice(0, 3), ['state:pending', 'state:running', 'status:Sleeping until stopped']);
  assert.equal(lines.at(-1), 'state:stopped');
  const statuses = (await activity('status')).map((x) => x.text);
  assert.deepEqual(statuses, sleepStatuses(statuses.length), 'status lines missing or repeated');
  assert.deepEqual(await activity('event'), [{ name: 'greeting', text: payload }]);
  assert.deepEqual(await activity('sent'), [{ name: 'greeting', text: payload }]);

  // The page shows exactly what the stream pushed, in the same order.
  await assertStreamOnly(id, lines.filter((l) => !l.startsWith('sent:')));
  assert.equal(await page.isDisabled('#send-message'), true);
  assertPageClean();
});

test('fallback: a bridge without the EventStream feature is long-polled', TEST_OPTS, async () => {
  await page.route('**/GetPort', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.ServerFeatures = body.ServerFeatures.filter((f) => f !== 'robotbridge.EventStream');
    await route.fulfill({ response, json: body });
  });
  await reloadReady('polling');
  assert.match(await page.textContent('#bridge-status'), /Updates by polling JobStatus/);

  await selectProcess('events');
  await page.click('#run');
  const end = await waitForEnd();
  assert.equal(end.state, 'Closed', `job ended ${end.state}: ${end.error}`);
  assert.equal(await page.getAttribute('#job-transport', 'data-transport'), 'polling');
  assert.deepEqual(await activity('event'), [
    { name: 'progress', text: '33' }, { name: 'progress', text: '66' },
    { name: 'progress', text: '100' }, { name: 'summary', text: '{"ok":true,"steps":3}' },
  ]);
  assert.deepEqual((await activity('status')).map((x) => x.text),
    ['Step 1 of 3: reading', 'Step 2 of 3: checking', 'Step 3 of 3: writing']);
  assert.deepEqual((await timeline()).filter((l) => l.startsWith('state:')).at(-1), 'state:successful');
  assert.deepEqual(await jobOutput(), { steps: 3 });
  assert.ok(traffic.count('/JobStatus') >= 1, 'no JobStatus request');
  assert.deepEqual(traffic.sockets, [], 'a websocket was opened although the bridge offers none');
  assertPageClean();
});

test('fallback: when the socket cannot open, the job is polled and completes', TEST_OPTS, async () => {
  let attempts = 0;
  await page.routeWebSocket(isEventStream, (ws) => {
    attempts++;
    ws.close({ code: 4000, reason: 'blocked by the test' });
  });
  await reloadReady('polling');
  assert.equal(attempts, 1, 'the page did not try the stream at load');

  await selectProcess('events');
  await page.click('#run');
  const end = await waitForEnd();
  assert.equal(end.state, 'Closed', `job ended ${end.state}: ${end.error}`);
  assert.equal(await page.getAttribute('#job-transport', 'data-transport'), 'polling');
  assert.equal(attempts, 2, 'the job did not try the stream first');
  assert.deepEqual((await activity('event')).map((e) => `${e.name}=${e.text}`),
    ['progress=33', 'progress=66', 'progress=100', 'summary={"ok":true,"steps":3}']);
  assert.deepEqual((await activity('status')).map((x) => x.text),
    ['Step 1 of 3: reading', 'Step 2 of 3: checking', 'Step 3 of 3: writing']);
  assert.deepEqual(await jobOutput(), { steps: 3 });
  assert.ok(traffic.count('/JobStatus') >= 1, 'no JobStatus request');
  assertPageClean();
});

/**
 * Routes the page's event stream through the test: each connection is
 * handed to connect(n, ws) (n counts from 0), which may refuse it or relay
 * it with relay(ws, onServerFrame). Returns the list of connections, each
 * {toServer, toPage} with the frames relayed (parsed).
 */
async function routeStream(connect) {
  const conns = [];
  await page.routeWebSocket(isEventStream, (ws) => connect(conns.length, ws, conns));
  return conns;
}

/**
 * Relays one routed connection to the bridge, recording frames into a new
 * entry of conns. onServerFrame(frame, {ws, server, forward}) decides what
 * reaches the page: it must call forward() for the frame to be passed on.
 */
function relay(ws, conns, onServerFrame = (_f, { forward }) => forward()) {
  const conn = { toServer: [], toPage: [] };
  conns.push(conn);
  const server = ws.connectToServer();
  ws.onMessage((m) => { conn.toServer.push(parseFrame(m)); server.send(m); });
  server.onMessage((m) => {
    const frame = parseFrame(m);
    onServerFrame(frame, { ws, server, forward: () => { conn.toPage.push(frame); ws.send(m); } });
  });
  return conn;
}

test('fallback: a socket lost mid-job that cannot come back: JobStatus takes over, nothing twice', TEST_OPTS, async () => {
  let lostAfter = null; // seq of the last frame the page got on the first socket
  const conns = await routeStream((n, ws, list) => {
    if (n > 0) {
      list.push({ refused: true });
      ws.close({ code: 4000, reason: 'the bridge is gone (test)' });
      return;
    }
    relay(ws, list, (frame, { server, forward }) => {
      forward();
      if (frame.type === 'job.status' && frame.text === 'Slept 1 s') {
        lostAfter = frame.seq;
        ws.close({ code: 4001, reason: 'connection lost (test)' });
        server.close();
      }
    });
  });
  await reloadReady('stream');

  await selectProcess('sleep');
  await page.click('#run');
  await page.waitForSelector('#job-transport[data-transport="polling"]');
  assert.ok(lostAfter !== null, 'the socket was not cut after "Slept 1 s"');
  await waitForActivity('status', 5); // "Slept 4 s": the job goes on being reported
  await page.click('#stop');
  const end = await waitForEnd();
  assert.equal(end.state, 'Canceled', `job ended ${end.state}: ${end.error}`);

  const statuses = (await activity('status')).map((x) => x.text);
  assert.deepEqual(statuses, sleepStatuses(statuses.length), 'status lines missing or repeated');
  assert.deepEqual((await timeline()).filter((l) => l.startsWith('state:')),
    ['state:pending', 'state:running', 'state:stopped']);
  assert.equal(conns.length, 2, 'the client did not try to reconnect once');
  assert.deepEqual(conns[1], { refused: true });
  assert.ok(traffic.count('/JobStatus') >= 1, 'no JobStatus request');
  assertPageClean();
});

test('resume: a socket lost mid-job reconnects after the last seq seen, no JobStatus', TEST_OPTS, async () => {
  let lostAfter = null;
  const conns = await routeStream((n, ws, list) => {
    relay(ws, list, (frame, { server, forward }) => {
      forward();
      if (n === 0 && frame.type === 'job.status' && frame.text === 'Slept 1 s') {
        lostAfter = frame.seq;
        ws.close({ code: 4001, reason: 'connection lost (test)' });
        server.close();
      }
    });
  });
  await reloadReady('stream');

  await selectProcess('sleep');
  await page.click('#run');
  await waitForActivity('status', 4); // "Slept 3 s", over the second socket
  assert.ok(lostAfter !== null, 'the socket was not cut after "Slept 1 s"');
  assert.equal(conns.length, 2, 'connections');
  const { ref, ...resume } = conns[1].toServer[0] ?? {};
  assert.deepEqual(resume, { type: 'subscribe', all: true, after: lostAfter },
    'the second socket did not resume after the last event seen');
  assert.equal(await page.getAttribute('#job-transport', 'data-transport'), 'stream');

  await page.click('#stop');
  const end = await waitForEnd();
  assert.equal(end.state, 'Canceled', `job ended ${end.state}: ${end.error}`);
  const statuses = (await activity('status')).map((x) => x.text);
  assert.deepEqual(statuses, sleepStatuses(statuses.length), 'status lines missing or repeated');
  assert.deepEqual((await timeline()).filter((l) => l.startsWith('state:')),
    ['state:pending', 'state:running', 'state:stopping', 'state:stopped']);
  assert.equal(traffic.count('/JobStatus'), 0, 'the page polled JobStatus');
  assert.equal(conns.length, 2, 'more reconnects than needed');
  assertPageClean();
});

test('resync: the client asks JobStatus once for the state and loses nothing', TEST_OPTS, async () => {
  // The relay drops the job's frames from its first status on, as a bridge
  // does for a client that fell behind, and once the job has ended tells
  // the page "resync".
  let dropping = false;
  const dropped = [];
  const conns = await routeStream((n, ws, list) => {
    relay(ws, list, (frame, { forward }) => {
      if (frame.type === 'job.status') dropping = true;
      if (!dropping || !frame.jobId) return forward();
      dropped.push(frame);
      if (frame.type === 'job.state' && frame.state === 'successful') {
        // Only once the page knows the job's id: a resync before that
        // (InvokeRobot's answer can come after a fast job's end) makes the
        // client drop the early events it holds, which is right but not
        // what this test is about.
        page.waitForFunction(() => document.getElementById('job-id').textContent !== '')
          .then(() => ws.send(JSON.stringify({ type: 'resync',
            message: 'events were dropped (test)' })));
      }
    });
  });
  await reloadReady('stream');

  await selectProcess('events');
  await page.click('#run');
  const end = await waitForEnd();
  assert.equal(end.state, 'Closed', `job ended ${end.state}: ${end.error}`);
  assert.equal(await page.getAttribute('#job-transport', 'data-transport'), 'polling');
  assert.deepEqual(dropped.map(frameLine), EVENTS_TIMELINE.slice(2, -1).concat(['output', 'state:successful']),
    'the relay did not drop what it should');
  // Pushed before the gap: pending and running. From JobStatus's one answer
  // (events, then statuses): everything the page had not seen, and the end.
  assert.deepEqual(await timeline(), [
    'state:pending', 'state:running',
    'event:progress=33', 'event:progress=66', 'event:progress=100', 'event:summary={"ok":true,"steps":3}',
    'status:Step 1 of 3: reading', 'status:Step 2 of 3: checking', 'status:Step 3 of 3: writing',
    'state:successful',
  ]);
  assert.deepEqual(await jobOutput(), { steps: 3 });
  assert.equal(traffic.count('/JobStatus'), 1, 'JobStatus requests after the resync');
  assert.equal(conns.length, 1);
  assertPageClean();
});
