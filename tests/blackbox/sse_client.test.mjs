// sse-client.js in Node with a scripted EventSource and fetch: the transport decisions
// (snapshot first, resume ids, backoff, resync, shutdown, polling and back) checked one by
// one, faster and more exactly than a browser can show them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseClient, backoffDelay, compareIds, STATUS } from '../../service/web/sse-client.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class FakeEventSource {
  static all = [];
  constructor(url) {
    this.url = new URL(url);
    this.readyState = 0;
    this.listeners = new Map();
    this.closed = false;
    FakeEventSource.all.push(this);
  }
  addEventListener(type, fn, opts) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push({ fn, once: opts?.once });
  }
  removeEventListener(type, fn) {
    this.listeners.set(type, (this.listeners.get(type) ?? []).filter((l) => l.fn !== fn));
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type, event = {}) {
    for (const l of [...(this.listeners.get(type) ?? [])]) {
      if (l.once) this.removeEventListener(type, l.fn);
      l.fn({ type, ...event });
    }
  }
  open(instance = 'i-1', lastEventId = null) {
    this.readyState = 1;
    this.emit('open');
    this.emit('connected', { data: JSON.stringify({ client_id: 'c', instance_id: instance, heartbeat_ms: 30000, last_event_id: lastEventId }) });
  }
  send(type, id, data) {
    this.emit(type, { lastEventId: id, data: JSON.stringify({ id, type, time: '', subject: null, traceparent: null, data }) });
  }
  fail(readyState) {
    this.readyState = readyState;
    this.emit('error');
  }
}
const latest = () => FakeEventSource.all.at(-1);

function fakeFetch(snapshots) {
  const calls = [];
  const fn = async (url, init = {}) => {
    calls.push({ url, headers: init.headers ?? {} });
    const next = snapshots.length > 1 ? snapshots.shift() : snapshots[0];
    if (next.status === 304) return { ok: false, status: 304, headers: new Map(), json: async () => null };
    return { ok: true, status: 200, headers: new Map([['etag', next.etag ?? '"e1"']]), json: async () => next.body };
  };
  fn.calls = calls;
  return fn;
}

function makeClient(options = {}) {
  FakeEventSource.all = [];
  const snapshots = [];
  const fetch = options.fetch ?? fakeFetch([{ body: { last_event_id: '100-0', workers: [] } }]);
  const client = new SseClient({ EventSource: FakeEventSource, fetch, onSnapshot: (s, reason) => snapshots.push({ s, reason }), ...options });
  const statuses = [];
  client.onStatus((status, info) => statuses.push({ status, ...info }));
  return { client, fetch, snapshots, statuses };
}

test('backoff doubles per failure, is capped at 30 s and jittered into its upper half', () => {
  assert.equal(backoffDelay(1, 1000, 30000, () => 0), 500);
  assert.equal(backoffDelay(1, 1000, 30000, () => 1), 1000);
  assert.equal(backoffDelay(3, 1000, 30000, () => 1), 4000);
  assert.equal(backoffDelay(20, 1000, 30000, () => 1), 30000);
  assert.equal(backoffDelay(20, 1000, 30000, () => 0), 15000);
  assert.ok(compareIds('100-2', '100-10') < 0 && compareIds('101-0', '100-9') > 0 && compareIds('5-1', '5-1') === 0);
});

test('snapshot first, then the stream from its id; handlers get payloads after the event, in order', async () => {
  const { client, fetch, snapshots, statuses } = makeClient();
  const got = [];
  const all = [];
  client.on('worker.status.updated', (data, e) => got.push([data.status, e.id]));
  client.on('*', (data, e) => all.push(e.type));
  client.connect();
  assert.equal(client.status, STATUS.connecting);
  await sleep(5);
  assert.equal(fetch.calls.length, 1);
  assert.equal(snapshots[0].reason, 'initial');
  const es = latest();
  assert.equal(es.url.searchParams.get('since'), '100-0');
  es.open();
  assert.equal(client.status, STATUS.connected);
  es.send('worker.status.updated', '101-0', { worker_id: 'w', status: 'running' });
  es.send('worker.status.updated', '102-0', { worker_id: 'w', status: 'stopping' });
  assert.deepEqual(got, []); // not inside the EventSource's dispatch
  await sleep(40);
  assert.deepEqual(got, [['running', '101-0'], ['stopping', '102-0']]);
  assert.deepEqual(all, ['connected', 'worker.status.updated', 'worker.status.updated']);
  assert.equal(client.lastEventId, '102-0');
  assert.deepEqual(statuses.map((s) => s.status), ['disconnected', 'connecting', 'connected']);
  client.close();
  assert.equal(client.status, STATUS.disconnected);
  assert.ok(es.closed);
});

