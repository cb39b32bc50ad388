// robotclient.js: robotbridge's own small client for the RobotJS wire
// protocol (shared/spec/robotjs-protocol.md, sections 2-7). It talks to any
// bridge that speaks the protocol: port discovery, process list, schema,
// start + watch a job, stop, and client messages.
//
// Usage:
//   const client = new RobotClient({ discoveryPort: 2323 });
//   const [proc] = await client.getProcesses();
//   const job = await client.startJob(proc.id, { text: 'hi' }, {
//     onStatus: (text) => console.log(text),
//     onEvent: ({ name, payload }) => console.log(name, payload),
//   });
//   const output = await job.result; // rejects with JobFailure or RobotError

/** Job state names, indexed by the wire number of JobStatus's State. */
export const JOB_STATES = Object.freeze(['Executing', 'Closed', 'Canceled', 'Faulted']);

/** localStorage key (and header name) of the bridge's consent token. */
const TOKEN_KEY = 'uipathToken';

/** Delay between JobStatus polls when the bridge cannot long-poll. */
const SHORT_POLL_MS = 250;

/**
 * A request that failed: a non-2xx answer, an unreadable answer or a
 * network failure (status 0). The message reads "<status> - <text>", e.g.
 * "404 - Process not found: abc", as the protocol's error envelope implies.
 */
export class RobotError extends Error {
  /**
   * @param {number} status HTTP status, 0 for network or CORS failures
   * @param {string} text the bridge's error text (may be empty)
   */
  constructor(status, text) {
    super(`${status} - ${text}`);
    this.name = 'RobotError';
    this.status = status;
    this.text = text;
  }
}

/** A job that ended Canceled or Faulted. */
export class JobFailure extends Error {
  /**
   * @param {'Canceled'|'Faulted'} state
   * @param {{message?: string, type?: string}} [details] JobStatus's Error object
   */
  constructor(state, details) {
    const info = details && typeof details === 'object' ? details : {};
    super(info.message || `the job ended ${state}`);
    this.name = 'JobFailure';
    this.state = state;
    this.type = info.type || '';
    this.details = info;
  }
}

/**
 * @typedef {object} RobotProcess
 * @property {string} id process key, used in every later call
 * @property {string} name display name
 * @property {string} description
 *
 * @typedef {object} ArgumentSchema
 * @property {string} name
 * @property {string} type .NET type name, e.g. "System.String"
 * @property {boolean} isRequired
 * @property {boolean} hasDefault
 *
 * @typedef {object} WorkflowEvent
 * @property {string} name
 * @property {string} payload
 *
 * @typedef {object} StartedJob
 * @property {string} id the job id the bridge uses
 * @property {string} processId
 * @property {Promise<object>} result resolves with the output arguments
 *   when the job is Closed; rejects with a JobFailure (Canceled, Faulted)
 *   or a RobotError (the job could not be watched)
 */

export class RobotClient {
  /** @type {Promise<{port: number, features: string[]}> | null} cached discovery */
  #discovery = null;

  /**
   * @param {object} [options]
   * @param {number} [options.discoveryPort=2323] port serving GET /GetPort
   * @param {string} [options.host='localhost'] the bridge's host name
   */
  constructor({ discoveryPort = 2323, host = 'localhost' } = {}) {
    this.discoveryPort = discoveryPort;
    this.host = host;
  }

