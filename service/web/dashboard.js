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
    workers.set(w.worker_id, structuredClone(w));
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

const fold = {
  'worker.created'(d) {
    workers.set(d.worker_id, { worker_id: d.worker_id, name: d.name, region: d.region,
      instance_type: d.instance_type, status: d.status, created_at: d.created_at,
      updated_at: d.updated_at, metrics: null, labs: [], version: d.version, fresh: true });
    dirty.add(d.worker_id);
    toast(`Worker ${d.name || d.worker_id} created in ${d.region}`);
  },
  'worker.status.updated'(d, w) {
    w.status = d.status;
    if (d.status === 'terminated') w.terminated_at = d.updated_at;
    stamp(w, d);
    if (['running', 'stopped', 'terminated'].includes(d.status)) toast(`${w.name || w.worker_id}: ${d.previous_status} → ${d.status}`);
  },
  'worker.metrics.updated'(d, w) {
    w.metrics = { cpu_percent: d.cpu_percent, memory_percent: d.memory_percent, labs_count: d.labs_count, collected_at: d.collected_at };
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
    <td data-field="status"><span class="status"></span></td>
    <td data-field="cpu"></td>
    <td data-field="memory"></td>
    <td data-field="labs"><button type="button" class="labs"></button></td>
    <td data-field="updated" class="age"></td>`;
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
  $('empty').hidden = workers.size > 0;
  flushLog();
}

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

function writeAge(row, now) {
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

function logEvent(event, data) {
  pendingLog.push(`${clockNow()} ${event.type}${data?.worker_id ? ` ${data.worker_id}` : ''}${event.id ? ` #${event.id}` : ''}`);
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

// For tests and the curious: the client and the model.
window.dashboard = { client, workers };
