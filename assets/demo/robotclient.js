// robotclient.js: robotbridge's own small client for the RobotJS wire
// protocol (shared/spec/robotjs-protocol.md, sections 2-7) and for
// robotbridge's websocket event stream (docs/events.md). It talks to any
// bridge that speaks the protocol: port discovery, process list, schema,
// start + watch a job, stop, and client messages.
//
// How a job is watched:
//   - When GetPort lists the feature "robotbridge.EventStream", the client
//     keeps one websocket open (ws://localhost:<apiPort>/events), subscribed
//     to all of this site's jobs, and the bridge pushes each job's states,
//     status messages, workflow events and output as they happen. Client
//     messages travel over the same socket. No JobStatus request is made:
//     the stream carries everything, a faulted job's error type included.
//   - Otherwise, or when the socket cannot be opened, the client polls
//     JobStatus (long polling when the bridge offers it).
//   - When the socket drops while a job runs, the client reconnects once and
//     resumes after the last event it saw; when that fails, or the bridge
//     answers "resync" (it dropped events this client had not read yet), the
//     job continues with JobStatus polling. Messages already delivered are
//     never delivered twice.
//
// Usage:
//   const client = new RobotClient({ discoveryPort: 2323 });
//   const [proc] = await client.getProcesses();
//   const job = await client.startJob(proc.id, { text: 'hi' }, {
//     onStatus: (text) => console.log(text),
//     onEvent: ({ name, payload }) => console.log(name, payload),
//     onState: (state) => console.log('now', state),
//   });
//   const output = await job.result; // rejects with JobFailure or RobotError

/** Job state names, indexed by the wire number of JobStatus's State. */
export const JOB_STATES = Object.freeze(['Executing', 'Closed', 'Canceled', 'Faulted']);

/** localStorage key (and header name) of the bridge's consent token. */
const TOKEN_KEY = 'uipathToken';

/** Delay between JobStatus polls when the bridge cannot long-poll. */
const SHORT_POLL_MS = 250;

/** The GetPort feature that announces the event stream. */
export const STREAM_FEATURE = 'robotbridge.EventStream';

/** The websocket subprotocol of the stream's schema version 1. */
export const STREAM_PROTOCOL = 'robotbridge.events.v1';

/** Schema version of the stream's events ("v"). */
const STREAM_VERSION = 1;

/** How long opening and subscribing the socket may take before polling. */
const STREAM_OPEN_MS = 5000;

/** Reconnects one job's watch may use before it falls back to polling. */
const MAX_RECONNECTS = 3;

/** Events kept for jobs whose InvokeRobot answer has not arrived yet. */
const EARLY_EVENTS_MAX = 10000;

/** The stream's terminal job states and the JobStatus names they match. */
const STREAM_ENDS = Object.freeze({ successful: 'Closed', stopped: 'Canceled', faulted: 'Faulted' });

/** JobStatus's end states as the stream names them (for onState). */
const POLL_ENDS = Object.freeze({ Closed: 'successful', Canceled: 'stopped', Faulted: 'faulted' });

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
 * @typedef {'pending'|'running'|'stopping'|'successful'|'faulted'|'stopped'} JobState
 *   A job's lifecycle state as the bridge names it. Over the event stream
 *   every change is reported; JobStatus polling cannot tell pending,
 *   running and stopping apart and reports 'running' for all three.
 *
 * @typedef {'stream'|'polling'} Transport how a job is being watched
 *
 * @typedef {object} JobHandlers
 * @property {(text: string) => void} [onStatus] each status message, once
 * @property {(event: WorkflowEvent) => void} [onEvent] each workflow event, once
 * @property {(state: JobState) => void} [onState] each state change
 * @property {(transport: Transport) => void} [onTransport] how the job is
 *   watched: called when watching starts and again on a fall back to polling
 *
 * @typedef {object} StartedJob
 * @property {string} id the job id the bridge uses
 * @property {string} processId
 * @property {Promise<object>} result resolves with the output arguments
 *   when the job is Closed; rejects with a JobFailure (Canceled, Faulted)
 *   or a RobotError (the job could not be watched)
 *
 * @typedef {object} StreamEvent one event of the stream (docs/events.md)
 * @property {number} v schema version, 1
 * @property {number} seq position in the bridge's event log, increasing
 * @property {'job.state'|'job.status'|'job.event'|'job.output'|'processes.changed'} type
 * @property {string} [jobId]
 * @property {JobState} [state] job.state
 * @property {string} [text] job.status
 * @property {string} [name] job.event
 * @property {string} [payload] job.event
 * @property {object} [output] job.output
 * @property {string} [error] job.state of an ended job that failed or stopped
 */

