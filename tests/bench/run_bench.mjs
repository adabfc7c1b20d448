// `make bench`: the relay and nchan side by side on this machine, in one run.
// Each server runs pinned to CPU 0 and is started fresh for every run; sse-bench runs on
// CPU 1. Every case runs --repeat times (3) and is reported as median (min-max); the
// highest sustained rate is searched once per server. Prints one table and writes
// results.json and results.md under build/bench-results/<time>/ (not committed).
//
//   node tests/bench/run_bench.mjs --relay build/release/sse-relay \
//        --bench build/release/tests/sse-bench [--repeat 3] [--quick] [--only relay]
//        [--tracing-only]   (just the tracing-cost rows, ~1 min)
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const relayBinary = path.resolve(opt('--relay', 'build/release/sse-relay'));
const benchBinary = path.resolve(opt('--bench', 'build/release/tests/sse-bench'));
const repeat = Number(opt('--repeat', args.includes('--quick') ? 1 : 3));
const only = opt('--only', '');
const tracingOnly = args.includes('--tracing-only');
const duration = args.includes('--quick') ? 3 : 5;
const RELAY_PORT = 18181;
const NCHAN_PORT = 18182;

// ---- servers -------------------------------------------------------------------------

async function waitForPort(port, child, what) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${what} did not listen on ${port}`);
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const servers = {
  relay: {
    port: RELAY_PORT,
    // Tracing is off unless a case asks for it (`env`), as it is without an OTLP endpoint.
    async start(env = { OTEL_SDK_DISABLED: 'true' }) {
      const child = spawn('taskset', ['-c', '0', relayBinary, '--host', '127.0.0.1', '--port',
        String(RELAY_PORT), '--max-clients', '19500', '--log-level', 'warn'],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
      await waitForPort(RELAY_PORT, child, 'sse-relay');
      return { pid: child.pid, stop: () => stop(child) };
    },
  },
  nchan: {
    port: NCHAN_PORT,
    async start() {
      const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-bench-nchan-'));
      const conf = fs.readFileSync(path.join(here, 'nchan.conf'), 'utf8')
        .replaceAll('${PREFIX}', prefix).replaceAll('${PORT}', String(NCHAN_PORT));
      fs.writeFileSync(path.join(prefix, 'nginx.conf'), conf);
      const child = spawn('taskset', ['-c', '0', 'nginx', '-p', prefix, '-c',
        path.join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
      await waitForPort(NCHAN_PORT, child, 'nginx (nchan)');
      // taskset execs nginx, so the child is the master; its worker is a child of it.
      return {
        pid: child.pid,
        stop: async () => { await stop(child); fs.rmSync(prefix, { recursive: true, force: true }); },
      };
    },
  },
};

async function runOnce(server, benchArgs, env = undefined) {
  const s = servers[server];
  const handle = await s.start(env);
  try {
    const out = execFileSync('taskset', ['-c', '1', benchBinary, '--target', server, '--port',
      String(s.port), '--server-pid', String(handle.pid), '--json', ...benchArgs],
    { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    return JSON.parse(out.split('\n').pop());
  } catch (e) {
    // sse-bench exits 1 on connect or publish errors but still prints its report.
    const text = e.stdout?.toString().trim();
    if (text) return JSON.parse(text.split('\n').pop());
    throw e;
  } finally {
    await handle.stop();
  }
}

// ---- cases ---------------------------------------------------------------------------

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const spread = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

// Each case names the figure that compares the two servers; `better` says which way wins.
const cases = [
  { id: 'closed_loop_1k', title: '1,000 subscribers, closed loop (next event when all got the last)',
    args: ['--subscribers', '1000', '--window', '1', '--until', 'delivered', '--duration', String(duration)],
    metric: 'deliveries_per_s', unit: 'deliveries/s', better: 'higher' },
  { id: 'rate_1k_70', title: '1,000 subscribers at 70 events/s (what nchan sustains)',
    args: ['--subscribers', '1000', '--rate', '70', '--duration', String(duration)],
    metric: 'server_us_per_delivery', unit: 'server us/delivery', better: 'lower', also: ['p99'] },
  { id: 'rate_10k_7', title: '10,000 subscribers at 7 events/s (what nchan sustains)',
    args: ['--subscribers', '10000', '--rate', '7', '--duration', String(duration)],
    metric: 'server_us_per_delivery', unit: 'server us/delivery', better: 'lower', also: ['p99'] },
  { id: 'target_1k_1000', title: 'target: 1,000 subscribers at 1,000 events/s (p99 <= 20 ms)',
    args: ['--subscribers', '1000', '--rate', '1000', '--duration', String(duration)],
    metric: 'deliveries_per_s', unit: 'deliveries/s', better: 'higher', also: ['p99', 'sustained'] },
  { id: 'target_10k_100', title: 'target: 10,000 subscribers at 100 events/s (p99 <= 100 ms)',
    args: ['--subscribers', '10000', '--rate', '100', '--duration', String(duration)],
    metric: 'deliveries_per_s', unit: 'deliveries/s', better: 'higher', also: ['p99', 'sustained'] },
  { id: 'idle_10k', title: 'memory: 10,000 idle subscribers',
    args: ['--subscribers', '10000', '--duration', '0', '--hold', '2'],
    metric: 'rss_per_subscriber', unit: 'bytes RSS/subscriber', better: 'lower' },
  { id: 'stalled_base', title: '1,000 subscribers, none stalled (baseline of the next row)',
    rate: { relay: 300, nchan: 50 },
    args: ['--subscribers', '1000', '--duration', String(duration)],
    metric: 'deliveries_per_s', unit: 'deliveries/s', better: 'higher', also: ['p99'] },
  { id: 'stalled_10', title: '1,000 subscribers + 10 that never read (same rate)',
    rate: { relay: 300, nchan: 50 },
    args: ['--subscribers', '1000', '--stalled', '10', '--duration', String(duration)],
    metric: 'deliveries_per_s', unit: 'deliveries/s', better: 'higher', also: ['p99'] },
];
const relayOnly = [
  // The fixed rates the hot path's latency is judged by (issue 24): p50 and p99 per run, so
  // the next drift shows here. nchan does not sustain these rates (see max_rate_1k).
  { id: 'latency_1k_500', title: 'latency: 1,000 subscribers at 500 events/s',
    args: ['--subscribers', '1000', '--rate', '500', '--duration', String(duration)],
    metric: 'p50', unit: 'p50 latency ms', better: 'lower', also: ['p99', 'sustained'] },
  { id: 'latency_1k_1000', title: 'latency: 1,000 subscribers at 1,000 events/s',
    args: ['--subscribers', '1000', '--rate', '1000', '--duration', String(duration)],
    metric: 'p50', unit: 'p50 latency ms', better: 'lower', also: ['p99', 'sustained'] },
  { id: 'idle_19k', title: 'capacity: 19,000 idle subscribers on one process (fd limit 20,000)',
    args: ['--subscribers', '19000', '--duration', '0', '--hold', '2'],
    metric: 'rss_per_subscriber', unit: 'bytes RSS/subscriber', better: 'lower' },
];

// The cost of tracing: the same closed loop with every span exported to a healthy
// collector (a sink answering 200 at once) and with OTEL_SDK_DISABLED=true, alternated run
// by run so drift in this VM hits both alike. 100 subscribers make events, and so spans
// (ingest + broadcast per publish), as frequent as the relay can make them. Closed-loop
// throughput moves +-20 % run to run here, more than tracing costs, so the same pair also
// runs at a fixed 500 events/s and reports the server's CPU per delivery, which is steadier.
const tracingArgs = {
  closed: ['--subscribers', '100', '--window', '1', '--until', 'delivered', '--duration', String(duration)],
  fixed: ['--subscribers', '100', '--rate', '500', '--duration', String(duration)],
};
const tracingRepeat = Math.max(repeat, 5);

async function startCollectorSink() {
  const sink = { requests: 0, bytes: 0 };
  sink.server = http.createServer((req, res) => {
    req.on('data', (c) => (sink.bytes += c.length));
    req.on('end', () => {
      sink.requests += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  sink.server.listen(0, '127.0.0.1');
  await new Promise((resolve) => sink.server.once('listening', resolve));
  sink.endpoint = `http://127.0.0.1:${sink.server.address().port}`;
  return sink;
}

