import type { CaaRecord, promises as dns } from 'node:dns';

import { isDmarcRecord, isSpfRecord, parseDmarc, parseSpf, parseTagList } from './mail-policy.js';
import type { DnsAnswer, DnsAnswerType } from './records.js';

/**
 * One query of a run: what it asks and how its records become answers. An empty answer list
 * means the name exists but holds nothing of interest (a TXT set without SPF, say).
 */
export interface Lookup {
  type: DnsAnswerType;
  name: string;
  ask(resolver: dns.Resolver): Promise<DnsAnswer[]>;
  /** Probe lookups: a miss is the normal case and is not written to the output. */
  quiet?: boolean;
}

/** Services whose SRV records commonly reveal hosts (RFC 6186, RFC 6120, RFC 3263, …). */
export const SRV_SERVICES = [
  '_sip._tcp',
  '_sip._udp',
  '_sips._tcp',
  '_sipfederationtls._tcp',
  '_xmpp-server._tcp',
  '_xmpp-client._tcp',
  '_ldap._tcp',
  '_kerberos._tcp',
  '_autodiscover._tcp',
  '_caldavs._tcp',
  '_carddavs._tcp',
  '_imaps._tcp',
  '_submission._tcp',
] as const;

export function domainLookups(domain: string): Lookup[] {
  return [
    addresses('A', domain),
    addresses('AAAA', domain),
    {
      type: 'CNAME',
      name: domain,
      ask: async (r) => [cname(domain, await r.resolveCname(domain))],
    },
    {
      type: 'MX',
      name: domain,
      ask: async (r) => [{ type: 'MX', name: domain, records: await r.resolveMx(domain) }],
    },
    {
      type: 'NS',
      name: domain,
      ask: async (r) => [{ type: 'NS', name: domain, records: await r.resolveNs(domain) }],
    },
    {
      type: 'TXT',
      name: domain,
      ask: async (r) => {
        const records = joinTxt(await r.resolveTxt(domain));
        return [{ type: 'TXT', name: domain, records }, ...spfAnswers(domain, records)];
      },
    },
    {
      type: 'SOA',
      name: domain,
      ask: async (r) => [{ type: 'SOA', name: domain, records: [await r.resolveSoa(domain)] }],
    },
    {
      type: 'CAA',
      name: domain,
      ask: async (r) => [
        { type: 'CAA', name: domain, records: caaRecords(await r.resolveCaa(domain)) },
      ],
    },
    ...SRV_SERVICES.map((service): Lookup => {
      const name = `${service}.${domain}`;
      return {
        type: 'SRV',
        name,
        ask: async (r) => [{ type: 'SRV', name, records: await r.resolveSrv(name) }],
      };
    }),
    ...policyLookups(domain),
  ];
}

/** For an address: the domain's mail exchangers and the policies that protect its mail. */
export function emailLookups(domain: string): Lookup[] {
  return [
    {
      type: 'MX',
      name: domain,
      ask: async (r) => [{ type: 'MX', name: domain, records: await r.resolveMx(domain) }],
    },
    {
      type: 'SPF',
      name: domain,
      ask: async (r) => spfAnswers(domain, joinTxt(await r.resolveTxt(domain))),
    },
    ...policyLookups(domain),
  ];
}

export function ipLookups(ip: string): Lookup[] {
  return [
    {
      type: 'PTR',
      name: ip,
      ask: async (r) => [{ type: 'PTR', name: ip, records: await r.reverse(ip) }],
    },
  ];
}

/** A, AAAA and CNAME of each `label.domain`, quiet about the names that do not exist. */
export function probeLookups(domain: string, labels: readonly string[]): Lookup[] {
  return labels.flatMap((label) => {
    const name = `${label}.${domain}`;
    return [
      { ...addresses('A', name), quiet: true },
      { ...addresses('AAAA', name), quiet: true },
      {
        type: 'CNAME',
        name,
        quiet: true,
        ask: async (r) => [cname(name, await r.resolveCname(name))],
      },
    ] satisfies Lookup[];
  });
}

export function addresses(type: 'A' | 'AAAA', name: string): Lookup {
  return {
    type,
    name,
    ask: async (r) => {
      const records = type === 'A' ? await r.resolve4(name) : await r.resolve6(name);
      return [{ type, name, records }];
    },
  };
}

function policyLookups(domain: string): Lookup[] {
  return [
    taggedPolicy('DMARC', `_dmarc.${domain}`, isDmarcRecord, (name, records) => ({
      type: 'DMARC',
      name,
      records: records.map(parseDmarc),
    })),
    taggedPolicy('MTA-STS', `_mta-sts.${domain}`, startsWith('v=STSv1'), (name, records) => ({
      type: 'MTA-STS',
      name,
      records: records.map(parseTagList),
    })),
    taggedPolicy('TLSRPT', `_smtp._tls.${domain}`, startsWith('v=TLSRPTv1'), (name, records) => ({
      type: 'TLSRPT',
      name,
      records: records.map(parseTagList),
    })),
  ];
}

/**
 * A TXT name that should hold one kind of policy. Its other TXT strings are kept as a plain TXT
 * answer, so a malformed policy is still visible to the analyst.
 */
function taggedPolicy(
  type: 'DMARC' | 'MTA-STS' | 'TLSRPT',
  name: string,
  matches: (txt: string) => boolean,
  build: (name: string, records: string[]) => DnsAnswer,
): Lookup {
  return {
    type,
    name,
    ask: async (r) => {
      const records = joinTxt(await r.resolveTxt(name));
      const policies = records.filter(matches);
      const others = records.filter((txt) => !matches(txt));
      const answers: DnsAnswer[] = [];
      if (policies.length > 0) answers.push(build(name, policies));
      if (others.length > 0) answers.push({ type: 'TXT', name, records: others });
      return answers;
    },
  };
}

function spfAnswers(domain: string, txt: readonly string[]): DnsAnswer[] {
  const records = txt.filter(isSpfRecord).map(parseSpf);
  return records.length > 0 ? [{ type: 'SPF', name: domain, records }] : [];
}

function startsWith(prefix: string): (txt: string) => boolean {
  const pattern = new RegExp(`^${prefix}\\s*(;|$)`, 'i');
  return (txt) => pattern.test(txt.trim());
}

/** A TXT record arrives as several strings of at most 255 bytes; they form one value. */
function joinTxt(chunks: string[][]): string[] {
  return chunks.map((parts) => parts.join(''));
}

function cname(name: string, records: string[]): DnsAnswer {
  return { type: 'CNAME', name, records };
}

/** Drops the keys c-ares leaves undefined so the record reads the same once saved. */
function caaRecords(records: CaaRecord[]): Record<string, string | number>[] {
  return records.map((record) => {
    const entries = Object.entries(record) as [string, string | number | undefined][];
    return Object.fromEntries(
      entries.filter((entry): entry is [string, string | number] => entry[1] !== undefined),
    );
  });
}