/**
 * One job being watched: where its updates come from and how many status
 * messages and events the page has seen, so that a switch from the stream
 * to JobStatus never delivers one twice.
 */
class Watch {
  /**
   * @param {string} id job id
   * @param {Required<JobHandlers>} handlers
   */
  constructor(id, handlers) {
    this.id = id;
    this.handlers = handlers;
    /** @type {Transport|'done'} */
    this.mode = 'stream';
    /** Status messages and events handed to the page (absolute counts). */
    this.delivered = { status: 0, events: 0 };
    /** Status messages and events JobStatus answered so far. */
    this.polled = { status: 0, events: 0 };
    /** @type {JobState|null} the last state reported */
    this.state = null;
    /** Highest stream seq applied to this job (guards against repeats). */
    this.seq = 0;
    /** Output arguments from the stream's job.output event. */
    this.output = null;
    this.reconnects = 0;
    this.result = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Reports a state change once. */
  setState(state) {
    if (state === this.state) return;
    this.state = state;
    call(this.handlers.onState, state);
  }

  setMode(mode) {
    if (this.mode === mode) return;
    this.mode = mode;
    call(this.handlers.onTransport, mode);
  }

  /** Settles the job; later calls are ignored. */
  finish(ok, value) {
    if (this.mode === 'done') return;
    this.mode = 'done';
    if (ok) this.resolve(value);
    else this.reject(value);
  }
}

/**
 * One websocket to the bridge's /events endpoint, subscribed to all of the
 * site's jobs. `ready` resolves true once the bridge acknowledged the
 * subscription, false if the socket failed before that.
 */
class StreamConnection {
  #ws = null;
  /** @type {Map<string, {resolve: Function, reject: Function}>} replies by ref */
  #pending = new Map();
  #nextRef = 1;
  #timer = null;
  #settleReady = () => {};
  #callbacks;

