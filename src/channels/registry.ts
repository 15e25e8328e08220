// The channels a Baton process connects at start-up. Channels that have no real connector yet record
// their touches through the `log` channel so sequences that use them still run and are measured.
import type { Store } from '../store/db.js';
import { ChannelRegistry } from './channel.js';
import { LogChannel } from './log.channel.js';

export const LOGGED_CHANNELS = ['log', 'email', 'ads', 'social', 'sms', 'webhook', 'task'] as const;

export function defaultChannels(store: Store): ChannelRegistry {
  const registry = new ChannelRegistry();
  for (const name of LOGGED_CHANNELS) registry.register(new LogChannel(store, name));
  return registry;
}
