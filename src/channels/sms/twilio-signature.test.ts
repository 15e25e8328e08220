// Reference vectors from Twilio's own documentation samples (auth token 12345, URL
// https://mycompany.com/myapp.php?foo=1&bar=2): https://www.twilio.com/docs/usage/security#validating-requests
// and TwilioDevEd/api-snippets security/signature_validation/signature_validation.{2,3}.x.js.
import { describe, expect, it } from 'vitest';
import { formParams, twilioSignature, verifyTwilioSignature } from './twilio-signature.js';

const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const params = (caller: string) => ({
  CallSid: 'CA1234567890ABCDE',
  Caller: caller,
  Digits: '1234',
  From: caller,
  To: '+18005551212',
});

describe('Twilio request signature', () => {
  it.each([
    ['+14158675309', 'RSOYDt4T1cUTdK1PDd93/VVr8B8='],
    ['+14158675310', 'GvWf1cFY/Q7PnoempGyD5oXAezc='],
  ])('matches Twilio’s published sample for Caller %s', (caller, expected) => {
    expect(twilioSignature('12345', URL, params(caller))).toBe(expected);
    expect(verifyTwilioSignature('12345', expected, URL, params(caller))).toBe(true);
  });

  it('refuses a changed parameter, another URL, another token, or no signature', () => {
    const sig = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
    expect(verifyTwilioSignature('12345', sig, URL, { ...params('+14158675309'), Digits: '1235' })).toBe(
      false,
    );
    expect(
      verifyTwilioSignature('12345', sig, 'https://mycompany.com/myapp.php', params('+14158675309')),
    ).toBe(false);
    expect(verifyTwilioSignature('54321', sig, URL, params('+14158675309'))).toBe(false);
    expect(verifyTwilioSignature('12345', undefined, URL, params('+14158675309'))).toBe(false);
  });

  it('reads form bodies with repeated names', () => {
    expect(formParams('Body=STOP&From=%2B14155550100&A=2&A=1')).toEqual({
      Body: 'STOP',
      From: '+14155550100',
      A: ['2', '1'],
    });
  });
});
