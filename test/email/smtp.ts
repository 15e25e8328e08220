// A real SMTP server for the email tests and benchmark (smtp-server): it records what arrives, or answers
// each RCPT TO with a scripted code. Reverse DNS is off; the library's fixed 100 ms greeting delay is paid
// once per connection (pooled connections make it negligible).
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface TestSmtp {
  port: number;
  url: string;
  received: Received[];
  /** Answers for the next RCPT TO commands, in order (e.g. [451, 250]); empty means accept. */
  script: number[];
  close(): Promise<void>;
}

export async function startSmtp(options: { discard?: boolean } = {}): Promise<TestSmtp> {
  const received: Received[] = [];
  const script: number[] = [];
  const serverOptions: SMTPServerOptions = {
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, cb) {
      const code = script.shift();
      if (code === undefined || code === 250) return cb();
      const err = Object.assign(new Error(code >= 500 ? 'No such user here' : 'Try again later'), {
        responseCode: code,
      });
      cb(err);
    },
    onData(stream, session, cb) {
      if (options.discard) {
        stream.on('data', () => undefined);
        stream.on('end', () => cb());
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        cb();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    script,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