  /**
   * @param {string} url ws://host:port/events
   * @param {string[]} protocols the stream protocol and, when the site has
   *   one, "token.<token>"
   * @param {number|null} after resume after this seq (null: from now)
   * @param {{onEvent: (e: StreamEvent) => void, onResync: () => void,
   *   onClose: (conn: StreamConnection, wasOpen: boolean) => void}} callbacks
   */
  constructor(url, protocols, after, callbacks) {
    this.#callbacks = callbacks;
    this.url = url;
    /** @type {'connecting'|'open'|'closed'} */
    this.state = 'connecting';
    /** Set by close(): the page, not the network, ended the socket. */
    this.intentional = false;
    /** @type {Promise<boolean>} */
    this.ready = new Promise((resolve) => { this.#settleReady = resolve; });

    try {
      this.#ws = new WebSocket(url, protocols);
    } catch (err) {
      // e.g. a stored token with characters a subprotocol may not carry
      console.warn('robotclient: cannot open the event stream:', err.message);
      queueMicrotask(() => this.#down());
      return;
    }
    this.#timer = setTimeout(() => {
      console.warn('robotclient: the event stream did not open in time');
      this.#ws.close();
      this.#down();
    }, STREAM_OPEN_MS);

    this.#ws.onopen = () => {
      if (this.#ws.protocol !== STREAM_PROTOCOL) {
        console.warn(`robotclient: the bridge chose subprotocol "${this.#ws.protocol}"`);
        this.#ws.close();
        this.#down();
        return;
      }
      const subscribe = { type: 'subscribe', all: true };
      if (after !== null) subscribe.after = after;
      this.request(subscribe).then(() => {
        if (this.state !== 'connecting') return;
        clearTimeout(this.#timer);
        this.state = 'open';
        this.#settleReady(true);
      }, () => {
        this.#ws.close();
        this.#down();
      });
    };
    this.#ws.onmessage = (message) => this.#receive(message.data);
    this.#ws.onclose = () => this.#down();
    // onerror is always followed by onclose, which does the work.
  }

  /**
   * Sends a request and resolves when the bridge acknowledges it; rejects
   * with a RobotError when the bridge refuses it or the socket closes first.
   * @param {object} message subscribe, unsubscribe or message
   * @returns {Promise<void>}
   */
  request(message) {
    if (this.state === 'closed') {
      return Promise.reject(new RobotError(0, 'the event stream is closed'));
    }
    const ref = String(this.#nextRef++);
    return new Promise((resolve, reject) => {
      try {
        this.#ws.send(JSON.stringify({ ...message, ref }));
      } catch (err) { // not open yet, or a payload JSON cannot carry
        reject(new RobotError(0, `cannot send over the event stream: ${err.message}`));
        return;
      }
      this.#pending.set(ref, { resolve, reject });
    });
  }

  /** Closes the socket on purpose. */
  close() {
    this.intentional = true;
    this.#ws?.close(1000);
    this.#down();
  }

  #receive(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('robotclient: the event stream sent something that is not JSON');
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if ((msg.type === 'ack' || msg.type === 'error') && this.#pending.has(msg.ref)) {
      const { resolve, reject } = this.#pending.get(msg.ref);
      this.#pending.delete(msg.ref);
      if (msg.type === 'ack') resolve();
      else reject(streamError(String(msg.message ?? '')));
      return;
    }
    if (msg.type === 'resync') {
      this.#callbacks.onResync();
      return;
    }
    if (Number.isSafeInteger(msg.seq) && msg.v === STREAM_VERSION) this.#callbacks.onEvent(msg);
  }

  /** The socket is gone (or never came): settle everything once. */
  #down() {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    clearTimeout(this.#timer);
    this.#settleReady(false);
    for (const { reject } of this.#pending.values()) {
      reject(new RobotError(0, 'the event stream closed before the bridge answered; ' +
        'a message sent may or may not have been delivered'));
    }
    this.#pending.clear();
    if (this.#ws) {
      this.#ws.onopen = this.#ws.onmessage = this.#ws.onclose = null;
    }
    this.#callbacks.onClose(this, wasOpen);
  }
}

export class RobotClient {
  /** @type {Promise<{port: number, features: string[]}> | null} cached discovery */
  #discovery = null;
  /** @type {StreamConnection|null} the event stream, open or opening */
  #stream = null;
  /** @type {Map<string, Watch>} jobs being watched */
  #watches = new Map();
  /** Seq of the last stream event received: where a reconnect resumes. */
  #lastSeq = null;
  /** startJob calls waiting for InvokeRobot's answer. */
  #starting = 0;
  /** @type {Map<string, StreamEvent[]>} events of jobs not yet registered */
  #early = new Map();
  #earlyCount = 0;
  #earlyOverflow = false;

