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
