// The live workers dashboard at /. State is the REST snapshot (GET /api/workers) moved
// forward by SSE events. The relay's fold is the only fold: every worker payload carries the
// aggregate's version and updated_at after the event, and the page applies them, so after a
// replay with conflated metrics the table still equals the snapshot.
// Rendering happens once per batch of events (sse-client delivers a batch per frame).
import { SseClient } from '/sse-client.js';

const $ = (id) => document.getElementById(id);
const time = (iso) => (iso ? Date.parse(iso) : 0);
const tbody = $('workers').querySelector('tbody');
const workers = new Map(); // worker_id -> W (the read model's shape)
const dirty = new Set();
let renderQueued = false;
let drawerWorker = null;
let drawerOpener = null; // focus goes back here when the drawer closes


// ---- the model ---------------------------------------------------------------------------

function replaceAll(list) {
  const seen = new Set();
  for (const w of list) {
    const copy = structuredClone(w);
    copy.telemetryAt = workers.get(w.worker_id)?.telemetryAt ?? (w.metrics ? Date.now() : undefined);
    workers.set(w.worker_id, copy);
    seen.add(w.worker_id);
    dirty.add(w.worker_id);
  }
  for (const id of [...workers.keys()]) {
    if (!seen.has(id)) {
      workers.delete(id);
      dirty.add(id);
    }
  }
  scheduleRender();
}

// The aggregate after the event, as the relay folded it.
function stamp(w, d) {
  w.updated_at = d.updated_at;
  w.version = d.version;
  dirty.add(w.worker_id);
}

const trendPoints = 120; // two minutes at the demo's one sample a second

const fold = {
  'worker.created'(d) {
    workers.set(d.worker_id, { worker_id: d.worker_id, name: d.name, region: d.region,
      instance_type: d.instance_type, status: d.status, created_at: d.created_at,
      updated_at: d.updated_at, metrics: null, labs: [], version: d.version, fresh: true });
    dirty.add(d.worker_id);
    toast(`${d.name || d.worker_id} created in ${d.region}`);
  },
  'worker.status.updated'(d, w) {
    w.status = d.status;
    if (d.status === 'terminated') w.terminated_at = d.updated_at;
    stamp(w, d);
    if (['running', 'stopped', 'terminated'].includes(d.status)) toast(`${w.name || w.worker_id}: ${d.previous_status} → ${d.status}`);
  },
  'worker.metrics.updated'(d, w) {
    w.metrics = { cpu_percent: d.cpu_percent, memory_percent: d.memory_percent, labs_count: d.labs_count, collected_at: d.collected_at };
    w.telemetryAt = Date.now(); // when it arrived here: producers' clocks are theirs
    // The trend: one point per telemetry event received, the last `trendPoints` of them.
    (w.trend ??= []).push([d.cpu_percent, d.memory_percent]);
    if (w.trend.length > trendPoints) w.trend.shift();
    w.trendVersion = (w.trendVersion ?? 0) + 1;
    stamp(w, d);
  },
  'worker.labs.updated'(d, w) {
    w.labs = d.labs;
    stamp(w, d);
  },
  'worker.terminated'(d, w) {
    w.status = 'terminated';
    w.terminated_at = d.terminated_at;
    stamp(w, d);
    toast(`${w.name || w.worker_id} terminated${d.reason ? `: ${d.reason}` : ''}`);
  },
};

// ---- rendering ---------------------------------------------------------------------------
// At a fleet's rate (1,000 telemetry events/s over 500 workers) the page must stay smooth:
// render once per batch (sse-client hands over one batch per animation frame), find rows by
// id without querying the DOM, write a cell only when its text or value changed, and let
// the fixed table layout keep one cell's change from reflowing the whole table.

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  // Handlers of one batch run together; render once right after them.
  queueMicrotask(() => {
    renderQueued = false;
    render();
  });
}

const rows = new Map(); // worker_id -> { tr, refs..., shown: {field: last written value} }

function meter(label) {
  const wrap = document.createElement('div');
  wrap.className = 'meter';
  wrap.setAttribute('role', 'meter');
  wrap.setAttribute('aria-valuemin', '0');
  wrap.setAttribute('aria-valuemax', '100');
  wrap.setAttribute('aria-label', label);
  wrap.innerHTML = '<div class="track"><div class="fill"></div></div><span class="value">–</span>';
  return { wrap, fill: wrap.querySelector('.fill'), value: wrap.querySelector('.value'), shown: undefined };
}