  /**
   * @param {object} [options]
   * @param {number} [options.discoveryPort=2323] port serving GET /GetPort
   * @param {string} [options.host='localhost'] the bridge's host name
   * @param {boolean} [options.useEventStream=true] false: always poll JobStatus
   * @param {() => void} [options.onProcessesChanged] called when the
   *   bridge's process list changed (only while the event stream is open)
   */
  constructor({ discoveryPort = 2323, host = 'localhost', useEventStream = true,
    onProcessesChanged = () => {} } = {}) {
    this.discoveryPort = discoveryPort;
    this.host = host;
    this.useEventStream = useEventStream;
    this.onProcessesChanged = onProcessesChanged;
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

  /**
   * Whether the bridge offers the event stream (and this client may use it).
   * @returns {Promise<boolean>}
   */
  async offersEventStream() {
    const { features } = await this.discover();
    return this.useEventStream && features.includes(STREAM_FEATURE) &&
      typeof WebSocket === 'function';
  }

  /**
   * Opens the event stream now instead of at the first job (a page that
   * wants to show whether live updates work). Resolves true when it is open.
   * @returns {Promise<boolean>}
   */
  async connectEventStream() {
    return (await this.#openStream()) !== null;
  }

  /** Closes the event stream; jobs still watched continue by polling. */
  close() {
    this.#stream?.close();
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
   * @param {JobHandlers} [handlers]
   * @returns {Promise<StartedJob>}
   */
  async startJob(processId, args = {}, handlers = {}) {
    const { onStatus = noop, onEvent = noop, onState = noop, onTransport = noop } = handlers;
    // Subscribed before the job exists, the stream cannot miss its start.
    const stream = await this.#openStream();

    // The page proposes the job id; a bridge advertising UseGivenJobId
    // adopts it, but the JobId it answers is the one that counts.
    const proposed = newJobId();
    this.#starting++;
    let id;
    try {
      const body = await this.#api('POST',
        `InvokeRobot?robotProcessId=${q(processId)}&jobId=${q(proposed)}`,
        JSON.stringify(args ?? {}));
      id = body?.response?.JobId;
      if (typeof id !== 'string' || id === '') {
        throw new RobotError(500, 'InvokeRobot did not answer with a JobId');
      }
    } catch (err) {
      if (--this.#starting === 0) this.#forgetEarly();
      throw err;
    }
    this.#starting--;

    const watch = new Watch(id, { onStatus, onEvent, onState, onTransport });
    this.#watches.set(id, watch);
    const early = this.#early.get(id) ?? [];
    this.#early.delete(id);
    // The socket the job was started under, or the one resuming after it,
    // has every event of the job unless some were dropped meanwhile.
    const trusted = stream !== null && this.#stream !== null && !this.#earlyOverflow;
    if (this.#starting === 0) this.#forgetEarly();

    if (trusted) {
      call(onTransport, 'stream');
      for (const e of early) this.#apply(watch, e);
    } else {
      watch.mode = 'polling';
      call(onTransport, 'polling');
      this.#poll(watch);
    }
    watch.result.catch(() => {}); // the caller may look at it later; no unhandled rejection
    return { id, processId, result: watch.result };
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
   * Sends a message to a running job: over the event stream when it is
   * open (the bridge acknowledges it there), else with SendClientMessage.
   * @param {string} jobId the id from startJob
   * @param {string} channelName
   * @param {*} payload a string or any JSON value
   */
  async sendClientMessage(jobId, channelName, payload) {
    if (this.#stream?.state === 'open') {
      await this.#stream.request({ type: 'message', jobId, channel: channelName, payload });
      return;
    }
    await this.#requireFeature('ClientMessage');
    await this.#api('POST', `SendClientMessage?jobId=${q(jobId)}`,
      JSON.stringify({ channelName, payload }));
  }

  // ---- the event stream ----

  /**
   * The open (subscribed) event stream, opening it if need be; null when
   * the bridge does not offer it or it cannot be opened.
   * @returns {Promise<StreamConnection|null>}
   */
  async #openStream() {
    if (!(await this.offersEventStream())) return null;
    const { port } = await this.discover();
    if (!this.#stream) this.#stream = this.#connect(`ws://${this.host}:${port}/events`, null);
    const stream = this.#stream;
    return (await stream.ready) ? stream : null;
  }

  /**
   * A new connection to the stream at url, resuming after `after` when set.
   * @param {string} url
   * @param {number|null} after
   */
  #connect(url, after) {
    const protocols = [STREAM_PROTOCOL];
    const token = storage('get');
    if (token) protocols.push(`token.${token}`);
    return new StreamConnection(url, protocols, after, {
      onEvent: (e) => this.#onStreamEvent(e),
      onResync: () => this.#onResync(),
      onClose: (conn, wasOpen) => this.#onStreamClosed(conn, wasOpen),
    });
  }

  /** @param {StreamEvent} e */
  #onStreamEvent(e) {
    if (this.#lastSeq === null || e.seq > this.#lastSeq) this.#lastSeq = e.seq;
    if (e.type === 'processes.changed') {
      call(this.onProcessesChanged);
      return;
    }
    if (typeof e.jobId !== 'string') return;
    const watch = this.#watches.get(e.jobId);
    if (watch) {
      if (watch.mode === 'stream') this.#apply(watch, e);
      return;
    }
    // The job may be ours with InvokeRobot's answer still on its way.
    if (this.#starting === 0) return;
    if (this.#earlyCount >= EARLY_EVENTS_MAX) {
      this.#earlyOverflow = true;
      return;
    }
    if (!this.#early.has(e.jobId)) this.#early.set(e.jobId, []);
    this.#early.get(e.jobId).push(e);
    this.#earlyCount++;
  }

  #forgetEarly() {
    this.#early.clear();
    this.#earlyCount = 0;
    this.#earlyOverflow = false;
  }

  /**
   * Applies one stream event to its job, once and in order.
   * @param {Watch} watch
   * @param {StreamEvent} e
   */
  #apply(watch, e) {
    if (e.seq <= watch.seq) return;
    watch.seq = e.seq;
    switch (e.type) {
      case 'job.status':
        watch.delivered.status++;
        call(watch.handlers.onStatus, String(e.text ?? ''));
        break;
      case 'job.event':
        watch.delivered.events++;
        call(watch.handlers.onEvent, { name: String(e.name ?? ''), payload: String(e.payload ?? '') });
        break;
      case 'job.output':
        watch.output = e.output && typeof e.output === 'object' ? e.output : {};
        break;
      case 'job.state':
        watch.setState(e.state);
        if (e.state in STREAM_ENDS) this.#endFromStream(watch, e);
        break;
      default:
        break; // a type this client does not know yet
    }
  }

  /** A job's terminal job.state arrived over the stream. */
  async #endFromStream(watch, e) {
    this.#watches.delete(watch.id);
    if (e.state === 'successful') {
      watch.finish(true, watch.output ?? {});
      return;
    }
    if (e.state === 'stopped') {
      watch.finish(false, new JobFailure('Canceled', { message: e.error ?? '' }));
      return;
    }
    // faulted: the stream carries the error's message and type.
    const details = { message: e.error ?? '', type: e.errorType ?? '' };
    watch.finish(false, new JobFailure('Faulted', details));
  }

  /** The bridge dropped events this client had not read: poll instead. */
  #onResync() {
    for (const watch of this.#watches.values()) {
      if (watch.mode === 'stream') this.#fallBack(watch, 'the event stream lost events (resync)');
    }
    this.#loseEarly();
  }

  /**
   * The socket closed. Jobs still watched over it resume on a new socket
   * after the last event seen, or fall back to polling when that is not
   * possible (the socket never opened, nothing to resume from, too many
   * reconnects, or the page closed it).
   */
  #onStreamClosed(conn, wasOpen) {
    if (conn !== this.#stream) return;
    this.#stream = null;
    const watched = [...this.#watches.values()].filter((w) => w.mode === 'stream');
    const after = this.#lastSeq;
    if (watched.length === 0 && this.#starting === 0) {
      this.#lastSeq = null; // nothing to resume: the next socket starts from now
      return;
    }
    const canResume = wasOpen && !conn.intentional && after !== null &&
      watched.every((w) => w.reconnects < MAX_RECONNECTS);
    if (!canResume) {
      for (const w of watched) this.#fallBack(w, 'the event stream closed');
      this.#loseEarly();
      this.#lastSeq = null;
      return;
    }
    for (const w of watched) w.reconnects++;
    // Should this socket fail before it is subscribed, its close (wasOpen
    // false) moves the jobs to polling.
    this.#stream = this.#connect(conn.url, after);
  }

  /** Jobs still starting may have lost events: they will poll. */
  #loseEarly() {
    if (this.#starting > 0) this.#earlyOverflow = true;
  }

  /** @param {Watch} watch */
  #fallBack(watch, why) {
    if (watch.mode !== 'stream') return;
    console.warn(`robotclient: job ${watch.id}: ${why}; watching it with JobStatus`);
    watch.setMode('polling');
    this.#poll(watch);
  }

  // ---- JobStatus polling ----

  /**
   * Polls JobStatus until the job leaves Executing. Each answer carries only
   * the messages since the previous one ("drain"); messages the stream
   * already delivered are skipped by count, so every element is dispatched
   * exactly once: events first, then status texts.
   * @param {Watch} watch
   */
  async #poll(watch) {
    try {
      const { features } = await this.discover();
      const longPolling = features.includes('JobStatus_LongPolling');
      for (;;) {
        const body = await this.#api('GET', `JobStatus?jobId=${q(watch.id)}`);
        if (watch.mode === 'done') return;
        const answer = body?.response ?? {};
        this.#deliverAnswer(watch, answer);

        const state = stateName(answer.State);
        if (state === 'Executing') {
          if (watch.state === null) watch.setState('running');
          // A long-polling bridge holds the request until there is news.
          if (!longPolling) await sleep(SHORT_POLL_MS);
          continue;
        }
        if (state in POLL_ENDS) {
          this.#watches.delete(watch.id);
          watch.setState(POLL_ENDS[state]);
          if (state === 'Closed') watch.finish(true, answer.Output?.Arguments ?? {});
          else watch.finish(false, new JobFailure(state, answer.Error));
          return;
        }
        throw new RobotError(500, `JobStatus answered an unknown state: ${JSON.stringify(answer.State)}`);
      }
    } catch (err) {
      this.#watches.delete(watch.id);
      watch.finish(false, err);
    }
  }