async function runTracingCost() {
  const sink = await startCollectorSink();
  const runs = { closed: { off: [], on: [] }, fixed: { off: [], on: [] } };
  try {
    for (let i = 0; i < tracingRepeat; i++) {
      for (const kind of ['closed', 'fixed']) {
        for (const mode of ['off', 'on']) {
          const env = mode === 'on'
            ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, OTEL_TRACES_SAMPLER: 'always_on' }
            : { OTEL_SDK_DISABLED: 'true' };
          const r = await runOnce('relay', [...tracingArgs[kind], '--label', `tracing_${kind}_${mode}/${i + 1}`], env);
          runs[kind][mode].push(r);
          process.stderr.write(`  tracing ${kind} ${mode} #${i + 1}: deliveries/s=${r.deliveries_per_s}` +
            ` us/delivery=${r.server_us_per_delivery} p99=${r.latency_ms.p99}ms server_cpu=${r.server_cpu_pct}%` +
            ` (collector got ${sink.requests} requests, ${sink.bytes} bytes so far)\n`);
        }
      }
    }
  } finally {
    sink.server.close();
  }
  const summarize = (rs) => ({ runs: rs, value: spread(rs.map((r) => r.deliveries_per_s)),
    us: spread(rs.map((r) => r.server_us_per_delivery)), p99: spread(rs.map((r) => r.latency_ms.p99)) });
  return { off: summarize(runs.closed.off), on: summarize(runs.closed.on),
    fixed_off: summarize(runs.fixed.off), fixed_on: summarize(runs.fixed.on),
    collector_requests: sink.requests, collector_bytes: sink.bytes };
}

