// Publishing as producers do it: oversize bodies are answered, not reset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RelayProcess } from './relay_process.mjs';

let relay;
before(async () => {
  relay = await RelayProcess.start();
});
after(() => relay.kill());

test('a body far over the limit gets 413 problem+json, not a reset connection', async () => {
  const huge = JSON.stringify({ type: 'demo.huge', data: 'x'.repeat(4 * 1024 * 1024) });
  const res = await relay.publish(huge);
  assert.equal(res.status, 413);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  const problem = await res.json();
  assert.equal(problem.type, 'urn:sse-relay:problem:payload-too-large');
  assert.match(problem.detail, /65536 bytes/);
  assert.equal((await relay.stats()).events_published, 0);
});

test('a keep-alive producer publishes many events on one connection in order', async () => {
  const ids = [];
  for (let n = 0; n < 200; n++) {
    const res = await relay.publish({ type: 'demo.seq', data: { n } });
    assert.equal(res.status, 202);
    ids.push((await res.json()).id);
  }
  const parse = (id) => id.split('-').map(BigInt);
  for (let i = 1; i < ids.length; i++) {
    const [am, as] = parse(ids[i - 1]);
    const [bm, bs] = parse(ids[i]);
    assert.ok(am < bm || (am === bm && as < bs), `${ids[i - 1]} < ${ids[i]}`);
  }
});

test('Idempotency-Key on the embedded log: a retry answers 202 with the original id and is broadcast once', async () => {
  const key = { 'idempotency-key': `embedded-${Date.now()}` };
  const controller = new AbortController();
  const stream = await fetch(`${relay.base}/api/events/stream?types=idem.embedded`, { signal: controller.signal });
  const reader = stream.body.getReader();
  let text = '';
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const res = await relay.publish({ type: 'idem.embedded', data: { try: i } }, key);
    assert.equal(res.status, 202);
    ids.push((await res.json()).id);
  }
  assert.equal(new Set(ids).size, 1);
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline) {
    const { value } = await Promise.race([reader.read(), new Promise((r) => setTimeout(() => r({}), 200))]);
    if (value) text += Buffer.from(value).toString();
  }
  controller.abort();
  const frames = text.split('\n\n').filter((f) => f.includes('event: idem.embedded'));
  assert.equal(frames.length, 1, text);
  assert.ok(frames[0].includes(`id: ${ids[0]}`));
  assert.ok(frames[0].includes('"try":0'), 'the stored event is the first one sent');
  const bad = await relay.publish({ type: 'idem.embedded', data: {} }, { 'idempotency-key': 'two words' });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).type, 'urn:sse-relay:problem:invalid-header');
});
