import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Longer than any local client's idle timeout (fetch/undici 4 s, the SDK's agents 4 s). */
export const SERVER_KEEP_ALIVE_MS = 65_000;

/**
 * Starts `server` on a loopback address (every local stand-in binds to loopback only) and
 * answers the port it got (`port` 0 asks the system for a free one).
 */
export async function listenOnLoopback(server: Server, port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
  // Idle keep-alive sockets must be closed by the client, never by the server: a request sent on
  // a socket the server is closing that instant fails with `read ECONNRESET` (fetch and the SDK
  // close theirs after 4 s; Node's servers after 5 s by default).
  server.keepAliveTimeout = SERVER_KEEP_ALIVE_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}
