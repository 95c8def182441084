/**
 * A webhook receiver as fast as Node's HTTP server allows, in a process of its own (as a real
 * receiver would be): it answers 204 at once, without verifying signatures, and records when each
 * `webhook-id` arrived. Driven over IPC by receiver-process.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const arrivals: number[] = [];
const ids = new Set<string>();
let posts = 0;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    posts += 1;
    const id = req.headers['webhook-id'];
    if (typeof id === 'string') {
      arrivals.push(performance.timeOrigin + performance.now());
      ids.add(id);
    }
    res.writeHead(204);
    res.end();
  });
});

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  if (process.connected) process.send?.({ kind: 'ready', port: (server.address() as AddressInfo).port });
});

process.on('message', (message: { kind: string }) => {
  if (message.kind === 'reset') {
    arrivals.length = 0;
    ids.clear();
    posts = 0;
    process.send?.({ kind: 'reset' });
  } else if (message.kind === 'count') {
    process.send?.({ kind: 'count', posts, webhooks: arrivals.length, unique: ids.size, arrivals: [] });
  } else if (message.kind === 'stats') {
    process.send?.({ kind: 'stats', posts, webhooks: arrivals.length, unique: ids.size, arrivals });
  }
});

process.on('disconnect', () => {
  server.close();
  server.closeAllConnections();
});
