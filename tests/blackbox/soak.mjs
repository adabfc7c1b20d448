// Soak: many subscribers with random filters (some slow, some stalling, some reconnecting
// with Last-Event-ID) while producers publish at a steady rate. At the end every subscriber's
// received sequence is checked against what the relay accepted (202 ids): no gap without a
// resync, no duplicate, no reordering (a keyed event may be left out only when a newer one
// with its key reached that subscriber: conflation). Then the subscribers leave, and the
// relay's descriptors must come back to baseline and its memory must not grow with a second
// round of the same subscribers.
//
//   node tests/blackbox/soak.mjs [--subscribers 5000] [--seconds 60] [--rate 200]
//
// soak.test.mjs runs a short form in `make test` (and once more against the ASan binary,
// where the relay's exit after SIGTERM must be clean: LeakSanitizer reports fail it).
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { createParser } from 'eventsource-parser';
import { RelayProcess, eventually } from './relay_process.mjs';

const TYPES = ['soak.alpha', 'soak.beta', 'soak.gamma'];
const KEYS = Array.from({ length: 10 }, (_, i) => `k${i}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Deterministic pseudo-random numbers, so a failing run can be repeated. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const idKey = (id) => {
  const [ms, seq] = id.split('-');
  return BigInt(ms) * 1_000_000n + BigInt(seq);
};

/**
 * Every event seen (by a producer's 202 or a subscriber), once: subscribers keep small
 * integers, not objects, so 5,000 of them can each hold every event of a minute.
 */
export class EventTable {
  constructor() {
    this.byId = new Map();
    this.events = [];
  }

  intern(id, type, key) {
    let index = this.byId.get(id);
    if (index === undefined) {
      index = this.events.length;
      this.events.push({ id, type, key });
      this.byId.set(id, index);
    }
    return index;
  }
}

const RESYNC = -1;

/** One subscriber: sessions over raw sockets, an SSE parser per session, everything kept. */
export class Subscriber {
  constructor(index, relay, kind, filter, table = new EventTable()) {
    this.index = index;
    this.relay = relay;
    this.kind = kind; // normal | slow | stalling | reconnecting | stuck
    this.filter = filter; // { types: [...], keys: [...] }, empty = all
    this.table = table;
    this.received = []; // indexes into the table, RESYNC for a system.sse.resync
    this.start = undefined; // newest id when first connected (null: empty log)
    this.lastId = undefined;
    this.sessions = 0;
    this.closed = false;
  }

  query() {
    const parts = [];
    if (this.filter.types.length) parts.push(`types=${this.filter.types.join(',')}`);
    for (const key of this.filter.keys) parts.push(`worker=${key}`);
    return parts.length ? `?${parts.join('&')}` : '';
  }

  matches(event) {
    if (this.filter.types.length && !this.filter.types.includes(event.type)) return false;
    if (this.filter.keys.length && !this.filter.keys.includes(event.key)) return false;
    return true;
  }

  connect() {
    if (this.closed) return;
    this.sessions++;
    const socket = net.connect(this.relay.port, '127.0.0.1');
    this.socket = socket;
    const resumeFrom = this.lastId ?? this.start;
    const resume = resumeFrom ? `Last-Event-ID: ${resumeFrom}\r\n` : '';
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let head = '';
    let streaming = false;
    const parser = createParser({
      onEvent: (e) => {
        if (e.event === 'connected') {
          if (this.start === undefined) this.start = JSON.parse(e.data).last_event_id;
          return;
        }
        if (e.event === 'system.sse.resync') {
          this.received.push(RESYNC);
          return;
        }
        if (!e.event?.startsWith('soak.')) return; // heartbeats, shutdown
        const key = /"key":"([^"]*)"/.exec(e.data)?.[1] ?? '';
        this.received.push(this.table.intern(e.id, e.event, key));
        this.lastId = e.id;
      },
    });
    socket.on('data', (chunk) => {
      if (streaming) {
        parser.feed(chunk.toString('utf8'));
        return;
      }
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!head.startsWith('HTTP/1.1 200')) {
        this.refused = head.slice(0, head.indexOf('\r\n'));
        socket.destroy();
        return;
      }
      streaming = true;
      parser.feed(Buffer.from(head.slice(end + 4), 'latin1').toString('utf8'));
    });
    socket.on('close', () => {
      if (this.socket !== socket || this.closed) return;
      // The relay let us go (evicted) or we dropped: resume where we were.
      setTimeout(() => this.connect(), 50);
    });
    socket.write(`GET /api/events/stream${this.query()} HTTP/1.1\r\nHost: soak\r\n${resume}\r\n`);
  }

  /** Behaviour over time, by kind. */
  async behave(rnd, until) {
    while (!this.closed && Date.now() < until) {
      if (this.kind === 'slow') {
        this.socket?.pause();
        await sleep(150 + rnd() * 150);
        this.socket?.resume();
        await sleep(300);
      } else if (this.kind === 'stalling') {
        // Stops reading for about half the run: long enough to fill the socket buffers, so
        // the relay evicts it (RELAY_WRITE_TIMEOUT_MS / RELAY_MAX_PENDING_BYTES) and it
        // comes back with its Last-Event-ID.
        await sleep(500 + rnd() * 1000);
        this.socket?.pause();
        await sleep((until - Date.now()) * (0.4 + rnd() * 0.3));
        this.socket?.resume();
      } else if (this.kind === 'stuck') {
        // Follows only the bulk events and stops reading for most of the run: more than the
        // socket buffers hold, so the relay must evict it (write_timeout or slow_consumer)
        // without stalling anyone else; then it resumes with its Last-Event-ID.
        await sleep(500);
        this.socket?.pause();
        await sleep(Math.max(0, until - Date.now() - 1500));
        this.socket?.resume();
      } else if (this.kind === 'reconnecting') {
        await sleep(1000 + rnd() * 3000);
        const old = this.socket;
        this.socket = undefined;
        old?.destroy();
        this.connect();
      } else {
        return;
      }
    }
    this.socket?.resume();
  }

  leave() {
    this.closed = true;
    this.socket?.destroy();
  }

  /** The accepted events (in log order) this subscriber should see. */
  expectedOf(accepted) {
    const startKey = this.start ? idKey(this.start) : -1n;
    return accepted.filter((e) => e.order > startKey && this.matches(e));
  }

  /** Problems of the received sequence against the accepted events (in log order). */
  check(accepted) {
    const problems = [];
    const expected = this.expectedOf(accepted);
    // For each expected index, whether a later expected event has the same key.
    const lastOfKey = new Map();
    expected.forEach((e, i) => lastOfKey.set(e.key, i));
    const laterWithKey = (i, key) => lastOfKey.get(key) > i;
    const seen = new Set();
    let at = 0; // next expected index
    let afterResync = false;
    for (const entry of this.received) {
      if (entry === RESYNC) {
        afterResync = true;
        continue;
      }
      const got = this.table.events[entry];
      if (seen.has(got.id)) {
        problems.push(`duplicate ${got.id}`);
        continue;
      }
      seen.add(got.id);
      if (!this.matches(got)) problems.push(`${got.id} (${got.type}/${got.key}) is outside the filter`);
      let index = -1;
      for (let i = at; i < expected.length; i++) {
        if (expected[i].id === got.id) {
          index = i;
          break;
        }
      }
      if (index < 0) {
        problems.push(`${got.id} was not expected here (reordered or never accepted)`);
        continue;
      }
      for (let i = at; i < index; i++) {
        const skipped = expected[i];
        // Conflation: a keyed event superseded by a newer one with its key (the newest of
        // each key must itself arrive: the tail check below holds that).
        const superseded = skipped.key !== '' && laterWithKey(i, skipped.key);
        if (!superseded && !afterResync) problems.push(`gap: ${skipped.id} missing before ${got.id}`);
      }
      afterResync = false;
      at = index + 1;
    }
    // The tail: everything after the last received must be superseded-free, i.e. nothing left.
    for (let i = at; i < expected.length; i++) {
      if (expected[i].key === '' || !laterWithKey(i, expected[i].key)) {
        problems.push(`missing at the end: ${expected[i].id}`);
        break;
      }
    }
    return { problems, expected: expected.length, received: seen.size };
  }
}

function assert202(res) {
  if (res.status !== 202) throw new Error(`publish answered ${res.status}`);
}

const fdCount = (pid) => readdirSync(`/proc/${pid}/fd`).length;
const rssMb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

const BULK = 'soak.bulk';
const BULK_RATE = 20; // events/s of 128 KB: 2.5 MB/s to each stuck subscriber

/**
 * Publishes `rate` events/s for `seconds` from 4 producers, and bulk events from a fifth;
 * returns the accepted events.
 */
async function produce(relay, rate, seconds, rnd) {
  const accepted = [];
  const until = Date.now() + seconds * 1000;
  const perProducer = rate / 4;
  let n = 0;
  let refused = 0;
  const bulkPad = 'b'.repeat(128 * 1024);
  await Promise.all(
    [0, 1, 2, 3, 4].map(async (producer) => {
      const bulk = producer === 4;
      const interval = 1000 / (bulk ? BULK_RATE : perProducer);
      let next = Date.now();
      while (Date.now() < until) {
        const type = bulk ? BULK : TYPES[Math.floor(rnd() * TYPES.length)];
        const key = !bulk && rnd() < 0.7 ? KEYS[Math.floor(rnd() * KEYS.length)] : '';
        const seq = n++;
        const body = { type, data: { seq, key: key || undefined, pad: bulk ? bulkPad : 'p'.repeat(512) } };
        if (key) body.key = key;
        const res = await relay.publish(body);
        if (res.status === 202) {
          const { id } = await res.json();
          accepted.push({ id, type, key, order: idKey(id) });
        } else {
          refused++;
          await res.text();
        }
        next += interval;
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
      }
    }),
  );
  accepted.sort((a, b) => (a.order < b.order ? -1 : 1));
  return { accepted, refused };
}

function makeSubscribers(relay, count, rnd, table) {
  const kinds = ['normal', 'normal', 'normal', 'normal', 'slow', 'stalling', 'reconnecting', 'normal'];
  return Array.from({ length: count }, (_, i) => {
    // One in 50 follows only the bulk events and gets stuck; the others never see them.
    if (i % 50 === 7) return new Subscriber(i, relay, 'stuck', { types: [BULK], keys: [] }, table);
    const filter = { types: [...TYPES], keys: [] };
    const f = rnd();
    if (f < 0.3) filter.types = TYPES.filter(() => rnd() < 0.5).slice(0, 2);
    else if (f < 0.6) filter.keys = KEYS.filter(() => rnd() < 0.3);
    if (!filter.types.length) filter.types = [...TYPES];
    return new Subscriber(i, relay, kinds[i % kinds.length], filter, table);
  });
}

async function connectAll(subscribers) {
  for (let i = 0; i < subscribers.length; i += 200) {
    for (const s of subscribers.slice(i, i + 200)) s.connect();
    await sleep(20);
  }
  await eventually(() => subscribers.every((s) => s.start !== undefined || s.refused), 60_000, 'every subscriber connected');
  const refused = subscribers.filter((s) => s.refused);
  if (refused.length) throw new Error(`${refused.length} subscribers refused: ${refused[0].refused}`);
}

/**
 * Runs the soak against a started relay; returns figures and problems.
 * `relay` must allow `subscribers` clients and retain the whole run in its history.
 */
export async function soak(relay, { subscribers = 5000, seconds = 60, rate = 200, seed = 1 } = {}) {
  const rnd = random(seed);
  const pid = relay.child.pid;
  const baseline = { fds: fdCount(pid), rssMb: rssMb(pid) };

  // One event before anyone subscribes: every subscriber starts from a known id, so one that
  // drops before its first event resumes from there instead of from "now".
  assert202(await relay.publish({ type: 'soak.start', data: {} }));
  const table = new EventTable();
  const subs = makeSubscribers(relay, subscribers, rnd, table);
  const connectStarted = Date.now();
  await connectAll(subs);
  const connectMs = Date.now() - connectStarted;
  const peak = { fds: fdCount(pid), rssMb: rssMb(pid) };

  const until = Date.now() + seconds * 1000;
  const behaviours = subs.map((s) => s.behave(rnd, until));
  const { accepted, refused } = await produce(relay, rate, seconds, rnd);
  await Promise.all(behaviours);
  for (const s of subs) s.socket?.resume();

  // Everyone catches up: each has received the last accepted event its filter takes.
  const lastId = accepted.at(-1)?.id;
  const lastWanted = subs.map((s) => s.expectedOf(accepted).at(-1)?.order ?? -1n);
  await eventually(
    () => subs.every((s, i) => (s.lastId ? idKey(s.lastId) : -1n) >= lastWanted[i]),
    30_000,
    'every subscriber caught up',
  ).catch(() => {});
  const results = subs.map((s) => ({ s, ...s.check(accepted) }));
  const stats = await relay.stats();
  for (const s of subs) s.leave();
  await eventually(async () => (await relay.stats()).clients === 0, 30_000, 'every stream closed');
  await eventually(() => fdCount(pid) <= baseline.fds + 2, 10_000, 'descriptors back to baseline').catch(() => {});
  const afterFirst = { fds: fdCount(pid), rssMb: rssMb(pid) };

  // The same subscribers once more, without traffic: memory must be reused, not grown.
  const again = makeSubscribers(relay, subscribers, random(seed + 1), new EventTable());
  await connectAll(again);
  for (const s of again) s.leave();
  await eventually(async () => (await relay.stats()).clients === 0, 30_000, 'second round closed');
  await eventually(() => fdCount(pid) <= baseline.fds + 2, 10_000, 'descriptors back again').catch(() => {});
  const afterSecond = { fds: fdCount(pid), rssMb: rssMb(pid) };

  const problems = results.filter((r) => r.problems.length);
  const byKind = {};
  for (const r of results) {
    const k = (byKind[r.s.kind] ??= { subscribers: 0, sessions: 0, received: 0, resyncs: 0 });
    k.subscribers++;
    k.sessions += r.s.sessions;
    k.received += r.received;
    k.resyncs += r.s.received.filter((e) => e === RESYNC).length;
  }
  return {
    subscribers,
    seconds,
    accepted: accepted.length,
    refusedPublishes: refused,
    lastId,
    connectMs,
    deliveries: results.reduce((n, r) => n + r.received, 0),
    evictions: stats.evictions,
    conflated: stats.conflated,
    byKind,
    baseline,
    peak,
    afterFirst,
    afterSecond,
    problems: problems.slice(0, 5).map((r) => ({ subscriber: r.s.index, kind: r.s.kind, filter: r.s.filter, problems: r.problems.slice(0, 5) })),
    subscribersWithProblems: problems.length,
  };
}

/** The relay settings of a soak: room for everyone, the whole run retained, quick eviction. */
export function soakEnv(subscribers) {
  return {
    RELAY_MAX_CLIENTS: String(subscribers + 100),
    RELAY_HISTORY: '200000',
    RELAY_HISTORY_BYTES: String(512 * 1024 * 1024),
    RELAY_MAX_BODY_BYTES: String(256 * 1024),
    RELAY_MAX_PENDING_BYTES: String(1024 * 1024),
    RELAY_WRITE_TIMEOUT_MS: '2000',
    RELAY_HEARTBEAT_MS: '1000',
    RELAY_LOG_LEVEL: 'warn',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const options = { subscribers: arg('subscribers', 5000), seconds: arg('seconds', 60), rate: arg('rate', 200) };
  const relay = await RelayProcess.start(soakEnv(options.subscribers));
  try {
    const result = await soak(relay, options);
    console.log(JSON.stringify(result, null, 2));
    const exit = await relay.terminate();
    console.log(`relay exit: code ${exit.code} in ${exit.ms} ms`);
    process.exitCode = result.subscribersWithProblems === 0 && exit.code === 0 ? 0 : 1;
  } finally {
    relay.kill();
  }
}