  /**
   * Asks the discovery port for the API port and the server features. The
   * answer is cached; after a failure the next call asks again.
   * @returns {Promise<{port: number, features: string[]}>}
   */
  discover() {
    if (!this.#discovery) {
      this.#discovery = this.#request(this.discoveryPort, 'GET', 'GetPort').then((body) => {
        if (!body || !Number.isInteger(body.Port) || body.Port <= 0) {
          throw new RobotError(500, 'GetPort did not name an API port');
        }
        const features = Array.isArray(body.ServerFeatures) ? body.ServerFeatures : [];
        return { port: body.Port, features };
      });
      this.#discovery.catch(() => { this.#discovery = null; });
    }
    return this.#discovery;
  }

  /** @returns {Promise<RobotProcess[]>} */
  async getProcesses() {
    const body = await this.#api('GET', 'RobotProcesses');
    const list = Array.isArray(body?.response) ? body.response : [];
    return list.map((p) => ({ id: p.Key, name: p.Name, description: p.Description ?? '' }));
  }

  /**
   * Makes a process ready to run and describes its input arguments. The
   * bridge answers at the top level of the body (no "response" wrapper).
   * @param {string} processId
   * @returns {Promise<{inputArgumentsSchema: ArgumentSchema[]}>}
   */
  async installProcess(processId) {
    await this.#requireFeature('InstallProcess');
    const body = await this.#api('GET', `InstallProcess?robotProcessId=${q(processId)}`);
    const schema = Array.isArray(body?.InputArgumentsSchema) ? body.InputArgumentsSchema : [];
    return {
      inputArgumentsSchema: schema.map((a) => ({
        name: a.Name, type: a.Type, isRequired: !!a.IsRequired, hasDefault: !!a.HasDefault,
      })),
    };
  }

  /**
   * Starts a job and watches it until it ends. Resolves as soon as the
   * bridge accepted the job; its progress reaches the handlers and its end
   * settles `result`.
   * @param {string} processId
   * @param {object} [args] input arguments (any JSON values)
   * @param {object} [handlers]
   * @param {(text: string) => void} [handlers.onStatus] each status message
   * @param {(event: WorkflowEvent) => void} [handlers.onEvent] each workflow event
   * @returns {Promise<StartedJob>}
   */
  async startJob(processId, args = {}, { onStatus = () => {}, onEvent = () => {} } = {}) {
    // The page proposes the job id; a bridge advertising UseGivenJobId
    // adopts it, but the JobId it answers is the one that counts.
    const proposed = newJobId();
    const body = await this.#api('POST',
      `InvokeRobot?robotProcessId=${q(processId)}&jobId=${q(proposed)}`,
      JSON.stringify(args ?? {}));
    const id = body?.response?.JobId;
    if (typeof id !== 'string' || id === '') {
      throw new RobotError(500, 'InvokeRobot did not answer with a JobId');
    }
    const result = this.#watch(id, onStatus, onEvent);
    result.catch(() => {}); // the caller may look at it later; no unhandled rejection
    return { id, processId, result };
  }

  /**
   * Stops every running job of a process (the protocol stops by process,
   * not by job). The jobs then end Canceled.
   * @param {string} processId
   */
  async stopProcess(processId) {
    await this.#api('GET', `StopProcess?robotProcessId=${q(processId)}`);
  }

  /**
   * Sends a message to a running job.
   * @param {string} jobId the id from startJob
   * @param {string} channelName
   * @param {*} payload a string or any JSON value
   */
  async sendClientMessage(jobId, channelName, payload) {
    await this.#requireFeature('ClientMessage');
    await this.#api('POST', `SendClientMessage?jobId=${q(jobId)}`,
      JSON.stringify({ channelName, payload }));
  }

  /**
   * Polls JobStatus until the job leaves Executing. Each answer carries only
   * the messages since the previous one ("drain"), so every element is
   * dispatched exactly once: events first, then status texts.
   */
  async #watch(jobId, onStatus, onEvent) {
    const { features } = await this.discover();
    const longPolling = features.includes('JobStatus_LongPolling');
    for (;;) {
      const body = await this.#api('GET', `JobStatus?jobId=${q(jobId)}`);
      const answer = body?.response ?? {};
      for (const e of arrayOf(answer.Events)) {
        call(onEvent, { name: String(e?.name ?? ''), payload: String(e?.payload ?? '') });
      }
      for (const text of arrayOf(answer.Status)) call(onStatus, String(text));

      const state = stateName(answer.State);
      if (state === 'Executing') {
        // A long-polling bridge holds the request until there is news.
        if (!longPolling) await sleep(SHORT_POLL_MS);
        continue;
      }
      if (state === 'Closed') return answer.Output?.Arguments ?? {};
      if (state === 'Canceled' || state === 'Faulted') throw new JobFailure(state, answer.Error);
      throw new RobotError(500, `JobStatus answered an unknown state: ${JSON.stringify(answer.State)}`);
    }
  }

  /** Fails like the protocol's 426 when the bridge lacks a feature. */
  async #requireFeature(name) {
    const { features } = await this.discover();
    if (!features.includes(name)) {
      throw new RobotError(426, `the bridge does not support ${name}`);
    }
  }

  /** A request to the API port (discovering it first). */
  async #api(method, path, body) {
    const { port } = await this.discover();
    return this.#request(port, method, path, body);
  }

  /**
   * One credentialed request. Sends the stored consent token, keeps any
   * token the bridge hands out, and turns the answer into JSON or a
   * RobotError. String bodies go out as text/plain, which the protocol
   * expects (no preflight unless a token is sent).
   * @returns {Promise<any>} the parsed body, null when it is empty
   */
  async #request(port, method, path, body) {
    const headers = {};
    const token = storage('get');
    if (token) headers[TOKEN_KEY] = token;

    let res;
    try {
      res = await fetch(`http://${this.host}:${port}/${path}`, {
        method, headers, body, credentials: 'include', cache: 'no-store',
      });
    } catch {
      throw new RobotError(0, `the bridge on ${this.host}:${port} is not reachable ` +
        '(not running, or it refused this page)');
    }

    const fresh = res.headers.get(TOKEN_KEY);
    if (fresh) storage('set', fresh);

    const text = await res.text();
    let data = null;
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        throw new RobotError(res.status, 'the bridge sent an answer that is not JSON');
      }
    }
    if (!res.ok) {
      const message = data?.response?.Error;
      throw new RobotError(res.status, typeof message === 'string' ? message : '');
    }
    return data;
  }
}

/** Maps JobStatus's State (a number or numeric string) to its name. */
function stateName(value) {
  const n = typeof value === 'number' ? value
    : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return JOB_STATES[n] ?? null;
}

/** Reads or writes the stored token; storage may be unavailable. */
function storage(op, value) {
  try {
    if (op === 'set') localStorage.setItem(TOKEN_KEY, value);
    else return localStorage.getItem(TOKEN_KEY);
  } catch {
    // private mode or storage disabled: run without a stored token
  }
  return null;
}

/** A random UUID v4 (crypto.randomUUID needs a secure context). */
function newJobId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Calls a page handler; its mistakes must not end the job watch. */
function call(handler, value) {
  try {
    handler(value);
  } catch (err) {
    console.error('robotclient: handler failed', err);
  }
}

function arrayOf(value) {
  return Array.isArray(value) ? value : [];
}

function q(value) {
  return encodeURIComponent(value);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
