// `npm run bench -- email [N] [--batch B] [--pool P]`: N (default 20,000) personalised MJML emails sent by
// the engine (dispatcher claims, email channel renders Liquid per contact, stores the links, sends through
// its pooled SMTP transport, dispatcher records) to a local SMTP sink, against nodemailer's pooled
// transport sending N pre-rendered messages to the same sink with the same pool size. Render time per
// message is reported separately. The sink is smtp-server with reverse DNS off (its fixed 100 ms greeting
// delay is paid once per pooled connection) and accepts and discards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ChannelRegistry } from '../src/channels/channel.js';
import { EmailChannel } from '../src/channels/email.channel.js';
import { compileEmail, renderEmail } from '../src/content/index.js';
import { campaignSchema } from '../src/domain/campaign.js';
import { workspaceSettings } from '../src/domain/workspace-settings.js';
import { buildRuntime } from '../src/engine/campaign-runtime.js';
import { Dispatcher } from '../src/engine/dispatcher.js';
import { enrollContacts } from '../src/engine/enroller.js';
import { CampaignsRepository } from '../src/store/campaigns.repository.js';
import { openStore } from '../src/store/db.js';
import { EmailSendersRepository } from '../src/store/email-senders.repository.js';
import { newId } from '../src/store/ids.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { TemplatesRepository } from '../src/store/templates.repository.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { startSmtp } from '../test/email/smtp.js';
import { report, timed } from './harness.js';

const T0 = Date.parse('2027-01-04T10:00:00Z');
const SECRET = 'bench-secret';
const PUBLIC_URL = 'https://baton.example.org';

const MJML = `<mjml>
<mj-head><mj-title>Your pipeline in one view</mj-title><mj-preview>Three dashboards, one add-on</mj-preview>
<mj-attributes><mj-all font-family="Helvetica, Arial, sans-serif" /><mj-text font-size="15px" line-height="22px" color="#222" /></mj-attributes></mj-head>
<mj-body background-color="#f4f4f4">
<mj-section background-color="#ffffff"><mj-column><mj-image width="120px" src="https://example.com/logo.png" alt="Example" /></mj-column></mj-section>
<mj-section background-color="#ffffff"><mj-column>
<mj-text><h1 style="font-size:22px">{{ contact.first_name | default: "Hello" }}, your pipeline in one view</h1>
<p>We built the analytics add-on for teams like {{ account.name | default: "yours" }}: one place for pipeline, conversion and revenue.</p>
<p>{% if contact.plan == "pro" %}As a Pro customer you can turn it on today.{% else %}Start a 14-day trial on any plan.{% endif %}</p></mj-text>
<mj-button href="https://example.com/analytics?ref={{ contact.id }}" background-color="#2f6fed">See the add-on</mj-button>
<mj-text><p>Three dashboards:</p><ul><li><a href="https://example.com/docs/pipeline">Pipeline</a></li><li><a href="https://example.com/docs/conversion">Conversion</a></li><li><a href="https://example.com/docs/revenue">Revenue</a></li></ul></mj-text>
</mj-column></mj-section>
<mj-section><mj-column><mj-text font-size="12px" color="#888">You receive this because you use Example. <a href="{{ links.unsubscribe }}">Unsubscribe</a></mj-text></mj-column></mj-section>
</mj-body></mjml>`;

