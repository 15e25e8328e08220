import { describe, expect, it } from 'vitest';
import { isStorableText, toStorableJson, toStorableText, unstorableTextPath } from './storable-text.js';

describe('storable text', () => {
  it('accepts any well-formed text, including astral characters written as surrogate pairs', () => {
    for (const s of ['', 'plain', 'café', '日本語', '😀 party', '\ud83d\ude00', 'tab\tnew\nline']) {
      expect(isStorableText(s)).toBe(true);
    }
  });

  it('refuses a NUL character and each kind of lone surrogate', () => {
    for (const s of [
      'a\u0000b',
      '\ud800',
      'x\ud800y',
      '\udc00',
      'x\udc00',
      '\ude00\ud83d',
      '\ud83d\ud83d\ude00x\ud800',
    ]) {
      expect(isStorableText(s)).toBe(false);
    }
  });

  it('names the path of the first bad key or value', () => {
    expect(unstorableTextPath({ a: 'ok', b: [1, 'x', { c: 'bad\u0000' }] })).toBe('b.2.c');
    // The fuzz case that reached PostgreSQL as a 500: a lone surrogate as a property key.
    expect(unstorableTextPath({ properties: { url: { '\ud800': [] } } })).toBe('properties.url.\ud800');
    expect(unstorableTextPath({ ok: ['fine', { deep: '😀' }] }, 'body')).toBeNull();
    expect(unstorableTextPath('\ud800')).toBe('(root)');
  });

  it('replaces what cannot be stored with U+FFFD, and returns storable input itself', () => {
    expect(toStorableText('Diagnostic-Code:\u0000 smtp; 550')).toBe('Diagnostic-Code:\uFFFD smtp; 550');
    expect(toStorableText('a\ud800b\udc00c\ud83d\ude00')).toBe('a\uFFFDb\uFFFDc\ud83d\ude00');
    const fine = { a: ['x', { b: 'y' }] };
    expect(toStorableJson(fine)).toBe(fine);
    expect(toStorableJson({ 'k\u0000': ['v\ud800', 1, null] })).toEqual({ 'k\uFFFD': ['v\uFFFD', 1, null] });
  });
});
