import { describe, expect, it } from 'vitest';

import { crtshFindingsFromJson, parseCrtsh } from '../../src/tools/crtsh/parse.js';
import { haveFixtures, readFixture } from '../support/fixtures.js';
import { keysOf } from './helpers.js';

const row = (over: Record<string, unknown>) => ({
  issuer_ca_id: 1,
  issuer_name: "C=US, O=Let's Encrypt, CN=R3",
  common_name: 'acme.example',
  name_value: 'acme.example\n*.acme.example\nWWW.acme.example',
  id: 1,
  entry_timestamp: '2024-01-02T03:04:05.678',
  not_before: '2024-01-02T00:00:00',
  not_after: '2024-04-01T23:59:59',
  serial_number: '0a',
  ...over,
});

describe('crt.sh answers', () => {
  it('collapses wildcards and case, and keeps e-mail addresses apart from free text', () => {
    const rows = [
      row({}),
      row({
        name_value: 'admin@Acme.Example\nACME Test Intermediate - acme.example',
        common_name: 'mail.acme.example',
        id: 2,
        serial_number: '0b',
      }),
    ];
    expect(keysOf(crtshFindingsFromJson(rows))).toEqual([
      'EMAIL admin@acme.example',
      'HOST acme.example',
      'HOST mail.acme.example',
      'HOST www.acme.example',
    ]);
  });

  it('says when a name was first and last logged, by whom, in how many certificates', () => {
    const rows = [
      row({}),
      // The precertificate of the same certificate: same serial, no log time.
      row({ id: 2, entry_timestamp: null }),
      row({
        id: 3,
        serial_number: '0c',
        entry_timestamp: '2024-03-01T00:00:00.5',
        not_after: '2024-06-01T00:00:00',
        issuer_name: 'Issuer Not Found',
        issuer_ca_id: -1,
      }),
    ];
    const host = crtshFindingsFromJson(rows).find((f) => f.value === 'www.acme.example');
    expect(host?.data).toEqual({
      firstSeen: '2024-01-02T00:00:00',
      lastSeen: '2024-03-01T00:00:00.5',
      notAfter: '2024-06-01T00:00:00',
      issuers: ["C=US, O=Let's Encrypt, CN=R3", 'Issuer Not Found'],
      certificates: 2,
    });
  });

  it('reads rows without common_name and the old concatenated-objects answer', () => {
    const old = [
      row({ common_name: undefined, name_value: 'a.acme.example' }),
      row({ common_name: undefined, name_value: 'b.acme.example' }),
    ]
      .map((r) => JSON.stringify(r))
      .join('');
    expect(keysOf(parseCrtsh(old))).toEqual(['HOST a.acme.example', 'HOST b.acme.example']);
  });

  it('finds nothing in an empty answer and refuses an HTML error page', () => {
    expect(parseCrtsh('[]')).toEqual([]);
    expect(() => parseCrtsh('<html><body>502 Bad Gateway</body></html>')).toThrow(
      /^malformed JSON in crt.sh answer/,
    );
  });

  it.skipIf(!haveFixtures)('finds the common names outside the searched domain too', () => {
    const values = parseCrtsh(readFixture('crtsh/crtsh_2024_gctu_edu_gh_result_count.json')).map(
      (f) => f.value,
    );
    expect(values).toEqual(
      expect.arrayContaining(['gtuc.edu.gh', 'www.gtuc.edu.gh', 'gctu.gtuc.edu.gh']),
    );
  });
});