export async function run(args: string[]): Promise<void> {
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 20_000);
  const flag = (name: string, d: number): number => {
    const i = args.indexOf(name);
    return i === -1 ? d : Number(args[i + 1]);
  };
  const batchSize = flag('--batch', 1000);
  const pool = flag('--pool', 5);
  const dir = mkdtempSync(join(tmpdir(), 'baton-email-bench-'));
  const sink = await startSmtp({ discard: true });
  const store = openStore(`sqlite:${join(dir, 'bench.db')}`);
  try {
    await migrateToLatest(store);
    const ws = (await new WorkspacesRepository(store).ensure('bench', T0)).id;
    await new EmailSendersRepository(store).upsert(
      ws,
      {
        email: 'news@mail.example.org',
        name: 'Example',
        postal_address: '1 Market Street, San Francisco, CA 94105, USA',
        smtp_url: sink.url,
        daily_limit: 1_000_000,
        hourly_rate: 1_000_000,
      },
      T0,
    );
    await new TemplatesRepository(store).upsert(ws, { id: 'launch.mjml', kind: 'mjml', source: MJML }, T0);

    // Contacts and accounts in one prepared transaction.
    const insert = store.sqlite!.prepare(
      `INSERT INTO contacts (id, workspace_id, email, first_name, last_name, time_zone, subscription_status,
         sms_consent, attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'UTC', 'subscribed', 0, ?, ?, ?)`,
    );
    const contacts: Array<{ id: string; account_id: null; time_zone: string }> = [];
    const attrs: Array<Record<string, unknown>> = [];
    store.sqlite!.transaction(() => {
      for (let i = 0; i < n; i++) {
        const id = newId('ct', T0);
        const a = { plan: i % 3 === 0 ? 'pro' : 'free' };
        insert.run(
          id,
          ws,
          `person${i}@inbox${i % 50}.example`,
          `Name${i}`,
          `Last${i}`,
          JSON.stringify(a),
          T0,
          T0,
        );
        contacts.push({ id, account_id: null, time_zone: 'UTC' });
        attrs.push({ id, first_name: `Name${i}`, email: `person${i}@inbox${i % 50}.example`, ...a });
      }
    })();
    const spec = campaignSchema.parse({
      id: 'launch',
      name: 'Launch',
      objective: 'launch',
      window: { start: '2027-01-04T00:00', end: '2027-02-01T00:00', timezone: 'UTC' },
      channels: ['email'],
      sequence: [
        {
          id: 'intro',
          channel: 'email',
          subject: '{{ contact.first_name }}, your pipeline',
          template: 'launch.mjml',
        },
      ],
    });
    const repo = new CampaignsRepository(store);
    await repo.insert(ws, spec, T0);
    await repo.setStatus(ws, spec.id, 'draft', 'running', T0, { launchedAt: T0 });
    await enrollContacts(store, buildRuntime(ws, spec, 1, workspaceSettings({})), contacts, T0);

    // Render alone: compile once, Liquid + links + footer per contact.
    const compiled = await compileEmail({
      subject: '{{ contact.first_name }}, your pipeline',
      template: { kind: 'mjml', source: MJML },
    });
    const sender = { name: 'Example', email: 'news@mail.example.org', postal_address: '1 Market Street' };
    const renderOnce = (i: number) =>
      renderEmail(
        compiled,
        {
          contact: attrs[i]!,
          account: null,
          campaign: { id: 'launch', name: 'Launch' },
          step: { id: 'intro', channel: 'email' },
          sender,
        },
        {
          touchId: `tch_${i}`,
          secret: SECRET,
          publicUrl: PUBLIC_URL,
          tracking: { opens: true, clicks: true },
          utm: { source: 'baton', medium: 'email', campaign: 'launch' },
          unsubscribeUrl: `${PUBLIC_URL}/u/x${i}`,
          marketing: true,
        },
      );
    const rendered = await timed(() => attrs.map((_, i) => renderOnce(i)));
    const htmlBytes = rendered.value[0]!.html!.length;

    // Baseline: nodemailer's pooled transport, same pool size, the same messages pre-rendered.
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: sink.port,
      pool: true,
      maxConnections: pool,
      maxMessages: Infinity,
    });
    const baseline = await timed(() =>
      Promise.all(
        rendered.value.map((r, i) =>
          transport.sendMail({
            from: { name: 'Example', address: 'news@mail.example.org' },
            to: attrs[i]!.email as string,
            subject: r.subject,
            html: r.html!,
            text: r.text,
            messageId: `<bench${i}@mail.example.org>`,
            headers: {
              'List-Unsubscribe': `<${PUBLIC_URL}/u/x${i}>`,
              'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            },
          }),
        ),
      ),
    );
    transport.close();

    // Baton: the dispatcher drains the campaign through the email channel.
    const channel = new EmailChannel(store, { secret: SECRET, publicUrl: PUBLIC_URL, poolSize: pool });
    const dispatcher = new Dispatcher(store, new ChannelRegistry().register(channel), {
      workerId: 'bench',
      batchSize,
    });
    const engine = await timed(() => dispatcher.drain(T0));
    await channel.close();
    if (engine.value.sent !== n)
      throw new Error(`sent ${engine.value.sent} of ${n}: ${JSON.stringify(engine.value)}`);

    console.log(
      `email: ${n.toLocaleString('en-US')} messages (HTML ${(htmlBytes / 1024).toFixed(1)} KB each), pool ${pool}, batch ${batchSize}`,
    );
    console.log(
      `render (Liquid + links + footer + text, template compiled once): ${((rendered.ms * 1000) / n).toFixed(1)} µs/message`,
    );
    report(
      { label: 'Baton engine → SMTP sink', value: n / (engine.ms / 1000), unit: 'msg/s' },
      { label: 'nodemailer pool, pre-rendered → SMTP sink', value: n / (baseline.ms / 1000), unit: 'msg/s' },
    );
  } finally {
    await store.close();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
