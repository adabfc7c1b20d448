// Misuse the declarations must catch: a field a status event does not have, a wrong option type.
import { SseClient } from 'sse-relay-client';

const client = new SseClient({ types: 'worker.*' });
client.on('worker.status.updated', (data) => console.log(data.cpu_percent));