function setMeter(m, value) {
  const known = typeof value === 'number';
  if (m.shown === (known ? value : null)) return;
  m.shown = known ? value : null;
  // A transform, not a width: no layout, and the compositor can draw it.
  m.fill.style.transform = `scaleX(${known ? Math.max(0, Math.min(100, value)) / 100 : 0})`;
  m.value.textContent = known ? `${Math.round(value)}%` : '–';
  // Thresholds: 72 % must not look like 8 %.
  m.wrap.dataset.level = !known ? 'none' : value >= 90 ? 'critical' : value >= 70 ? 'warning' : 'normal';
  if (known) m.wrap.setAttribute('aria-valuenow', String(value));
  else m.wrap.removeAttribute('aria-valuenow');
}

/** Writes `value` into `key` of a row's shown state and calls `write` only when it changed. */
function put(row, key, value, write) {
  if (row.shown[key] === value) return;
  row.shown[key] = value;
  write(value);
}

function newRow(w) {
  const tr = document.createElement('tr');
  tr.dataset.workerId = w.worker_id;
  tr.innerHTML = `
    <th scope="row" data-field="name"><span class="name"></span><span class="sub"></span></th>
    <td data-field="status" data-label="Status"><span class="status"></span></td>
    <td data-field="cpu" data-label="CPU"></td>
    <td data-field="memory" data-label="Memory"></td>
    <td data-field="labs" data-label="Labs"><button type="button" class="labs"></button></td>
    <td data-field="updated" data-label="Updated" class="age"></td>`;
  const cell = (field) => tr.querySelector(`[data-field="${field}"]`);
  const row = {
    tr,
    name: cell('name').querySelector('.name'),
    sub: cell('name').querySelector('.sub'),
    badge: cell('status').querySelector('.status'),
    cpu: meter(`CPU of ${w.worker_id}`),
    memory: meter(`Memory of ${w.worker_id}`),
    labs: cell('labs').querySelector('button'),
    age: cell('updated'),
    shown: {},
  };
  cell('cpu').append(row.cpu.wrap);
  cell('memory').append(row.memory.wrap);
  // The CPU (solid) and memory (dashed) trend, drawn at most once a second for rows on screen.
  const svgNs = 'http://www.w3.org/2000/svg';
  row.spark = document.createElementNS(svgNs, 'svg');
  row.spark.setAttribute('class', 'spark');
  row.spark.setAttribute('viewBox', '0 0 120 20');
  row.spark.setAttribute('preserveAspectRatio', 'none');
  row.spark.setAttribute('aria-hidden', 'true');
  row.sparkCpu = document.createElementNS(svgNs, 'polyline');
  row.sparkCpu.setAttribute('class', 'cpu');
  row.sparkMem = document.createElementNS(svgNs, 'polyline');
  row.sparkMem.setAttribute('class', 'mem');
  row.spark.append(row.sparkCpu, row.sparkMem);
  cell('cpu').append(row.spark);
  row.labs.addEventListener('click', () => openDrawer(w.worker_id));
  rows.set(w.worker_id, row);
  tr.row = row;
  onScreen?.observe(tr);
  return row;
}

