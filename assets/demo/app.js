// app.js: the robotbridge demo page. Lists the bridge's processes, builds
// an argument form from the selected process's schema, runs it and shows
// its progress live, using the project's own client (robotclient.js).
//
// When the bridge offers robotbridge's event stream, job progress is pushed
// to the page over one websocket (no JobStatus polling); otherwise the
// client polls JobStatus. #bridge-status and #job-transport say which.
//
// Element ids the end-to-end tests rely on (keep them stable):
//   #bridge-status        connection line; data-state: connecting | ready | error;
//                         data-updates: stream | polling once ready
//   #process-list         one <button data-process="NAME"> per process;
//                         aria-pressed="true" on the selected one
//   #args-form            argument form; data-process="NAME" once rendered
//                         for that process (submitting it runs the process)
//   #arg-NAME             input of argument NAME; data-type is its .NET type
//                         (text, number, JSON textarea, or a true/false
//                         <select> whose "" option means not set)
//   #extra-args           extra arguments as a JSON object (optional)
//   #form-error           why the arguments could not be sent (empty if fine)
//   #run                  Run button (disabled while a job runs)
//   #stop                 Stop button (enabled while a job runs)
//   #message-channel, #message-payload, #send-message
//                         client message to the running job (the payload is
//                         sent as a string)
//   #job-id               id of the current job
//   #job-transport        how the job is watched; data-transport: none |
//                         stream | polling (changes when it falls back)
//   #job-state            data-state: Idle | Starting | Executing | Closed |
//                         Canceled | Faulted | Error
//   #activity             live log, one li per line: data-kind = state |
//                         status | event | sent | error; events and sent
//                         messages carry data-name; the text is in
//                         span.payload (a state line's text is the bridge's
//                         state name: pending, running, stopping, successful,
//                         faulted, stopped)
//   #job-result           shown when the job succeeded
//   #job-output           its output arguments as pretty JSON
//   #job-error            the job's error text, or a request's error
import { RobotClient, JobFailure } from './robotclient.js';

const $ = (id) => document.getElementById(id);

const STATE_LABELS = {
  Idle: 'No job yet',
  Starting: 'Starting…',
  Executing: 'Executing (running)',
  Closed: 'Closed (success)',
  Canceled: 'Canceled (stopped)',
  Faulted: 'Faulted (failed)',
  Error: 'Error (request failed)',
};

