// Opens and clicks that no person made: Apple Mail Privacy Protection, which prefetches every image when
// the message arrives whether or not anyone reads it, security scanners that follow links, and fetches
// within seconds of sending. They are recorded with `machine: true` and do not count as human engagement.
// Gmail's and Yahoo's image proxies are not prefetchers: they fetch the pixel when the person opens the
// message (and cache it), as Google's Gmail image-proxy announcement and email-analytics vendors such as
// Litmus describe. Their fetches are people's opens, labelled with an `agent` so reports can tell them apart.

export interface MachineVerdict {
  machine: boolean;
  agent: string | null;
}

/** Apple's 17.0.0.0/8 block, from which Mail Privacy Protection fetches images. */
const APPLE_NET = /^(::ffff:)?17\./;

export function classifyFetch(
  userAgent: string | undefined,
  ip: string | undefined,
  sinceSentMs: number | null,
): MachineVerdict {
  const ua = userAgent ?? '';
  // Fetched on open, on the reader's behalf: a person (before the instant-fetch rule, as the proxy's own
  // timing is the reader's).
  if (/GoogleImageProxy|ggpht\.com/i.test(ua)) return { machine: false, agent: 'gmail_image_proxy' };
  if (/YahooMailProxy/i.test(ua)) return { machine: false, agent: 'yahoo_mail_proxy' };
  if (ip && APPLE_NET.test(ip)) return { machine: true, agent: 'apple_mail_privacy_protection' };
  // MPP's fetcher sends a bare "Mozilla/5.0" with nothing after it.
  if (/^Mozilla\/5\.0$/.test(ua.trim())) return { machine: true, agent: 'apple_mail_privacy_protection' };
  if (
    /bot|crawler|spider|scanner|barracuda|mimecast|proofpoint|curl\/|wget\/|python-requests|go-http-client|okhttp/i.test(
      ua,
    )
  ) {
    return { machine: true, agent: 'scanner' };
  }
  // Fetched within seconds of sending: a gateway, not a reader.
  if (sinceSentMs !== null && sinceSentMs >= 0 && sinceSentMs < 2000)
    return { machine: true, agent: 'instant_fetch' };
  return { machine: false, agent: null };
}
