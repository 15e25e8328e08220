// Content: email rendering (Liquid + MJML, compiled once per variant), tracking and UTM links, signed
// tokens for tracking and unsubscribe. Pure: no I/O, no clock.
export * from './links.js';
export * from './render.js';
export * from './tokens.js';
