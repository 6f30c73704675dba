import { describe, expect, it } from 'vitest';

import {
  DigestSession,
  digestAuthorization,
  parseDigestChallenge,
} from '../../src/http/digest-auth.js';

// The worked example of RFC 2617 section 3.5.
const rfcHeader =
  'Digest realm="testrealm@host.com", qop="auth,auth-int", ' +
  'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';

describe('HTTP Digest authentication', () => {
  it('reads a challenge with quoted and bare values', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="127.0.0.1", nonce="17f0a1b2", algorithm="MD5", qop="auth", charset="UTF-8"',
    );

    expect(challenge).toEqual({
      realm: '127.0.0.1',
      nonce: '17f0a1b2',
      qop: ['auth'],
      algorithm: 'MD5',
      opaque: undefined,
      stale: false,
    });
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseDigestChallenge(undefined)).toBeUndefined();
  });

  it('computes the response of the RFC 2617 example', () => {
    const challenge = parseDigestChallenge(rfcHeader)!;

    const header = digestAuthorization({
      challenge,
      credentials: { username: 'Mufasa', password: 'Circle Of Life' },
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: '0a4f113b',
    });

    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain('nc=00000001');
    expect(header).toContain('qop=auth');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('counts uses of a nonce and restarts the count on a new challenge', () => {
    const session = new DigestSession({ username: 'u', password: 'p' });
    expect(session.authorize('GET', '/ping')).toBeUndefined();

    expect(session.accept(rfcHeader)).toBe(true);
    expect(session.authorize('GET', '/a')).toContain('nc=00000001');
    expect(session.authorize('GET', '/b')).toContain('nc=00000002');

    session.accept(rfcHeader.replace('dcd98b', 'aaaaaa'));
    expect(session.authorize('GET', '/c')).toContain('nc=00000001');
  });
});
