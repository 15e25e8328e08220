// The channels a Baton process connects at start-up: email through the workspace's senders (SMTP), and the
// channels that have no real connector yet (ads, social, sms, webhook, task) through the `log` channel, so
// sequences that use them still run and are measured.
import type { Store } from '../store/db.js';
import { ChannelRegistry } from './channel.js';
import { EmailChannel } from './email.channel.js';
import { LogChannel } from './log.channel.js';

export const LOGGED_CHANNELS = ['log', 'ads', 'social', 'sms', 'webhook', 'task'] as const;

export interface ChannelOptions {
  /** Signs tracking and unsubscribe links. */
  secret: string;
  /** Base of the links Baton puts in messages. */
  publicUrl: string;
  /** SMTP relay for senders without their own `smtp_url` (BATON_SMTP_URL). */
  relayUrl?: string;
}

export function defaultChannels(store: Store, options?: ChannelOptions): ChannelRegistry {
  const registry = new ChannelRegistry();
  for (const name of LOGGED_CHANNELS) registry.register(new LogChannel(store, name));
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