  /**
   * Hands a JobStatus answer's events and status texts to the page,
   * skipping those it has already seen.
   * @param {Watch} watch
   */
  #deliverAnswer(watch, answer) {
    for (const e of arrayOf(answer.Events)) {
      if (watch.polled.events++ < watch.delivered.events) continue;
      watch.delivered.events++;
      call(watch.handlers.onEvent, { name: String(e?.name ?? ''), payload: String(e?.payload ?? '') });
    }
    for (const text of arrayOf(answer.Status)) {
      if (watch.polled.status++ < watch.delivered.status) continue;
      watch.delivered.status++;
      call(watch.handlers.onStatus, String(text));
    }
  }

  // ---- HTTP ----

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

/**
 * A RobotError for a request the stream refused. The stream has no HTTP
 * status; the status the same refusal has over HTTP is inferred from the
 * bridge's text (400 when it is not one of the known ones).
 */
function streamError(message) {
  const statuses = [
    [/^job not found/i, 404],
    [/^job is not running/i, 409],
    [/^job cannot take messages now/i, 503],
  ];
  const match = statuses.find(([pattern]) => pattern.test(message));
  return new RobotError(match ? match[1] : 400, message);
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

function noop() {}

function arrayOf(value) {
  return Array.isArray(value) ? value : [];
}

function q(value) {
  return encodeURIComponent(value);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
