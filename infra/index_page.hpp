#pragma once
// A minimal page at / so `make run` shows the live stream in a browser. The worker
// dashboard and sse-client.js replace it (browser client issue).
#include <string_view>

namespace relay::infra {

inline constexpr std::string_view index_page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sse-relay</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem; color: #111; }
  #status { display: inline-block; padding: .1rem .5rem; border-radius: .5rem; background: #ddd; }
  #status.connected { background: #1b7a36; color: #fff; }
  #status.reconnecting { background: #f2c200; }
  ol { font-family: ui-monospace, monospace; font-size: 12px; }
</style>
</head>
<body>
<h1>sse-relay</h1>
<p>Realtime: <span id="status" role="status" aria-live="polite">connecting</span></p>
<p>Publish: <code>curl -X POST -H 'Content-Type: application/json' -d '{"type":"demo.hello","data":{"n":1}}' http://HOST/api/events</code></p>
<ol id="log" reversed aria-label="Received events"></ol>
<script type="module">
  const status = document.getElementById('status');
  const log = document.getElementById('log');
  document.querySelector('code').textContent =
    document.querySelector('code').textContent.replace('HOST', location.host);
  const source = new EventSource('/api/events/stream');
  const show = (type, data) => {
    const li = document.createElement('li');
    li.textContent = `${type} ${data}`;
    log.prepend(li);
    while (log.children.length > 200) log.lastChild.remove();
  };
  source.onopen = () => { status.textContent = 'connected'; status.className = 'connected'; };
  source.onerror = () => { status.textContent = 'reconnecting'; status.className = 'reconnecting'; };
  source.onmessage = (e) => show('message', e.data);
  // EventSource has no wildcard listener: name the types this page shows.
  for (const type of ['connected', 'heartbeat', 'system.sse.resync', 'system.sse.shutdown',
                      'demo.hello', 'worker.created', 'worker.status.updated',
                      'worker.metrics.updated', 'worker.labs.updated', 'worker.terminated']) {
    source.addEventListener(type, (e) => show(type, e.data));
  }
</script>
</body>
</html>
)html";

}  // namespace relay::infra