function render() {
  for (const id of dirty) {
    const w = workers.get(id);
    let row = rows.get(id);
    if (!w) {
      if (row) {
        onScreen?.unobserve(row.tr);
        visible.delete(row);
        row.tr.remove();
      }
      rows.delete(id);
      continue;
    }
    if (!row) {
      row = newRow(w);
      if (w.fresh) row.tr.classList.add('new');
      // Keep the table in creation order whatever order rows arrive in (the common case,
      // a newer worker, goes last without a scan).
      const lastRow = tbody.lastElementChild;
      const after = !lastRow || workers.get(lastRow.dataset.workerId)?.created_at <= w.created_at
        ? null
        : [...tbody.children].find((r) => workers.get(r.dataset.workerId)?.created_at > w.created_at);
      tbody.insertBefore(row.tr, after ?? null);
    }
    delete w.fresh;
    const tr = row.tr;
    put(row, 'status', w.status, (v) => {
      tr.dataset.status = v;
      tr.classList.toggle('terminated', v === 'terminated');
      row.badge.textContent = v;
      row.badge.dataset.status = v;
    });
    put(row, 'version', w.version, (v) => { tr.dataset.version = String(v); });
    put(row, 'updatedAt', w.updated_at ?? '', (v) => { tr.dataset.updatedAt = v; });
    put(row, 'name', w.name || w.worker_id, (v) => { row.name.textContent = v; });
    put(row, 'sub', `${w.worker_id} · ${w.region} · ${w.instance_type}`, (v) => { row.sub.textContent = v; });
    setMeter(row.cpu, w.metrics?.cpu_percent);
    setMeter(row.memory, w.metrics?.memory_percent);
    // Telemetry reports how many labs run; the synced list may be older (or not yet there).
    const labs = w.metrics ? w.metrics.labs_count : (w.labs?.length ?? 0);
    put(row, 'labs', `${labs}|${w.name || w.worker_id}`, () => {
      row.labs.textContent = `${labs} lab${labs === 1 ? '' : 's'}`;
      row.labs.setAttribute('aria-label', `${labs} labs on ${w.name || w.worker_id}: show details`);
    });
    if (drawerWorker === id) fillDrawer(w);
  }
  dirty.clear();
  $('worker-count').textContent = String(workers.size);
  applyFinder();
  $('empty').hidden = workers.size > 0;
  flushLog();
}

// ---- finding a worker --------------------------------------------------------------------
// Search (id or name), status and region filters, hide terminated, counts per status, and a
// sort by column. Filtering hides rows (no DOM churn); a sort by a moving figure (CPU, age)
// reorders at most once a second, not at every telemetry event.
const finder = { text: '', status: '', region: '', hideTerminated: false };
let sortBy = null; // { key, dir: 1 | -1 }
let resortDue = false;
const statusOrder = ['pending', 'provisioning', 'running', 'stopping', 'stopped', 'terminated'];

function shows(w) {
  if (finder.hideTerminated && w.status === 'terminated') return false;
  if (finder.status && w.status !== finder.status) return false;
  if (finder.region && w.region !== finder.region) return false;
  if (finder.text) {
    const t = finder.text;
    if (!w.worker_id.toLowerCase().includes(t) && !(w.name ?? '').toLowerCase().includes(t)) return false;
  }
  return true;
}

let countsText = '';
function applyFinder() {
  const counts = new Map();
  const regions = new Set();
  for (const w of workers.values()) {
    counts.set(w.status, (counts.get(w.status) ?? 0) + 1);
    regions.add(w.region);
    const row = rows.get(w.worker_id);
    if (row) {
      const hidden = !shows(w);
      if (row.shown.hidden !== hidden) {
        row.shown.hidden = hidden;
        row.tr.hidden = hidden;
      }
    }
  }
  const text = statusOrder.filter((s) => counts.get(s)).map((s) => `${counts.get(s)} ${s}`).join(' · ');
  if (text !== countsText) {
    countsText = text;
    $('status-counts').textContent = text;
  }
  const select = $('find-region');
  if (select.options.length - 1 !== regions.size) {
    const current = select.value;
    select.replaceChildren(new Option('any', ''), ...[...regions].sort().map((r) => new Option(r, r)));
    select.value = current;
  }
  if (sortBy) resortDue = true;
}

function sortValue(w, key) {
  switch (key) {
    case 'name': return (w.name || w.worker_id).toLowerCase();
    case 'status': return statusOrder.indexOf(w.status);
    case 'cpu': return w.metrics?.cpu_percent ?? -1;
    case 'memory': return w.metrics?.memory_percent ?? -1;
    case 'updated': return time(w.updated_at);
    default: return 0;
  }
}

function resort() {
  resortDue = false;
  if (!sortBy) return;
  const ordered = [...rows.values()].map((row) => ({ row, w: workers.get(row.tr.dataset.workerId) }))
    .filter((x) => x.w)
    .sort((a, b) => {
      const x = sortValue(a.w, sortBy.key);
      const y = sortValue(b.w, sortBy.key);
      return (x < y ? -1 : x > y ? 1 : a.w.worker_id.localeCompare(b.w.worker_id)) * sortBy.dir;
    });
  // Only rows out of place move.
  let expected = tbody.firstElementChild;
  for (const { row } of ordered) {
    if (row.tr === expected) expected = expected.nextElementSibling;
    else tbody.insertBefore(row.tr, expected);
  }
}

