// A client's own Forwarded / X-Forwarded-For never reaches the relay through the shipped
// balancers (deploy/nginx.conf, deploy/haproxy.cfg). The relay believes those headers from
// RELAY_TRUSTED_PROXIES and prefers Forwarded, so a balancer that passed a client's through
// let it pick the address its limits count under: a fresh publish-rate bucket and stream
// quota per request, or another client's address framed into 429s and 503s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { RelayProcess } from './relay_process.mjs';
import { startHaproxy, startNginx } from './balancer.mjs';

let relay;
const balancers = {};
before(async () => {
  relay = await RelayProcess.start({
    RELAY_TRUSTED_PROXIES: '127.0.0.1',
    RELAY_PUBLISH_RATE: '1',
    RELAY_PUBLISH_BURST: '2',
    RELAY_MAX_CLIENTS_PER_IP: '2',
  });
  balancers.nginx = await startNginx([relay.port]);
  balancers.haproxy = await startHaproxy([relay.port]);
});
after(async () => {
  for (const b of Object.values(balancers)) await b.stop();
  relay.kill();
});

// Each request claims to come from somewhere else, in both header spellings.
const forged = (n) => ({
  forwarded: `for=203.0.113.${n}`,
  'x-forwarded-for': `198.51.100.${n}`,
});

for (const name of ['nginx', 'haproxy']) {
  test(`through ${name}: made-up forwarding headers do not open new publish-rate buckets`, async () => {
    const statuses = [];
    for (let n = 1; n <= 4; n++) {
      const res = await fetch(`${balancers[name].base}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...forged(n + (name === 'nginx' ? 0 : 100)) },
        body: JSON.stringify({ type: 'fwd.test', data: { n } }),
      });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    // One client, one bucket of two: the third and fourth are over the rate.
    assert.deepEqual(statuses.slice(0, 2), [202, 202]);
    assert.ok(statuses.slice(2).every((s) => s === 429), `statuses ${statuses}`);
    await new Promise((r) => setTimeout(r, 2100));  // refill for the next case
  });

  test(`through ${name}: made-up forwarding headers do not get past the per-address stream quota`, async () => {
    const requests = [];
    const statuses = [];
    for (let n = 1; n <= 3; n++) {
      const status = await new Promise((resolve, reject) => {
        const req = http.get(`${balancers[name].base}/api/events/stream`, { headers: forged(n + 50) }, (res) => {
          resolve(res.statusCode);
          res.resume();
        });
        req.on('error', reject);
        requests.push(req);
      });
      statuses.push(status);
    }
    for (const req of requests) req.destroy();
    assert.deepEqual(statuses, [200, 200, 503]);
    await new Promise((r) => setTimeout(r, 300));  // the relay notices the closed streams
  });
}
