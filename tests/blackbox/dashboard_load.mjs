// Timer lag of the dashboard under telemetry load (issue 27): a 10 ms setInterval in the page
// records how late each tick fires while `rate` telemetry events/s over `workers` workers
// arrive through the relay. A late timer is a main thread busy with our rendering: what a
// user feels as jank. Used by dashboard.test.mjs (goals asserted) and by
// tests/bench/dashboard_lag_ab.mjs (two binaries alternated, before/after).
const t = (s) => new Date(Date.UTC(2026, 10, 24, 12, 0, 0) + s * 1000).toISOString();
let nextId = 1;
const ce = (type, data) => ({ specversion: '1.0', id: `lag-${process.pid}-${nextId++}`, source: '/lag', type, data });

async function post(base, events) {
  const res = await fetch(`${base}/api/domain-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(events),
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** p50/p99/max of the 10 ms timer's lateness (ms) while the load runs; `page` alone in its browser. */
export async function measureTimerLag(browser, base, { workers = 20, rate = 200, seconds = 5 } = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(`${base}/`);
    await page.waitForFunction(() => document.getElementById('realtime').dataset.status === 'connected', null, { timeout: 20_000 });
    const ids = Array.from({ length: workers }, (_, i) => `lag-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < ids.length; i += 100) {
      await post(base, ids.slice(i, i + 100).map((id, j) => ce('CMLWorkerCreatedDomainEvent',
        { worker_id: id, name: `Load ${i + j}`, region: ['eu-west-1', 'us-east-1'][j % 2], instance_type: 'm5.xlarge', status: 'pending', created_at: t(0) })));
      await post(base, ids.slice(i, i + 100).map((id) => ce('CMLWorkerStatusUpdatedDomainEvent', { worker_id: id, status: 'running', updated_at: t(1) })));
    }
    await page.waitForFunction((n) => document.querySelectorAll('#workers tbody tr').length === n, workers, { timeout: 30_000 });
    await page.evaluate(() => {
      window.lags = [];
      let last = performance.now();
      window.lagTimer = setInterval(() => {
        const now = performance.now();
        window.lags.push(now - last - 10);
        last = now;
      }, 10);
    });
    // `rate` events/s in batches every 50 ms, each worker in turn.
    const perBatch = Math.max(1, Math.round(rate / 20));
    const end = Date.now() + seconds * 1000;
    let sent = 0;
    for (let tick = 1; Date.now() < end; tick++) {
      const started = Date.now();
      await post(base, Array.from({ length: perBatch }, (_, j) => {
        const n = tick * perBatch + j;
        return ce('CMLWorkerTelemetryUpdatedDomainEvent', { worker_id: ids[n % ids.length], cpu_percent: (n * 7) % 100,
          memory_percent: (n * 3) % 100, labs_count: n % 4, collected_at: t(10 + tick) });
      }));
      sent += perBatch;
      await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - started))));
    }
    const lags = (await page.evaluate(() => { clearInterval(window.lagTimer); return window.lags; })).slice(5).sort((a, b) => a - b);
    const at = (q) => lags[Math.floor(q * (lags.length - 1))];
    return { p50: at(0.5), p99: at(0.99), max: lags.at(-1), ticks: lags.length, sent, rate: sent / seconds };
  } finally {
    await page.close();
  }
}