for (const button of document.querySelectorAll('button.sort')) {
  button.addEventListener('click', () => {
    const key = button.dataset.sort;
    sortBy = sortBy?.key === key ? { key, dir: -sortBy.dir } : { key, dir: key === 'cpu' || key === 'memory' || key === 'updated' ? -1 : 1 };
    for (const th of document.querySelectorAll('#workers thead th[aria-sort]')) {
      th.setAttribute('aria-sort', th.querySelector('button').dataset.sort === key ? (sortBy.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
    resort();
  });
}
$('find-text').addEventListener('input', (e) => { finder.text = e.target.value.trim().toLowerCase(); applyFinder(); });
$('find-status').addEventListener('change', (e) => { finder.status = e.target.value; applyFinder(); });
$('find-region').addEventListener('change', (e) => { finder.region = e.target.value; applyFinder(); });
$('hide-terminated').addEventListener('change', (e) => { finder.hideTerminated = e.target.checked; applyFinder(); });

// Live: a stream is connected. Anything else (reconnecting, polling, error, paused) shows the
// last data as stale, with its age: a table that only looks live is worse than none.
let notLiveSince = null;

function renderStale() {
  const stale = notLiveSince !== null;
  $('workers').classList.toggle('stale', stale);
  const note = $('stale-note');
  note.hidden = !stale;
  if (stale) {
    const s = Math.max(0, Math.round((Date.now() - notLiveSince) / 1000));
    note.textContent = `Not live: showing data as of ${new Date(notLiveSince).toLocaleTimeString()} (${s}s ago).`;
  }
}

// Ages change every second for every row: only the rows on screen are written (500 cells a
// second was a layout pass long enough to be felt); a row coming into view gets its age then.
const visible = new Set();
const onScreen = globalThis.IntersectionObserver
  ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        visible.add(entry.target.row);
        writeAge(entry.target.row, Date.now());
      } else {
        visible.delete(entry.target.row);
      }
    }
  })
  : null;

// A running worker whose telemetry stopped is marked (its meters show old figures).
const telemetryStaleMs = Number(new URLSearchParams(location.search).get('telemetry_stale_ms')) || 30_000;

function writeSpark(row, w) {
  const version = w?.trendVersion ?? 0;
  if (row.shown.trend === version) return;
  row.shown.trend = version;
  const points = w?.trend ?? [];
  const step = 120 / Math.max(1, trendPoints - 1);
  const line = (k) => points.map((p, i) => `${(i * step).toFixed(1)},${(20 - Math.max(0, Math.min(100, p[k])) / 5).toFixed(1)}`).join(' ');
  row.sparkCpu.setAttribute('points', line(0));
  row.sparkMem.setAttribute('points', line(1));
  row.spark.dataset.points = String(points.length);
}

function writeAge(row, now) {
  const w = workers.get(row.tr.dataset.workerId);
  writeSpark(row, w);
  const silent = w?.status === 'running' && now - (w.telemetryAt ?? now) > telemetryStaleMs;
  if (row.shown.silent !== silent) {
    row.shown.silent = silent;
    row.tr.classList.toggle('telemetry-stale', silent);
    row.cpu.wrap.title = silent ? 'no telemetry lately: these figures are old' : '';
  }
  const at = time(row.shown.updatedAt);
  const s = at ? Math.max(0, Math.round((now - at) / 1000)) : null;
  const text = s === null ? '–' : s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
  if (row.shown.age !== text) {
    row.shown.age = text;
    row.age.textContent = text;
  }
}

function renderAges() {
  renderStale();
  if (resortDue) resort();
  const now = Date.now();
  for (const row of onScreen ? visible : rows.values()) {
    if (!rows.has(row.tr.dataset.workerId)) {
      visible.delete(row);
      continue;
    }
    writeAge(row, now);
  }
}

setInterval(renderAges, 1000);

function openDrawer(id) {
  drawerOpener = document.activeElement;
  drawerWorker = id;
  fillDrawer(workers.get(id));
  $('drawer').hidden = false;
  $('drawer-close').focus();
}

function fillDrawer(w) {
  $('drawer-title').textContent = `Labs on ${w?.name || w?.worker_id || ''}`;
  const list = $('drawer-labs');
  list.replaceChildren();
  for (const lab of w?.labs ?? []) {
    const li = document.createElement('li');
    li.textContent = `${lab.title} — ${lab.state}, ${lab.node_count} node${lab.node_count === 1 ? '' : 's'}`;
    list.append(li);
  }
  if (!list.children.length) list.innerHTML = '<li>No labs.</li>';
}

