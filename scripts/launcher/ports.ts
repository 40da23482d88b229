import net from 'node:net';

/** Ports handed out by this process, so two picks in a row never collide before either is bound. */
const taken = new Set<number>();

/**
 * A free loopback port outside the kernel's ephemeral range (32768-60999 on
 * Linux), so an outgoing connection's local port cannot take it while it is
 * unbound (a stopped node's port, a chaos proxy closed to refuse connections).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    if (await canListen(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port found in 20000-31999');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}
