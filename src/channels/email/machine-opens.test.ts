import { describe, expect, it } from 'vitest';
import { classifyFetch } from './machine-opens.js';

describe('classifyFetch', () => {
  it('flags Apple MPP, scanners and instant fetches; a reader, and Gmail’s and Yahoo’s proxies, are human', () => {
    // Gmail's proxy agent as Google documents it ("via ggpht.com GoogleImageProxy"). Gmail's proxy fetches
    // the image when the person opens the message (Google's image-proxy announcement; Litmus and other
    // email-analytics vendors count these as real opens), so it is a person's open, labelled by agent.
    expect(
      classifyFetch(
        'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
        '66.249.1.1',
        60_000,
      ),
    ).toEqual({ machine: false, agent: 'gmail_image_proxy' });
    // Yahoo's proxy likewise fetches on open, on the reader's behalf.
    expect(
      classifyFetch(
        'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html',
        '1.2.3.4',
        60_000,
      ),
    ).toEqual({ machine: false, agent: 'yahoo_mail_proxy' });
    expect(classifyFetch('Mozilla/5.0', '17.58.1.1', 60_000)).toEqual({
      machine: true,
      agent: 'apple_mail_privacy_protection',
    });
    expect(classifyFetch('Mozilla/5.0', '203.0.113.9', 60_000).agent).toBe('apple_mail_privacy_protection');
    expect(classifyFetch('python-requests/2.31', '203.0.113.9', 60_000).agent).toBe('scanner');
    expect(classifyFetch('Mozilla/5.0 (Macintosh) Safari/605', '203.0.113.9', 500).agent).toBe(
      'instant_fetch',
    );
    expect(
      classifyFetch(
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15',
        '203.0.113.9',
        60_000,
      ),
    ).toEqual({
      machine: false,
      agent: null,
    });
  });
});
