// Why the proxy should speak HTTP/2 to browsers: ten EventSources in one Chromium page to one
// origin through deploy/nginx.conf. Over HTTPS + HTTP/2 all ten open and stream live events;
// over HTTP/1.1 the browser holds six connections per origin, so four never open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNginx } from './balancer.mjs';
import { launchChromium } from './chromium.mjs';
import { RelayProcess, eventually } from './relay_process.mjs';

let browser;
let relay;
let nginx;

before(async () => {
  relay = await RelayProcess.start({ RELAY_HEARTBEAT_MS: '1000' });
  nginx = await startNginx([relay.port]);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await nginx?.stop();
  relay?.kill();
});

/** Opens `n` EventSources in a page of `origin`; returns how many opened and got `marker`. */
async function tenStreams(origin, marker) {
  // The certificate is the test's own, self-signed for 127.0.0.1.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/healthz`);
    const protocol = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
    await page.evaluate(() => {
      window.opened = 0;
      window.got = 0;
      window.streams = Array.from({ length: 10 }, () => {
        const es = new EventSource('/api/events/stream?types=demo.h2');
        es.addEventListener('connected', () => { window.opened += 1; }, { once: true });
        es.addEventListener('demo.h2', () => { window.got += 1; });
        return es;
      });
    });
    // Wait until no more open (six over HTTP/1.1, ten over HTTP/2), then publish one event.
    let opened = -1;
    for (let stable = 0; stable < 5;) {
      await new Promise((r) => setTimeout(r, 200));
      const now = await page.evaluate(() => window.opened);
      stable = now === opened ? stable + 1 : 0;
      opened = now;
    }
    const res = await relay.publish({ type: 'demo.h2', data: { marker } });
    assert.equal(res.status, 202);
    await eventually(async () => (await page.evaluate(() => window.got)) >= opened, 5_000, 'the open streams got it');
    await new Promise((r) => setTimeout(r, 300));
    const got = await page.evaluate(() => window.got);
    return { protocol, opened, got };
  } finally {
    await context.close();
  }
}

test('HTTPS + HTTP/2 through nginx: ten EventSources to one origin all stream live events', async () => {
  const { protocol, opened, got } = await tenStreams(nginx.tlsBase, 'h2');
  assert.equal(protocol, 'h2');
  assert.equal(opened, 10);
  assert.equal(got, 10);
});

test('plain HTTP/1.1 through nginx: the browser opens six of the ten, the rest wait', async () => {
  const { protocol, opened, got } = await tenStreams(nginx.base, 'h1');
  assert.equal(protocol, 'http/1.1');
  assert.equal(opened, 6);
  assert.equal(got, 6);
});
