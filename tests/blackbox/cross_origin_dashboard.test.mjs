// The dashboard served from another origin than the relay (a second loopback port), in real
// Chromium: it subscribes through CORS with withCredentials, the relay's cookie holding a
// JWT that the page's own site issues; it shows only the workers the token allows, and when
// the token expires (system.sse.reauth) it fetches a new cookie and carries on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { claimsFor, secret, sign } from './jwt_tokens.mjs';
import { launchChromium } from './chromium.mjs';
import { RelayProcess, eventually, freePort } from './relay_process.mjs';

let browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => browser?.close());

const producer = { authorization: 'Bearer producer-token' };
const t = (s) => new Date(Date.UTC(2026, 10, 30, 12, 0, 0) + s * 1000).toISOString();
let n = 0;
const ce = (type, data) => ({ specversion: '1.0', id: `xo-${n++}`, source: '/xo/test', type, data });
const created = (id, region) => ce('CMLWorkerCreatedDomainEvent',
  { worker_id: id, name: id, region, instance_type: 'm5.large', status: 'pending', created_at: t(0) });
const status = (id, st, s) => ce('CMLWorkerStatusUpdatedDomainEvent', { worker_id: id, status: st, updated_at: t(s) });

/** The page's own site: the relay's dashboard files with two meta tags, and the endpoint
 *  that sets the relay's cookie (what a real app's login session would do). */
async function pageSite(port, relay, grant, lifetimeS) {
  const site = { base: `http://127.0.0.1:${port}`, tokens: 0 };
  const server = http.createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/relay-token') {
      site.tokens += 1;
      // Cookies are per host, not per port: the relay on 127.0.0.1 gets it (same site).
      res.writeHead(204, { 'set-cookie': `sse_relay_token=${sign(claimsFor(grant, lifetimeS))}; Path=/; HttpOnly; SameSite=Lax` });
      res.end();
      return;
    }
    const upstream = await fetch(`${relay.base}${req.url}`);
    let body = Buffer.from(await upstream.arrayBuffer());
    if (req.url === '/') {
      body = Buffer.from(body.toString().replace('<head>', `<head>\n<meta name="sse-relay-base" content="${relay.base}">` +
        '\n<meta name="sse-relay-token-url" content="/relay-token">'));
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
    res.end(body);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  site.close = () => new Promise((r) => server.close(r));
  return site;
}

const rows = (page) => page.$$eval('#workers tbody tr', (trs) => trs.map((r) => `${r.dataset.workerId}:${r.dataset.status}`).sort());

test('Chromium: the dashboard on another origin subscribes with a cookie through CORS, shows only allowed workers, recovers after expiry', async () => {
  const sitePort = await freePort();
  const relay = await RelayProcess.start({
    RELAY_JWT_SECRET: secret, RELAY_JWT_LEEWAY_S: '0', RELAY_PUBLISH_TOKEN: 'producer-token',
    RELAY_CORS_ORIGINS: `http://127.0.0.1:${sitePort}`,
  });
  const site = await pageSite(sitePort, relay, { workers: ['w-1', 'w-2'] }, 3);
  const context = await browser.newContext();
  const page = await context.newPage();
  const failures = [];
  page.on('console', (m) => { if (m.type() === 'error') failures.push(m.text()); });
  try {
    assert.equal((await relay.ingest([created('w-1', 'eu-west-1'), created('w-2', 'us-east-1'), created('w-3', 'eu-west-1')], producer)).status, 202);
    await page.goto(`${site.base}/`);
    await eventually(async () => (await rows(page)).join() === 'w-1:pending,w-2:pending', 10_000, 'the two allowed workers');
    assert.equal(site.tokens, 1);

    // Past the token's lifetime: reauth, a new cookie from the site, the stream resumes.
    await eventually(async () => site.tokens >= 2, 10_000, 'a second token after expiry');
    assert.equal((await relay.ingest([status('w-2', 'running', 5), status('w-3', 'running', 5)], producer)).status, 202);
    await eventually(async () => (await rows(page)).join() === 'w-1:pending,w-2:running', 10_000, 'the update after re-auth');
    assert.ok(!(await rows(page)).some((r) => r.startsWith('w-3')), 'w-3 is never shown');
    await eventually(async () => (await page.locator('#realtime').getAttribute('data-status')) === 'connected', 5_000, 'the badge green');
  } finally {
    await context.close();
    await site.close();
    relay.kill();
  }
  assert.deepEqual(failures.filter((f) => !/401|Failed to load resource/.test(f)), [], 'no page errors');
});
