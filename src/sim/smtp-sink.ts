// A local SMTP server that accepts every message and keeps it raw, standing in for the recipients' mail
// servers in the demo and the benchmarks. The reverse-DNS lookup is off: the sink, not Baton, would be
// what gets measured otherwise.
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export class SmtpSink {
  private readonly server: SMTPServer;
  private inbox: Buffer[] = [];
  port = 0;

  constructor(options: { keep?: boolean } = {}) {
    const keep = options.keep ?? true;
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      disableReverseLookup: true,
      logger: false,
      size: 10 * 1024 * 1024,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => {
          if (keep) chunks.push(c);
        });
        stream.on('end', () => {
          if (keep) this.inbox.push(Buffer.concat(chunks));
          callback();
        });
      },
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this.port;
  }

  /** Messages received since the last call. */
  drain(): Buffer[] {
    const out = this.inbox;
    this.inbox = [];
    return out;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
