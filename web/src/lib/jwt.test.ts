import { describe, expect, it } from 'vitest';
import { decodeJwt, tokenExpiryMs, tokenIssuedAtMs } from './jwt';
import { b64url, makeJwt } from '../test/helpers';

describe('decodeJwt', () => {
  it('reads the claims', () => {
    const t = makeJwt({ id: '7', nickname: 'ann', iat: 1000, exp: 1900 });
    expect(decodeJwt(t)).toMatchObject({ id: '7', nickname: 'ann', iat: 1000, exp: 1900 });
    expect(tokenExpiryMs(t)).toBe(1_900_000);
    expect(tokenIssuedAtMs(t)).toBe(1_000_000);
  });

  it('handles base64url characters and UTF-8 in claims', () => {
    const t = makeJwt({ nickname: 'Zoë ✓ ~~~???>>>', exp: 5 });
    expect(decodeJwt(t)?.nickname).toBe('Zoë ✓ ~~~???>>>');
  });

  it('returns null for malformed tokens', () => {
    expect(decodeJwt('')).toBeNull();
    expect(decodeJwt('a.b')).toBeNull();
    expect(decodeJwt('a.!!!.c')).toBeNull();
    expect(decodeJwt(`x.${b64url('[1,2]')}.y`)).toBeNull();
    expect(decodeJwt(`x.${b64url('not json')}.y`)).toBeNull();
  });

  it('has no expiry without a numeric exp', () => {
    expect(tokenExpiryMs(makeJwt({ id: '1' }))).toBeNull();
    expect(tokenExpiryMs(makeJwt({ exp: '123' }))).toBeNull();
    expect(tokenExpiryMs('garbage')).toBeNull();
  });
});
