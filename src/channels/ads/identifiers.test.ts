// Normalisation and hashing of customer-list identifiers against the platforms' published rules.
// Meta's expected hashes are the examples of its "Customer Information Parameters" page
// (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters,
// rows em, ph, fn, country). Google publishes no example hashes; the Google phone value was computed with
// `printf '%s' '+16505551212' | sha256sum` from its documented E.164 rule
// (https://support.google.com/google-ads/answer/7476159, phone numbers in E.164 before hashing).
import { describe, expect, it } from 'vitest';
import {
  countryCode,
  csvFile,
  googleEmail,
  googleName,
  googlePhone,
  hashIdentifiers,
  metaEmail,
  metaName,
  metaPhone,
  metaZip,
  sha256Hex,
} from './identifiers.js';

describe('Meta customer-file identifiers', () => {
  it('reproduces Meta’s published examples', () => {
    expect(metaEmail('John_Smith@gmail.com')).toBe('john_smith@gmail.com');
    expect(sha256Hex(metaEmail('John_Smith@gmail.com')!)).toBe(
      '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f',
    );
    // "US phone number (650)555-1212 → 16505551212": the country code is part of the stored number.
    expect(metaPhone('+1 (650) 555-1212')).toBe('16505551212');
    expect(sha256Hex(metaPhone('1 (650)555-1212')!)).toBe(
      'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176',
    );
    expect(sha256Hex(metaName('Mary')!)).toBe(
      '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec',
    );
    expect(metaName('Valéry')).toBe('valéry');
    expect(sha256Hex(metaName('Valéry')!)).toBe(
      '08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c',
    );
    // The decomposed spelling (e + combining acute) hashes the same once composed.
    expect(sha256Hex(metaName('Vale\u0301ry')!)).toBe(
      '08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c',
    );
    expect(sha256Hex(countryCode('US')!)).toBe(
      '79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621',
    );
  });

  it('drops punctuation from names, symbols and leading zeros from phones, and applies the zip rules', () => {
    expect(metaName("O'Neil-Smith Jr.")).toBe('oneilsmithjr');
    expect(metaPhone('+44 20 7183 8750')).toBe('442071838750');
    expect(metaPhone('12')).toBeNull();
    expect(metaZip('94025-1234', 'us')).toBe('94025');
    expect(metaZip('SW1A 1AA', 'gb')).toBe('sw1a1');
    expect(metaZip('75 001', 'fr')).toBe('75001');
    expect(countryCode('United States')).toBeNull();
  });
});

describe('Google Customer Match identifiers', () => {
  it('lowercases and removes every space, keeps Gmail dots, formats phones as E.164', () => {
    expect(googleEmail(' Jane.Doe@Gmail.com ')).toBe('jane.doe@gmail.com');
    expect(googleName('Mary Ann')).toBe('maryann');
    expect(googleName('Zoë')).toBe('zoë');
    expect(googlePhone('+1 (650) 555-1212')).toBe('+16505551212');
    expect(sha256Hex(googlePhone('1-650-555-1212')!)).toBe(
      '1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8',
    );
  });

  it('writes Country and Zip in plain text and leaves missing values empty', () => {
    const ids = hashIdentifiers({
      email: 'John_Smith@gmail.com',
      phone: null,
      firstName: null,
      lastName: null,
      country: 'GB',
      zip: 'WC2H 8LG',
    });
    expect(csvFile('google', [ids])).toBe(
      'Email,Phone,First Name,Last Name,Country,Zip\n62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f,,,,gb,WC2H 8LG\n',
    );
  });
});