test('the browser retries once by itself; then the client takes over with ?since= and backoff', async () => {
  const { client } = makeClient({ initialBackoffMs: 20, snapshotUrl: null });
  client.connect();
  const es = latest();
  es.open();
  es.send('worker.created', '7-0', { worker_id: 'w' });
  es.fail(0); // CONNECTING: the browser's own retry (honours retry:, sends Last-Event-ID)
  assert.equal(client.status, STATUS.reconnecting);
  assert.equal(FakeEventSource.all.length, 1);
  es.fail(0); // that retry failed too
  assert.ok(es.closed);
  await sleep(40);
  assert.equal(FakeEventSource.all.length, 2);
  assert.equal(latest().url.searchParams.get('since'), '7-0');
  latest().open();
  assert.equal(client.status, STATUS.connected);
  client.close();
});

test('system.sse.resync refetches the snapshot and resumes from it; stale queued events are dropped', async () => {
  const fetch = fakeFetch([{ body: { last_event_id: '1-0', workers: [] } }, { body: { last_event_id: '500-0', workers: [{ worker_id: 'w' }] } }]);
  const { client, snapshots } = makeClient({ fetch });
  const got = [];
  client.on('worker.created', (d) => got.push(d.worker_id));
  client.connect();
  await sleep(5);
  const first = latest();
  first.open();
  first.send('worker.created', '2-0', { worker_id: 'stale' });
  first.emit('system.sse.resync', { data: JSON.stringify({ reason: 'too_old', oldest_id: '400-0' }) });
  assert.ok(first.closed);
  await sleep(30);
  assert.deepEqual(snapshots.map((s) => s.reason), ['initial', 'resync']);
  assert.deepEqual(got, []); // the event queued before the snapshot is part of it
  assert.equal(latest().url.searchParams.get('since'), '500-0');
  client.close();
});

test('a new instance whose newest event is older than ours means another history: resync', async () => {
  const fetch = fakeFetch([{ body: { last_event_id: '900-0', workers: [] } }, { body: { last_event_id: '3-0', workers: [] } }]);
  const { client, snapshots } = makeClient({ fetch, initialBackoffMs: 5 });
  client.connect();
  await sleep(5);
  latest().open('i-1', '900-0');
  latest().fail(2); // CLOSED: the relay went away
  await sleep(30);
  latest().open('i-2', '3-0'); // a restarted relay with a fresh log
  await sleep(30);
  assert.deepEqual(snapshots.map((s) => s.reason), ['initial', 'resync']);
  assert.equal(latest().url.searchParams.get('since'), '3-0');
  client.close();
});

test('system.sse.shutdown: "server restarting", reconnect after reconnect_ms with the last id', async () => {
  const { client, statuses } = makeClient({ snapshotUrl: null });
  client.connect();
  const es = latest();
  es.open();
  es.send('worker.created', '9-0', { worker_id: 'w' });
  es.emit('system.sse.shutdown', { data: JSON.stringify({ reason: 'shutdown', reconnect_ms: 60 }) });
  es.fail(2);
  assert.equal(client.status, STATUS.reconnecting);
  assert.equal(statuses.at(-1).restarting, true);
  await sleep(30);
  assert.equal(FakeEventSource.all.length, 1); // not before reconnect_ms
  await sleep(60);
  assert.equal(FakeEventSource.all.length, 2);
  assert.equal(latest().url.searchParams.get('since'), '9-0');
  latest().open();
  assert.equal(statuses.at(-1).restarting, false);
  client.close();
});