const INTEGER_RANGES = {
  'System.Int16': [-32768, 32767],
  'System.Int32': [-2147483648, 2147483647],
  'System.Int64': [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const DECIMAL_TYPES = ['System.Double', 'System.Single', 'System.Decimal'];
/** Dates, times and durations are typed as text; the bridge checks the form. */
const TIME_PLACEHOLDERS = {
  'System.DateTime': '2026-12-04T16:30:00Z',
  'System.DateTimeOffset': '2026-12-04T16:30:00+01:00',
  'System.TimeSpan': '01:30:00',
};

/** The page's state: the client, processes, selection and running job. */
const app = {
  client: null,
  processes: [],
  selected: null, // {process, schema}
  job: null, // {id, processId} while a job runs
};

main();

async function main() {
  $('process-list').addEventListener('click', onProcessClick);
  $('args-form').addEventListener('submit', onRun);
  $('stop').addEventListener('click', onStop);
  $('message-form').addEventListener('submit', onSendMessage);

  let discoveryPort = 2323;
  try {
    const config = await (await fetch('config.json', { cache: 'no-store' })).json();
    if (Number.isInteger(config.discoveryPort)) discoveryPort = config.discoveryPort;
  } catch {
    // no config: the bridge's default discovery port
  }
  app.client = new RobotClient({ discoveryPort });

  let live;
  try {
    const { port } = await app.client.discover();
    app.processes = await app.client.getProcesses();
    // Opened now, so the page can say whether updates will be pushed.
    live = await app.client.connectEventStream();
    setBridgeStatus('ready', `Bridge found: discovery on localhost:${discoveryPort}, ` +
      `API on localhost:${port}. ${app.processes.length} process(es). ` +
      (live ? 'Live updates over the event stream.' : 'Updates by polling JobStatus.'));
  } catch (err) {
    setBridgeStatus('error', `Cannot reach the bridge on localhost:${discoveryPort}: ${err.message}`);
    return;
  }
  $('bridge-status').dataset.updates = live ? 'stream' : 'polling';
  renderProcesses();
}

function setBridgeStatus(state, text) {
  const el = $('bridge-status');
  el.dataset.state = state;
  el.textContent = text;
}

const TRANSPORT_LABELS = {
  none: '–',
  stream: 'pushed over the event stream',
  polling: 'polled with JobStatus',
};

function setTransport(transport) {
  const el = $('job-transport');
  el.dataset.transport = transport;
  el.textContent = TRANSPORT_LABELS[transport];
}

// ---- processes and the argument form ----

function renderProcesses() {
  const list = $('process-list');
  list.replaceChildren(...app.processes.map((p) => {
    const button = el('button', { type: 'button', 'data-process': p.name, 'aria-pressed': 'false' },
      el('span', { class: 'name' }, p.name),
      el('span', { class: 'description' }, p.description));
    button.dataset.id = p.id;
    return el('li', {}, button);
  }));
  if (app.processes.length === 0) list.append(el('li', { class: 'hint' }, 'The bridge offers no processes.'));
}

async function onProcessClick(event) {
  const button = event.target.closest('button[data-process]');
  if (!button) return;
  const process = app.processes.find((p) => p.id === button.dataset.id);
  for (const b of $('process-list').querySelectorAll('button')) {
    b.setAttribute('aria-pressed', String(b === button));
  }

  const form = $('args-form');
  app.selected = null;
  delete form.dataset.process;
  $('selected-process').textContent = `of ${process.name}`;
  $('args-hint').textContent = 'Loading the arguments…';
  $('args-hint').hidden = false;
  $('arg-fields').replaceChildren();
  $('extra-field').hidden = true;
  $('form-error').textContent = '';
  updateButtons();

  let schema;
  try {
    ({ inputArgumentsSchema: schema } = await app.client.installProcess(process.id));
  } catch (err) {
    if (button.getAttribute('aria-pressed') === 'true') {
      $('args-hint').hidden = true;
      $('form-error').textContent = `Cannot load the arguments: ${err.message}`;
    }
    return;
  }
  if (button.getAttribute('aria-pressed') !== 'true') return; // another one was picked meanwhile

  app.selected = { process, schema };
  $('args-hint').textContent = schema.length === 0
    ? 'This process takes no arguments.'
    : 'Empty fields are left out, so the process uses its defaults.';
  $('arg-fields').replaceChildren(...schema.map(renderField));
  $('extra-args').value = '';
  $('extra-field').hidden = false;
  form.dataset.process = process.name;
  updateButtons();
}

/** How an argument of a .NET type is entered. */
function fieldKind(type) {
  if (type === 'System.String') return 'text';
  if (type === 'System.Boolean') return 'boolean';
  if (type in INTEGER_RANGES) return 'integer';
  if (DECIMAL_TYPES.includes(type)) return 'number';
  if (type in TIME_PLACEHOLDERS) return 'time';
  return 'json'; // JObject, arrays and every type the page does not know
}

function renderField(arg) {
  const kind = fieldKind(arg.type);
  const id = `arg-${arg.name}`;
  const common = { id, name: arg.name, 'data-type': arg.type, 'data-kind': kind };
  const label = el('label', { for: id }, arg.name, ' ',
    el('span', { class: 'type' }, shortType(arg.type)),
    arg.isRequired ? el('span', { class: 'required' }, 'required') : '');

  let input;
  switch (kind) {
    case 'boolean':
      // Three states, so that "not set" leaves the argument out like an
      // empty field does.
      input = el('select', common,
        el('option', { value: '' }, 'not set'),
        el('option', { value: 'true' }, 'true'),
        el('option', { value: 'false' }, 'false'));
      break;
    case 'integer':
      input = el('input', { ...common, type: 'number', step: '1', inputmode: 'numeric' });
      break;
    case 'number':
      input = el('input', { ...common, type: 'number', step: 'any', inputmode: 'decimal' });
      break;
    case 'text':
      input = el('input', { ...common, type: 'text' });
      break;
    case 'time':
      input = el('input', { ...common, type: 'text', spellcheck: 'false',
        placeholder: TIME_PLACEHOLDERS[arg.type] });
      break;
    default:
      input = el('textarea', { ...common, rows: '2', spellcheck: 'false',
        placeholder: jsonPlaceholder(arg.type) });
  }
  return el('div', { class: 'field' }, label, input);
}

function jsonPlaceholder(type) {
  if (type.endsWith('[]')) return '[1, 2, 3]';
  if (/JObject$/.test(type)) return '{"key": "value"}';
  return 'any JSON value: "text", 42, true, {…}';
}

function shortType(type) {
  return type.replace(/^System\./, '').replace(/^Newtonsoft\.Json\.Linq\./, '');
}

/**
 * Reads the form into input arguments, or throws an Error naming the
 * field that is wrong.
 */
function readArguments(schema) {
  for (const input of $('args-form').querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
  }
  const args = {};
  for (const arg of schema) {
    const input = $(`arg-${arg.name}`);
    const value = readField(arg, input);
    if (value === undefined) {
      if (arg.isRequired) throw fieldError(input, `${arg.name} is required`);
      continue;
    }
    args[arg.name] = value;
  }

  const extraText = $('extra-args').value.trim();
  if (extraText !== '') {
    let extra;
    try {
      extra = JSON.parse(extraText);
    } catch (err) {
      throw fieldError($('extra-args'), `Extra arguments are not valid JSON: ${err.message}`);
    }
    if (!isPlainObject(extra)) {
      throw fieldError($('extra-args'), 'Extra arguments must be a JSON object such as {"name": "value"}');
    }
    for (const [name, value] of Object.entries(extra)) {
      if (name in args) throw fieldError($('extra-args'), `${name} is set both in its field and in the extra arguments`);
      args[name] = value;
    }
  }
  return args;
}

/** One field's value; undefined when left empty. */
function readField(arg, input) {
  const kind = input.dataset.kind;
  const text = input.value;
  if (kind === 'boolean') return text === '' ? undefined : text === 'true';
  if (kind === 'text') return text === '' ? undefined : text;
  if (kind === 'time') return text.trim() === '' ? undefined : text.trim();

  if (kind === 'integer' || kind === 'number') {
    if (input.validity.badInput) throw fieldError(input, `${arg.name} must be a number`);
    if (text.trim() === '') return undefined;
    const n = Number(text);
    if (!Number.isFinite(n)) throw fieldError(input, `${arg.name} must be a number`);
    if (kind === 'integer') {
      const [lo, hi] = INTEGER_RANGES[arg.type];
      if (!Number.isInteger(n)) throw fieldError(input, `${arg.name} must be a whole number (${shortType(arg.type)})`);
      if (n < lo || n > hi) throw fieldError(input, `${arg.name} must be between ${lo} and ${hi}`);
    }
    return n;
  }

  if (text.trim() === '') return undefined;
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw fieldError(input, `${arg.name} is not valid JSON (write text in "quotes"): ${err.message}`);
  }
  if (/JObject$/.test(arg.type) && !isPlainObject(value)) {
    throw fieldError(input, `${arg.name} must be a JSON object such as {"key": "value"}`);
  }
  if (arg.type.endsWith('[]') && !Array.isArray(value)) {
    throw fieldError(input, `${arg.name} must be a JSON array such as [1, 2]`);
  }
  return value;
}

function fieldError(input, message) {
  input.setAttribute('aria-invalid', 'true');
  input.focus();
  return new Error(message);
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---- running a job ----

async function onRun(event) {
  event.preventDefault();
  if (!app.selected || app.job) return;
  const { process, schema } = app.selected;

  let args;
  try {
    args = readArguments(schema);
  } catch (err) {
    $('form-error').textContent = err.message;
    return;
  }
  $('form-error').textContent = '';

  resetJobView();
  setJobState('Starting');
  app.job = { id: null, processId: process.id };
  updateButtons();

  let job;
  try {
    job = await app.client.startJob(process.id, args, {
      onStatus: (text) => logActivity('status', text),
      onEvent: ({ name, payload }) => logActivity('event', payload, name),
      onState: (state) => logActivity('state', state),
      onTransport: setTransport,
    });
  } catch (err) {
    finishJob('Error', err.message);
    return;
  }
  app.job.id = job.id;
  $('job-id').textContent = job.id;
  setJobState('Executing');
  updateButtons();

  try {
    const output = await job.result;
    $('job-output').textContent = JSON.stringify(output, null, 2);
    $('job-result').hidden = false;
    finishJob('Closed');
  } catch (err) {
    if (err instanceof JobFailure) {
      finishJob(err.state, err.type ? `${err.message} (${err.type})` : err.message);
    } else {
      finishJob('Error', `Lost track of the job: ${err.message}`);
    }
  }
}

function finishJob(state, errorText = '') {
  app.job = null;
  setJobState(state);
  $('job-error').textContent = errorText;
  updateButtons();
}

async function onStop() {
  if (!app.job?.id) return;
  $('stop').disabled = true;
  try {
    await app.client.stopProcess(app.job.processId);
  } catch (err) {
    logActivity('error', `Could not stop: ${err.message}`);
    updateButtons();
  }
}

async function onSendMessage(event) {
  event.preventDefault();
  if (!app.job?.id) return;
  const channel = $('message-channel').value.trim() || 'message';
  const payload = $('message-payload').value;
  try {
    await app.client.sendClientMessage(app.job.id, channel, payload);
    logActivity('sent', payload, channel);
    $('message-payload').value = '';
  } catch (err) {
    logActivity('error', `Message not delivered: ${err.message}`);
  }
}

// ---- the job view ----

function resetJobView() {
  $('job-id').textContent = '';
  setTransport('none');
  $('activity').replaceChildren();
  $('job-output').textContent = '';
  $('job-result').hidden = true;
  $('job-error').textContent = '';
}

function setJobState(state) {
  const el = $('job-state');
  el.dataset.state = state;
  el.textContent = STATE_LABELS[state];
}

function updateButtons() {
  const running = app.job !== null;
  $('run').disabled = running || !app.selected;
  $('stop').disabled = !app.job?.id;
  $('message-fieldset').disabled = !app.job?.id;
}

/** Adds a line to the activity log; events and sent messages have a name. */
function logActivity(kind, text, name) {
  const item = el('li', { 'data-kind': kind }, el('span', { class: 'tag' }, kind));
  if (name !== undefined) {
    item.dataset.name = name;
    item.append(el('span', { class: 'name' }, name), ' ');
  }
  item.append(el('span', { class: 'payload' }, text));
  const list = $('activity');
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

/** Creates an element with attributes and children (strings become text). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}