$('drawer-close').addEventListener('click', () => {
  $('drawer').hidden = true;
  drawerWorker = null;
  drawerOpener?.focus();
  drawerOpener = null;
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !$('drawer').hidden) $('drawer-close').click();
});

function toast(text) {
  const box = $('toasts');
  const t = document.createElement('div');
  t.className = 'toast';
  t.textContent = text;
  box.append(t);
  while (box.children.length > 4) box.firstChild.remove();
  setTimeout(() => t.remove(), 4000);
}

// The live log: entries of a batch go in together with the render, at most the 100 newest
// (at 1,000 events/s the rest would be written only to be dropped), one formatted time per
// second instead of one locale lookup per event.
const pendingLog = [];
let clockSecond = -1;
let clockText = '';
function clockNow() {
  const second = Math.floor(Date.now() / 1000);
  if (second !== clockSecond) {
    clockSecond = second;
    clockText = new Date(second * 1000).toLocaleTimeString();
  }
  return clockText;
}

let logFlushAt = 0;
const logFlushMs = 250; // a person reads a log line in far longer than a frame

// "1796675213127-3" reads as "#…213127-3": the tail that tells neighbours apart.
const shortId = (id) => (id.length > 10 ? `…${id.slice(-Math.min(id.length, 8))}` : id);
const logKinds = {
  all: () => true,
  lifecycle: (type) => type.startsWith('worker.') && type !== 'worker.metrics.updated',
  telemetry: (type) => type === 'worker.metrics.updated',
  relay: (type) => !type.startsWith('worker.'),
};
let logPaused = false;

