import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on a free loopback port; `stop` cuts open connections so tests never wait on keep-alive. */
export async function listenOnFreePort(server: http.Server): Promise<{ url: string; stop(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