const figure = (r, metric) => (metric === 'p99' || metric === 'p50' ? r.latency_ms[metric] : r[metric]);

async function runCase(c, server) {
  const extra = c.rate ? ['--rate', String(c.rate[server])] : [];
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    const r = await runOnce(server, [...c.args, ...extra, '--label', `${c.id}/${server}/${i + 1}`]);
    runs.push(r);
    process.stderr.write(`  ${c.id} ${server} #${i + 1}: ${c.metric}=${figure(r, c.metric)}` +
      ` p99=${r.latency_ms.p99}ms missing=${r.missing} sustained=${r.sustained}` +
      ` server_cpu=${r.server_cpu_pct}% client_cpu=${r.client_cpu_pct}%\n`);
  }
  const summary = { runs, value: spread(runs.map((r) => figure(r, c.metric))) };
  for (const m of c.also ?? []) {
    summary[m] = m === 'sustained' ? runs.filter((r) => r.sustained).length + `/${runs.length}`
      : spread(runs.map((r) => figure(r, m)));
  }
  return summary;
}

// The highest fixed rate a server sustains to 1,000 subscribers: geometric steps up to
// the first failure, then bisection between the last success and it.
async function searchMaxRate(server, start) {
  const probes = [];
  const probe = async (rate) => {
    const r = await runOnce(server, ['--subscribers', '1000', '--rate', String(rate), '--duration',
      String(duration), '--label', `max_rate/${server}/${rate}`]);
    probes.push({ rate, sustained: r.sustained, p99: r.latency_ms.p99, cpu: r.server_cpu_pct });
    process.stderr.write(`  max_rate ${server} ${rate}/s: sustained=${r.sustained} p99=${r.latency_ms.p99}ms` +
      ` missing=${r.missing} lag_p99=${r.publish_lag_p99_ms}ms server_cpu=${r.server_cpu_pct}%\n`);
    return r.sustained;
  };
  let good = 0;
  let bad = 0;
  for (let rate = start; rate < 100_000; rate = Math.round(rate * 1.5)) {
    if (await probe(rate)) good = rate; else { bad = rate; break; }
  }
  for (let i = 0; i < 3 && bad && bad - good > Math.max(5, good * 0.05); i++) {
    const mid = Math.round((good + bad) / 2);
    if (await probe(mid)) good = mid; else bad = mid;
  }
  return { value: good, probes };
}

// ---- report --------------------------------------------------------------------------

const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : Number(x.toFixed(2)).toString());
const cell = (s) => (s ? `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})` : '-');

function ratio(c, relay, nchan) {
  if (!relay || !nchan || !nchan.median || !relay.median) return '-';
  const r = c.better === 'higher' ? relay.median / nchan.median : nchan.median / relay.median;
  return `${r.toFixed(1)}x`;
}

