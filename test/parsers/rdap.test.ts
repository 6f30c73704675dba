import { describe, expect, it } from 'vitest';

import { parseRdap, rdapFindingsFromJson } from '../../src/tools/rdap/parse.js';
import { haveFixtures, readFixture } from '../support/fixtures.js';
import { keysOf } from './helpers.js';

describe('RDAP answers', () => {
  it.skipIf(!haveFixtures)('lower-cases nameservers and finds the nested abuse address', () => {
    const findings = parseRdap(readFixture('rdap/rdap_verisign_com_domain_google_2021.json'));
    expect(keysOf(findings)).toEqual([
      'EMAIL abusecomplaints@markmonitor.com',
      'HOST ns1.google.com',
      'HOST ns2.google.com',
      'HOST ns3.google.com',
      'HOST ns4.google.com',
      'OTHER google.com',
    ]);
    const queried = findings.find((f) => f.kind === 'OTHER');
    expect(queried?.data).toMatchObject({
      objectClassName: 'domain',
      registrar: { ianaId: '292' },
    });
  });

  it.skipIf(!haveFixtures)('does not mine addresses from free-text remarks', () => {
    const emails = parseRdap(readFixture('rdap/rdap_apnic_ip_1.1.1.1_2024.json')).filter(
      (f) => f.kind === 'EMAIL',
    );
    expect(emails.map((f) => f.value).sort()).toEqual(['helpdesk@apnic.net', 'research@apnic.net']);
  });

  it('reads jCard emails with roles, and nameservers with their addresses', () => {
    const answer = {
      objectClassName: 'domain',
      ldhName: 'ACME.EXAMPLE',
      nameservers: [
        {
          objectClassName: 'nameserver',
          ldhName: 'NS1.ACME.EXAMPLE.',
          ipAddresses: { v4: ['192.0.2.53'], v6: ['2001:db8::53'] },
        },
      ],
      entities: [
        {
          objectClassName: 'entity',
          handle: 'R1',
          roles: ['registrant'],
          vcardArray: [
            'vcard',
            [
              ['version', {}, 'text', '4.0'],
              ['fn', {}, 'text', 'Jane Doe'],
              ['email', { type: 'work' }, 'text', 'Jane@Acme.Example'],
              ['adr', { label: 'x' }, 'text', ['', '', '', '', '', '', '']],
              ['tel', {}, 'uri', null],
            ],
          ],
          entities: [
            {
              roles: ['abuse'],
              vcardArray: ['vcard', [['email', {}, 'text', 'mailto:abuse@acme.example']]],
            },
          ],
        },
      ],
    };
    expect(rdapFindingsFromJson(answer)).toEqual([
      { kind: 'OTHER', value: 'acme.example', data: { objectClassName: 'domain' } },
      {
        kind: 'HOST',
        value: 'ns1.acme.example',
        data: { role: 'nameserver', addresses: ['192.0.2.53', '2001:db8::53'] },
      },
      {
        kind: 'EMAIL',
        value: 'jane@acme.example',
        data: { roles: ['registrant'], handle: 'R1', name: 'Jane Doe' },
      },
      { kind: 'EMAIL', value: 'abuse@acme.example', data: { roles: ['abuse'] } },
    ]);
  });

  it('takes members of nameservers as nameservers even without their class name', () => {
    const answer = {
      objectClassName: 'domain',
      ldhName: 'acme.example',
      nameservers: [{ ldhName: 'NS9.ACME.EXAMPLE' }],
    };
    expect(keysOf(rdapFindingsFromJson(answer))).toEqual([
      'HOST ns9.acme.example',
      'OTHER acme.example',
    ]);
  });

  it('gives no findings for an error body or an empty body, and refuses garbage', () => {
    expect(parseRdap('{"errorCode":404,"title":"Object not found","notices":[]}')).toEqual([]);
    expect(parseRdap('')).toEqual([]);
    expect(() => parseRdap('{"objectClassName": "domain", "ldhName": ')).toThrow(
      /^malformed JSON in RDAP answer/,
    );
  });
});
