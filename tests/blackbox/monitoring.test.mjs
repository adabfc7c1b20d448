// deploy/prometheus and deploy/grafana against the real thing: promtool runs the alert rules'
// unit tests, and a real Prometheus (Debian's, started here on loopback) scrapes a real relay
// on Redis under load, loads the alert rules, and evaluates every expression of every panel
// of the Grafana dashboard: each must succeed and return series. The panel list with its
// series counts is printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { RedisProcess } from './redis_process.mjs';
import { RelayProcess, eventually, freePort } from './relay_process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const deploy = path.resolve(here, '../../deploy');
const rulesFile = path.join(deploy, 'prometheus', 'alerts.yml');
const dashboard = JSON.parse(fs.readFileSync(path.join(deploy, 'grafana', 'sse-relay.json'), 'utf8'));

test('promtool: the alert rules are valid and every alert has a unit test that passes', () => {
  execFileSync('promtool', ['check', 'rules', rulesFile], { stdio: 'pipe' });
  const out = execFileSync('promtool', ['test', 'rules', 'alerts_test.yml'], { cwd: path.dirname(rulesFile), encoding: 'utf8' });
  assert.match(out, /SUCCESS/);
  const alerts = parse(fs.readFileSync(rulesFile, 'utf8')).groups.flatMap((g) => g.rules.map((r) => r.alert));
  const tests = parse(fs.readFileSync(path.join(deploy, 'prometheus', 'alerts_test.yml'), 'utf8')).tests;
  const tested = new Set(tests.flatMap((t) => (t.alert_rule_test ?? [])
    .filter((a) => a.exp_alerts?.length > 0).map((a) => a.alertname)));
  for (const alert of alerts) assert.ok(tested.has(alert), `${alert} has a test where it fires`);
  for (const alert of alerts) assert.match(alert, /^SseRelay[A-Z]\w+$/);
});

let redis;
let relay;
let prometheus;
let promBase;
let workDir;
const streams = [];
let publishing;

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-relay-prometheus-'));
  redis = await RedisProcess.start({ fsync: 'everysec' });
  const adminPort = await freePort();
  relay = await RelayProcess.start({ RELAY_BUS: redis.url, RELAY_ADMIN_PORT: String(adminPort), RELAY_DEMO: 'true' });
  await eventually(async () => (await fetch(`${relay.base}/readyz`)).status === 200, 15_000, 'relay ready');
  // Load: subscribers (one with a filter, one resuming from an unknown id: a resync) and a
  // producer publishing generic events beside the demo fleet's domain events.
  for (const url of ['/api/events/stream', '/api/events/stream', '/api/events/stream?types=worker.*']) {
    const controller = new AbortController();
    streams.push(controller);
    fetch(`${relay.base}${url}`, { signal: controller.signal }).then((r) => r.body.pipeTo(new WritableStream())).catch(() => {});
  }
  const resync = new AbortController();
  streams.push(resync);
  fetch(`${relay.base}/api/events/stream`, { signal: resync.signal, headers: { 'last-event-id': '1-0' } })
    .then((r) => r.body.pipeTo(new WritableStream())).catch(() => {});
  let n = 0;
  publishing = setInterval(() => { relay.publish({ type: 'load.tick', data: { n: n++ } }).catch(() => {}); }, 20);

  const promPort = await freePort();
  promBase = `http://127.0.0.1:${promPort}`;
  const config = path.join(workDir, 'prometheus.yml');
  fs.writeFileSync(config, [
    'global:', '  scrape_interval: 1s', '  evaluation_interval: 1s',
    'rule_files:', `  - ${rulesFile}`,
    'scrape_configs:', '  - job_name: sse-relay', '    static_configs:', `      - targets: ["127.0.0.1:${adminPort}"]`, '',
  ].join('\n'));
  prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${path.join(workDir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  prometheus.stderr.on('data', (d) => (stderr += d));
  await eventually(async () => {
    if (prometheus.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
    try { return (await fetch(`${promBase}/-/ready`)).ok; } catch { return false; }
  }, 20_000, 'prometheus ready');
});

after(async () => {
  clearInterval(publishing);
  streams.forEach((c) => c.abort());
  prometheus?.kill('SIGKILL');
  relay?.kill();
  await redis?.remove();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

async function query(expr) {
  const res = await fetch(`${promBase}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = await res.json();
  assert.equal(body.status, 'success', `${expr}: ${body.error}`);
  return body.data.result;
}

/** What Grafana would send: its variables filled as a dashboard at "All" fills them. */
const expand = (expr) => expr.replaceAll('$__rate_interval', '15s').replaceAll('$instance', '.*');

test('a real Prometheus scrapes the relay\'s admin listener and loads the alert rules', async () => {
  await eventually(async () => (await query('up{job="sse-relay"} == 1')).length === 1, 15_000, 'scraped');
  const rules = (await (await fetch(`${promBase}/api/v1/rules`)).json()).data.groups.flatMap((g) => g.rules);
  const alerts = parse(fs.readFileSync(rulesFile, 'utf8')).groups.flatMap((g) => g.rules);
  assert.equal(rules.length, alerts.length, 'every rule loaded');
  for (const rule of rules) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
  // Under this load nothing is wrong: no alert fires.
  const firing = (await (await fetch(`${promBase}/api/v1/alerts`)).json()).data.alerts.filter((a) => a.state === 'firing');
  assert.deepEqual(firing.map((a) => a.labels.alertname), []);
});

test('every panel of the Grafana dashboard evaluates without error and returns series', async () => {
  const targets = dashboard.panels.filter((p) => p.type !== 'row')
    .flatMap((p) => p.targets.map((t) => ({ panel: p.title, refId: t.refId, expr: expand(t.expr) })));
  assert.ok(targets.length >= 30, 'the dashboard covers ingest, delivery, subscribers, bus and process');
  // rate() needs a few samples in its window: wait until the slowest-moving one has them.
  await eventually(async () => (await query(expand('rate(sse_relay_deliveries_total[$__rate_interval])'))).length > 0, 30_000, 'rates');
  await eventually(async () => (await query('sum(rate(sse_relay_ingest_duration_seconds_count[15s])) > 0')).length > 0, 30_000, 'ingest observed');
  const rows = [];
  const empty = [];
  for (const t of targets) {
    const result = await query(t.expr);
    rows.push(`${String(result.length).padStart(3)}  ${t.panel} [${t.refId}]`);
    if (result.length === 0) empty.push(`${t.panel} [${t.refId}]: ${t.expr}`);
  }
  console.log(`dashboard panels evaluated against Prometheus (series per target):\n${rows.join('\n')}`);
  assert.deepEqual(empty, [], 'every target returns series');
  // The variable the panels filter by lists this replica.
  const values = await (await fetch(`${promBase}/api/v1/label/instance/values?match[]=sse_relay_build_info`)).json();
  assert.equal(values.data.length, 1);
});
