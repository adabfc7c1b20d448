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

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  // Handlers of one batch run together; render once right after them.
  queueMicrotask(() => {
    renderQueued = false;
    render();
  });
}

function cell(tr, field) {
  return tr.querySelector(`[data-field="${field}"]`);
}

function meter(label) {
  const wrap = document.createElement('div');
  wrap.className = 'meter';
  wrap.setAttribute('role', 'meter');
  wrap.setAttribute('aria-valuemin', '0');
  wrap.setAttribute('aria-valuemax', '100');
  wrap.setAttribute('aria-label', label);
  wrap.innerHTML = '<div class="track"><div class="fill"></div></div><span class="value">–</span>';
  return wrap;
}

function setMeter(m, value) {
  const known = typeof value === 'number';
  m.querySelector('.fill').style.width = known ? `${Math.max(0, Math.min(100, value))}%` : '0';
  m.querySelector('.value').textContent = known ? `${Math.round(value)}%` : '–';
  if (known) m.setAttribute('aria-valuenow', String(value));
  else m.removeAttribute('aria-valuenow');
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
  cell(tr, 'cpu').append(meter(`CPU of ${w.worker_id}`));
  cell(tr, 'memory').append(meter(`Memory of ${w.worker_id}`));
  cell(tr, 'labs').querySelector('button').addEventListener('click', () => openDrawer(w.worker_id));
  return tr;
}

function render() {
  for (const id of dirty) {
    const w = workers.get(id);
    let tr = tbody.querySelector(`tr[data-worker-id="${CSS.escape(id)}"]`);
    if (!w) {
      tr?.remove();
      continue;
    }
    if (!tr) {
      tr = newRow(w);
      if (w.fresh) tr.classList.add('new');
      // Keep the table in creation order whatever order rows arrive in.
      const after = [...tbody.children].find((r) => workers.get(r.dataset.workerId)?.created_at > w.created_at);
      tbody.insertBefore(tr, after ?? null);
    }
    delete w.fresh;
    tr.dataset.status = w.status;
    tr.dataset.version = String(w.version);
    tr.dataset.updatedAt = w.updated_at ?? '';
    tr.classList.toggle('terminated', w.status === 'terminated');
    cell(tr, 'name').querySelector('.name').textContent = w.name || w.worker_id;
    cell(tr, 'name').querySelector('.sub').textContent = `${w.worker_id} · ${w.region} · ${w.instance_type}`;
    const badge = cell(tr, 'status').querySelector('.status');
    badge.textContent = w.status;
    badge.dataset.status = w.status;
    setMeter(cell(tr, 'cpu').firstChild, w.metrics?.cpu_percent);
    setMeter(cell(tr, 'memory').firstChild, w.metrics?.memory_percent);
    // Telemetry reports how many labs run; the synced list may be older (or not yet there).
    const labs = w.metrics ? w.metrics.labs_count : (w.labs?.length ?? 0);
    const button = cell(tr, 'labs').querySelector('button');
    button.textContent = `${labs} lab${labs === 1 ? '' : 's'}`;
    button.setAttribute('aria-label', `${labs} labs on ${w.name || w.worker_id}: show details`);
    if (drawerWorker === id) fillDrawer(w);
  }
  dirty.clear();
  $('worker-count').textContent = String(workers.size);
  $('empty').hidden = workers.size > 0;
  renderAges();
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

function renderAges() {
  renderStale();
  const now = Date.now();
  for (const tr of tbody.children) {
    const at = time(tr.dataset.updatedAt);
    const s = at ? Math.max(0, Math.round((now - at) / 1000)) : null;
    cell(tr, 'updated').textContent = s === null ? '–' : s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
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

function logEvent(event, data) {
  const list = $('event-log');
  const li = document.createElement('li');
  const at = new Date().toLocaleTimeString();
  li.textContent = `${at} ${event.type}${data?.worker_id ? ` ${data.worker_id}` : ''}${event.id ? ` #${event.id}` : ''}`;
  list.prepend(li);
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
