import dgram from 'node:dgram';

/**
 * A DNS server whose answers a test changes as it goes: the stand-in for
 * Docker's embedded DNS, where a recreated container's name points to a new
 * address and a stopped container's name resolves to nothing. It answers A
 * queries only (NXDOMAIN for a name it has no address for, an empty answer
 * for any other type), which is all HAProxy's resolvers ask with
 * `resolve-prefer ipv4`.
 */
export class DnsServer {
  private readonly addresses = new Map<string, string>();
  /** How many queries it has answered, per name: proof that the client asked again. */
  readonly queries = new Map<string, number>();

  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
  ) {
    socket.on('message', (query, client) => {
      const reply = this.answer(query);
      if (reply) socket.send(reply, client.port, client.address);
    });
  }

  static async start(): Promise<DnsServer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new DnsServer(socket, socket.address().port);
  }

  /** Points `name` at an IPv4 address, or (undefined) makes it unknown. */
  set(name: string, address: string | undefined): void {
    if (address === undefined) this.addresses.delete(name.toLowerCase());
    else this.addresses.set(name.toLowerCase(), address);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(query: Buffer): Buffer | undefined {
    if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined; // exactly one question
    const labels: string[] = [];
    let offset = 12;
    while (offset < query.length && query[offset] !== 0) {
      const length = query[offset]!;
      labels.push(query.toString('latin1', offset + 1, offset + 1 + length));
      offset += 1 + length;
    }
    const questionEnd = offset + 5; // the terminating zero, type and class
    if (questionEnd > query.length) return undefined;
    const type = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    this.queries.set(name, (this.queries.get(name) ?? 0) + 1);

    const address = this.addresses.get(name);
    const A = 1;
    const answers = address !== undefined && type === A ? 1 : 0;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0); // the query's id
    // A response (QR), authoritative (AA), recursion desired copied, recursion available;
    // NXDOMAIN (3) for a name it does not know.
    const NXDOMAIN = 3;
    header.writeUInt16BE(0x8480 | (query.readUInt16BE(2) & 0x0100) | (address === undefined ? NXDOMAIN : 0), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers, 6);
    const question = query.subarray(12, questionEnd);
    if (answers === 0) return Buffer.concat([header, question]);
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(A, 2);
    record.writeUInt16BE(1, 4); // class IN
    record.writeUInt32BE(1, 6); // TTL 1 s: the test changes answers as it goes
    record.writeUInt16BE(4, 10);
    address!.split('.').forEach((octet, index) => record.writeUInt8(Number(octet), 12 + index));
    return Buffer.concat([header, question, record]);
  }
}
