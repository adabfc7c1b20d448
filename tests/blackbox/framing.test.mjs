// SSE framing checked by a spec-following client (npm eventsource, WHATWG parsing rules)
// decoding the relay's real output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { RelayProcess, eventually } from './relay_process.mjs';

let relay;
before(async () => {
  relay = await RelayProcess.start();
});
after(() => relay.kill());

function subscribe(query = '') {
  const es = new EventSource(`${relay.base}/api/events/stream${query}`);
  const received = [];
  const forged = [];
  const opened = new Promise((resolve) => es.addEventListener('connected', resolve, { once: true }));
  for (const type of ['demo.text', 'demo.big']) {
    es.addEventListener(type, (e) => received.push({ type, id: e.lastEventId, data: JSON.parse(e.data) }));
  }
  for (const type of ['evil', 'message', 'injected']) es.addEventListener(type, (e) => forged.push(e));
  return { es, received, forged, opened };
}

const tricky = [
  'line one\nline two',
  'crlf one\r\ncrlf two',
  'cr one\rcr two',
  'ends with newline\n',
  '\n\nid: 666\nevent: evil\ndata: forged\n\n',
  'data: not a field\r\n\r\nevent: injected\r\ndata: x',
  ': looks like a comment',
  'retry: 1',
  'unicode: h\u00e9llo \u4e16\u754c \ud83d\ude80 e\u0301 \u202e',
  '',
  ' leading space',
];

test('payloads with line breaks, field-like text and unicode arrive intact, unforgeable', async () => {
  const sub = subscribe();
  await sub.opened;
  const ids = [];
  for (const text of tricky) {
    const res = await relay.publish({ type: 'demo.text', data: { text } });
    assert.equal(res.status, 202);
    ids.push((await res.json()).id);
  }
  await eventually(() => sub.received.length === tricky.length, 5000, 'all events');
  sub.es.close();
  assert.deepEqual(sub.received.map((e) => e.data.data.text), tricky);
  assert.deepEqual(sub.received.map((e) => e.id), ids);
  assert.deepEqual(sub.received.map((e) => e.data.id), ids);
  assert.equal(sub.forged.length, 0, 'no event may be forged through the payload');
});

test('a 16 KB payload arrives whole', async () => {
  const sub = subscribe('?types=demo.big');
  await sub.opened;
  const big = 'x'.repeat(16 * 1024 - 10) + '\u00e9\n\r\n';
  assert.equal((await relay.publish({ type: 'demo.big', data: { big } })).status, 202);
  await eventually(() => sub.received.length === 1, 5000, 'the big event');
  sub.es.close();
  assert.equal(sub.received[0].data.data.big, big);
});

test('an event type with CR, LF, NUL or spaces is refused and nothing is broadcast', async () => {
  const sub = subscribe();
  await sub.opened;
  const before = (await relay.stats()).events_published;
  for (const type of ['demo\nevent: evil', 'demo\r\n', 'demo\u0000x', 'demo evil', 'system.sse.shutdown']) {
    const res = await relay.publish({ type, data: 1 });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const problem = await res.json();
    assert.equal(problem.type, 'urn:sse-relay:problem:invalid-field');
    assert.equal(problem.pointer, '/type');
  }
  await new Promise((r) => setTimeout(r, 200));
  sub.es.close();
  assert.equal((await relay.stats()).events_published, before);
  assert.equal(sub.forged.length, 0);
  assert.equal(sub.received.length, 0);
});

test('a client that comes back with its last id gets exactly what it missed', async () => {
  const sub = subscribe('?types=demo.text');
  await sub.opened;
  const first = await (await relay.publish({ type: 'demo.text', data: { text: 'a' } })).json();
  await eventually(() => sub.received.length === 1, 5000, 'first event');
  assert.equal(sub.received[0].id, first.id);
  sub.es.close();
  const missed = [];
  for (const text of ['b', 'c']) missed.push((await (await relay.publish({ type: 'demo.text', data: { text } })).json()).id);
  // A new client that starts from the old id replays exactly what it missed.
  const resumed = subscribe(`?types=demo.text&since=${first.id}`);
  await eventually(() => resumed.received.length === 2, 5000, 'replay');
  resumed.es.close();
  assert.deepEqual(resumed.received.map((e) => e.id), missed);
});