test('a restart that outlasts reconnect_ms plus one backoff becomes an error, and stays one until live', async () => {
  const { client, statuses } = makeClient({ snapshotUrl: null, initialBackoffMs: 20, maxBackoffMs: 40 });
  client.connect();
  latest().open();
  latest().emit('system.sse.shutdown', { data: JSON.stringify({ reason: 'shutdown', reconnect_ms: 30 }) });
  await sleep(50);
  assert.equal(FakeEventSource.all.length, 2);
  latest().fail(0); // the relay is not back when reconnect_ms is over: one more try, still restarting
  assert.equal(client.status, STATUS.reconnecting);
  assert.equal(statuses.at(-1).restarting, true);
  await sleep(60);
  assert.equal(FakeEventSource.all.length, 3);
  latest().fail(0); // nor after the backoff: an error, no longer "restarting"
  assert.equal(client.status, STATUS.error);
  assert.equal(statuses.at(-1).restarting, false);
  assert.match(statuses.at(-1).reason, /did not come back/);
  await sleep(100);
  assert.ok(FakeEventSource.all.length >= 4, 'it keeps retrying');
  assert.equal(client.status, STATUS.error, 'retrying is not recovering');
  latest().fail(0); // a retry the browser would make itself: still an error
  assert.equal(client.status, STATUS.error);
  await sleep(100);
  latest().fail(2); // and one that fails outright
  assert.equal(client.status, STATUS.error, 'a failed retry keeps the error');
  latest().open();
  assert.equal(client.status, STATUS.connected);
  client.close();
});

test('N failed connects switch to polling with ETag; a working stream ends polling', async () => {
  const fetch = fakeFetch([
    { body: { last_event_id: '1-0', workers: [] } },
    { body: { last_event_id: '2-0', workers: [{ worker_id: 'a' }] }, etag: '"e2"' },
    { status: 304 },
  ]);
  const { client, snapshots, statuses } = makeClient({ fetch, failuresBeforePolling: 2, initialBackoffMs: 5, pollIntervalMs: 20, sseRetryWhilePollingMs: 60 });
  client.connect();
  await sleep(5);
  latest().fail(2);
  await sleep(20);
  latest().fail(2);
  await sleep(5);
  assert.equal(client.mode, 'polling');
  assert.equal(statuses.at(-1).status, STATUS.reconnecting);
  await sleep(50);
  assert.ok(snapshots.some((s) => s.reason === 'poll'));
  assert.equal(fetch.calls.at(-1).headers['if-none-match'], '"e2"');
  const pollsBefore = snapshots.length;
  await sleep(60); // the SSE probe
  const probe = latest();
  assert.equal(probe.url.searchParams.get('since'), '2-0');
  probe.open();
  await sleep(5);
  latest().open();
  assert.equal(client.mode, 'sse');
  assert.equal(client.status, STATUS.connected);
  await sleep(50);
  assert.ok(snapshots.length <= pollsBefore + 1, 'polling stopped');
  client.close();
});

test('no EventSource at all: polling from the start', async () => {
  FakeEventSource.all = [];
  const fetch = fakeFetch([{ body: { last_event_id: '1-0', workers: [] } }]);
  const snapshots = [];
  const client = new SseClient({ EventSource: null, fetch, onSnapshot: (s, r) => snapshots.push(r), pollIntervalMs: 10 });
  client.EventSource = undefined;
  client.connect();
  await sleep(30);
  assert.equal(client.mode, 'polling');
  assert.ok(snapshots.length >= 1);
  client.close();
});

test('hidden longer than hiddenPauseMs: the stream closes; visible again: it resumes from the last id', async () => {
  const doc = new EventTarget();
  doc.hidden = false;
  globalThis.document = doc;
  try {
    const { client } = makeClient({ snapshotUrl: null, hiddenPauseMs: 30 });
    client.connect();
    const es = latest();
    es.open();
    es.send('worker.created', '42-0', { worker_id: 'w' });
    doc.hidden = true;
    doc.dispatchEvent(new Event('visibilitychange'));
    await sleep(10);
    assert.equal(client.status, STATUS.connected); // a short hide changes nothing
    await sleep(40);
    assert.equal(client.status, STATUS.disconnected);
    assert.ok(es.closed);
    doc.hidden = false;
    doc.dispatchEvent(new Event('visibilitychange'));
    assert.equal(FakeEventSource.all.length, 2);
    assert.equal(latest().url.searchParams.get('since'), '42-0');
    latest().open();
    assert.equal(client.status, STATUS.connected);
    client.close();
  } finally {
    delete globalThis.document;
  }
});
