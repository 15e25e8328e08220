// The channels a Baton process connects at start-up: email through the workspace's senders (SMTP), signed
// webhooks, SMS through a Twilio-compatible provider when one is configured, and the channels that have no
// real connector yet through the `log` channel, so sequences that use them still run and are measured.
import type { Store } from '../store/db.js';
import { AdsChannel } from './ads.channel.js';
import { ChannelRegistry } from './channel.js';
import { EmailChannel } from './email.channel.js';
import { LogChannel } from './log.channel.js';
import { SocialChannel } from './social.channel.js';
import { TaskChannel } from './task.channel.js';
import { SmsChannel, type SmsProviderOptions } from './sms.channel.js';
import { WebhookChannel } from './webhook.channel.js';

export const LOGGED_CHANNELS = ['log', 'ads', 'social'] as const;

export interface ChannelOptions {
  /** Signs tracking and unsubscribe links. */
  secret: string;
  /** Base of the links Baton puts in messages. */
  publicUrl: string;
  /** SMTP relay for senders without their own `smtp_url` (BATON_SMTP_URL). */
  relayUrl?: string;
  /** Webhook steps must use https (NODE_ENV=production). */
  requireHttps?: boolean;
  /** A Twilio-compatible SMS provider (BATON_SMS_*); without one, SMS touches are logged. */
  sms?: SmsProviderOptions;
}

export function defaultChannels(store: Store, options?: ChannelOptions): ChannelRegistry {
  const registry = new ChannelRegistry();
  for (const name of LOGGED_CHANNELS) registry.register(new LogChannel(store, name));
  registry.register(new TaskChannel(store));
  // Ads steps fill the workspace's ads audiences (exported as customer-list files).
  registry.register(new AdsChannel(store));
  // Campaign social posts go out through their accounts' webhooks; without signing options they are logged.
  if (options) {
    registry.register(
      new SocialChannel(store, {
        secret: options.secret,
        publicUrl: options.publicUrl,
        requireHttps: options.requireHttps ?? false,
      }),
    );
  }
  // Webhooks are signed with a secret derived from the instance secret: without options they are logged.
  registry.register(
    options
      ? new WebhookChannel(store, { secret: options.secret, requireHttps: options.requireHttps ?? false })
      : new LogChannel(store, 'webhook'),
  );
  registry.register(
    options?.sms
      ? new SmsChannel(store, { provider: options.sms, publicUrl: options.publicUrl })
      : new LogChannel(store, 'sms'),
  );
  // Without signing options (tests of other channels) email is logged too; a real process passes them.
  registry.register(
    options
      ? new EmailChannel(store, {
          secret: options.secret,
          publicUrl: options.publicUrl,
          relayUrl: options.relayUrl,
        })
      : new LogChannel(store, 'email'),
  );
  return registry;
}