function logEvent(event, data) {
  if (logPaused || !logKinds[$('log-filter').value]?.(event.type)) return;
  pendingLog.push(`${clockNow()} ${event.type}${data?.worker_id ? ` ${data.worker_id}` : ''}${event.id ? ` #${shortId(event.id)}` : ''}`);
  if (pendingLog.length > 100) pendingLog.splice(0, pendingLog.length - 100);
  scheduleRender();
}

function flushLog() {
  if (!pendingLog.length) return;
  // At most four log updates a second: each one lays the list out again.
  const now = performance.now();
  if (now < logFlushAt) {
    setTimeout(scheduleRender, logFlushAt - now);
    return;
  }
  logFlushAt = now + logFlushMs;
  const list = $('event-log');
  const fragment = document.createDocumentFragment();
  for (let i = pendingLog.length - 1; i >= 0; i--) {
    const li = document.createElement('li');
    li.textContent = pendingLog[i];
    fragment.append(li);
  }
  pendingLog.length = 0;
  list.prepend(fragment);
  while (list.children.length > 100) list.lastChild.remove();
}

$('log-pause').addEventListener('click', (e) => {
  logPaused = !logPaused;
  e.currentTarget.setAttribute('aria-pressed', String(logPaused));
  e.currentTarget.textContent = logPaused ? 'Resume' : 'Pause';
});
$('log-filter').addEventListener('change', () => $('event-log').replaceChildren());

function banner(text) {
  const b = $('banner');
  b.textContent = text;
  b.hidden = !text;
}

// ---- wiring ------------------------------------------------------------------------------

// Tuning from the page's query, e.g. /?poll_ms=1000&failures=2 (tests, slow networks).
const query = new URLSearchParams(location.search);
const tuning = Object.fromEntries(Object.entries({
  pollIntervalMs: query.get('poll_ms'),
  sseRetryWhilePollingMs: query.get('sse_retry_ms'),
  failuresBeforePolling: query.get('failures'),
  hiddenPauseMs: query.get('hidden_pause_ms'),
}).filter(([, v]) => v !== null && Number(v) > 0).map(([k, v]) => [k, Number(v)]));
// Hosted on another origin than the relay: <meta name="sse-relay-base" content="https://relay">
// (the relay lists this page's origin in RELAY_CORS_ORIGINS; its cookie goes along). A relay
// that wants a token: <meta name="sse-relay-token-url" content="/relay-token">, a URL of this
// page's own site that (re)sets the relay's cookie; it is POSTed before a connect that needs
// a token (the first, and after the token expired).
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || null;
const relayBase = meta('sse-relay-base');
const tokenUrl = meta('sse-relay-token-url');
const client = new SseClient({
  ...tuning,
  ...(relayBase ? {
    url: new URL('/api/events/stream', relayBase).href,
    snapshotUrl: new URL('/api/workers', relayBase).href,
    withCredentials: true,
  } : {}),
  ...(tokenUrl ? {
    getToken: async () => {
      const res = await fetch(tokenUrl, { method: 'POST', credentials: 'include' });
      if (!res.ok) throw new Error(`${tokenUrl}: ${res.status}`);
    },
  } : {}),
  onSnapshot: (snapshot) => replaceAll(snapshot.workers ?? []),
});
for (const [type, apply] of Object.entries(fold)) {
  client.on(type, (data) => {
    const w = workers.get(data.worker_id);
    if (type !== 'worker.created' && !w) return; // not in our snapshot: the next resync fixes it
    apply(data, w);
    scheduleRender();
  });
}
client.on('*', (data, event) => {
  if (event.type !== 'heartbeat') logEvent(event, data);
});
// Producers may publish `error` events (POST /api/events {"type":"error",...}).
client.on('error', (data) => banner(`Error: ${typeof data === 'string' ? data : data?.message ?? JSON.stringify(data)}`));

const badge = $('realtime');
client.onStatus((status, info) => {
  let text = status;
  if (info.restarting && status !== 'connected') text = 'server restarting';
  else if (info.mode === 'polling') text = `${status} (polling)`;
  badge.textContent = text;
  badge.dataset.status = status;
  badge.dataset.mode = info.mode;
  const live = status === 'connected' && info.mode === 'sse';
  if (live) notLiveSince = null;
  else if (status !== 'connecting') notLiveSince ??= Date.now(); // connecting: the first load

  renderStale();
  if (status === 'error') banner(`Realtime updates failed: ${info.reason}`);
  else if (status === 'connected') banner('');
});
client.connect();

// ---- the relay itself --------------------------------------------------------------------
// /api/events/stats every few seconds: instance, subscribers, event rate, bus lag, resyncs.
// A relay that serves its figures on an admin listener (RELAY_ADMIN_PORT) answers 404 here:
// the panel says so and stops asking.
const statsUrl = relayBase ? new URL('/api/events/stats', relayBase).href : '/api/events/stats';
const statsMs = Number(query.get('stats_ms')) || 5000;
let lastStats = null;
let lastResyncAt = null;
async function pollStats() {
  const panel = $('relay-panel');
  try {
    const res = await fetch(statsUrl, { credentials: relayBase ? 'include' : 'same-origin', cache: 'no-store' });
    if (res.status === 404) {
      panel.dataset.state = 'unavailable';
      $('relay-figures').textContent = 'Relay figures are on its admin listener.';
      return;
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const s = await res.json();
    const now = Date.now();
    const rate = lastStats && lastStats.s.instance_id === s.instance_id
      ? Math.max(0, (s.events_broadcast - lastStats.s.events_broadcast) / ((now - lastStats.at) / 1000)) : null;
    if (lastStats && s.resyncs > lastStats.s.resyncs) lastResyncAt = now;
    lastStats = { s, at: now };
    panel.dataset.state = 'ok';
    panel.dataset.instance = s.instance_id;
    panel.dataset.clients = String(s.clients);
    const parts = [`instance ${s.instance_id}`, `${s.clients} subscriber${s.clients === 1 ? '' : 's'}`,
      rate === null ? 'rate –' : `${rate < 10 ? rate.toFixed(1) : Math.round(rate)} events/s`];
    if (s.bus) parts.push(`bus lag ${(s.bus.lag_ms / 1000).toFixed(1)} s${s.bus.connected === false ? ' (Redis down)' : ''}`);
    parts.push(s.resyncs ? `${s.resyncs} resyncs${lastResyncAt ? `, last ${new Date(lastResyncAt).toLocaleTimeString()}` : ''}` : 'no resyncs');
    $('relay-figures').textContent = parts.join(' · ');
  } catch (e) {
    panel.dataset.state = 'error';
    $('relay-figures').textContent = `Relay figures unavailable: ${e.message}`;
  }
  setTimeout(pollStats, statsMs);
}
pollStats();

// For tests and the curious: the client and the model.
window.dashboard = { client, workers };