async function main() {
  for (const bin of [relayBinary, benchBinary]) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} not built (make bench builds it)`);
  }
  const which = only ? [only] : ['relay', 'nchan'];
  const started = new Date();
  const results = { date: started.toISOString(), machine: `${os.cpus().length} x ${os.cpus()[0]?.model}`,
    kernel: os.release(), repeat, duration_s: duration, cases: {} };
  for (const c of tracingOnly ? [] : [...cases, ...relayOnly]) {
    const servers_ = relayOnly.includes(c) ? which.filter((s) => s === 'relay') : which;
    results.cases[c.id] = { title: c.title, unit: c.unit, better: c.better };
    for (const s of servers_) {
      process.stderr.write(`${c.title} - ${s}\n`);
      results.cases[c.id][s] = await runCase(c, s);
    }
  }
  if (which.includes('relay')) {
    process.stderr.write('tracing cost - relay\n');
    results.tracing = await runTracingCost();
  }
  results.cases.max_rate_1k = { title: 'highest sustained rate to 1,000 subscribers', unit: 'events/s', better: 'higher' };
  for (const s of tracingOnly ? [] : which) {
    process.stderr.write(`max rate - ${s}\n`);
    const found = await searchMaxRate(s, s === 'relay' ? 200 : 40);
    results.cases.max_rate_1k[s] = { value: { median: found.value, min: found.value, max: found.value }, probes: found.probes };
  }

  const lines = [];
  lines.push(`sse-bench, ${results.date}, ${results.machine}, kernel ${results.kernel}`);
  lines.push(`servers pinned to CPU 0, sse-bench to CPU 1; each case ${repeat}x: median (min-max)`);
  lines.push('');
  lines.push('| case | figure | sse-relay | nchan | relay vs nchan |');
  lines.push('|---|---|---|---|---|');
  for (const [id, c] of Object.entries(results.cases)) {
    lines.push(`| ${c.title} | ${c.unit} | ${cell(c.relay?.value)} | ${cell(c.nchan?.value)} | ${ratio(c, c.relay?.value, c.nchan?.value)} |`);
    if (c.relay?.p99 || c.nchan?.p99) {
      lines.push(`| | p99 latency ms | ${cell(c.relay?.p99)} | ${cell(c.nchan?.p99)} | ${ratio({ better: 'lower' }, c.relay?.p99, c.nchan?.p99)} |`);
    }
    if (c.relay?.sustained || c.nchan?.sustained) {
      lines.push(`| | runs sustained | ${c.relay?.sustained ?? '-'} | ${c.nchan?.sustained ?? '-'} | |`);
    }
    void id;
  }
  const stalledChange = (s) => {
    const base = results.cases.stalled_base?.[s];
    const with10 = results.cases.stalled_10?.[s];
    if (!base || !with10) return null;
    const pct = (a, b) => (100 * (b - a) / a).toFixed(1);
    return `${s}: deliveries/s ${pct(base.value.median, with10.value.median)} %, p99 ${pct(base.p99.median, with10.p99.median)} %`;
  };
  lines.push('');
  lines.push(`10 stalled subscribers change the others by: ${which.map(stalledChange).filter(Boolean).join('; ')}`);
  if (results.tracing) {
    const { off, on, fixed_off: fOff, fixed_on: fOn } = results.tracing;
    const cost = (100 * (off.value.median - on.value.median) / off.value.median).toFixed(1);
    const cpu = (100 * (fOn.us.median - fOff.us.median) / fOff.us.median).toFixed(1);
    lines.push('');
    lines.push(`| tracing cost, 100 subscribers, ${tracingRepeat}x alternated | closed loop deliveries/s | p99 ms | at 500 events/s: server us/delivery | p99 ms |`);
    lines.push('|---|---|---|---|---|');
    lines.push(`| OTEL_SDK_DISABLED=true | ${cell(off.value)} | ${cell(off.p99)} | ${cell(fOff.us)} | ${cell(fOff.p99)} |`);
    lines.push(`| tracing on, always_on, healthy collector | ${cell(on.value)} | ${cell(on.p99)} | ${cell(fOn.us)} | ${cell(fOn.p99)} |`);
    lines.push(`tracing on: ${cost} % fewer deliveries/s in the closed loop (goal <= 5 %), ${cpu} % more ` +
      `server CPU per delivery at a fixed rate; the collector received ${results.tracing.collector_requests} ` +
      `export requests, ${results.tracing.collector_bytes} bytes`);
  }
  const table = lines.join('\n');
  console.log(table);

  const dir = path.join(here, '../../build/bench-results', started.toISOString().replace(/[:.]/g, '-'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2));
  fs.writeFileSync(path.join(dir, 'results.md'), table + '\n');
  console.log(`\nwritten: ${path.relative(process.cwd(), dir)}/results.{json,md}`);
}

main().catch((e) => {
  console.error(`bench failed: ${e.message}`);
  process.exit(1);
});
