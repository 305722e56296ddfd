/**
 * The preview's port: checked before anything slow happens (`npm start` seeds a database first), and a busy port
 * is reported in one line that says how to choose another.
 */
import { createServer, Server } from 'node:net';

export class PortInUse extends Error {}

function portInUse(host: string, port: number): PortInUse {
  return new PortInUse(`port ${port} on ${host} is already in use; choose another with PORT, e.g. PORT=${port === 65535 ? 8081 : port + 1} npm start`);
}

/** Starts `server` listening; a busy port rejects with PortInUse, other failures as they are. */
export function listenOn(server: Pick<Server, 'once' | 'off' | 'listen' | 'address'>, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? portInUse(host, port) : e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Fails with PortInUse if nothing could listen on host:port right now (port 0 is always free). */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await listenOn(probe, host, port);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
