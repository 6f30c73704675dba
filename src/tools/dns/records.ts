import { z } from 'zod';

import type { ParsedFinding } from '../../findings/finding.js';
import { normalizeEmail, normalizeHost, normalizeIp } from '../../findings/normalize.js';
import { mailtoAddresses, splitUris } from './mail-policy.js';

/**
 * One line of the dns tool's output: the answer to one query, as JSON. The tool writes these as
 * the queries answer, and `parseDns` reads them back, so a saved output gives the same findings
 * as the run that wrote it.
 */

const soa = z.object({
  nsname: z.string(),
  hostmaster: z.string(),
  serial: z.number(),
  refresh: z.number(),
  retry: z.number(),
  expire: z.number(),
  minttl: z.number(),
});

const caa = z.record(z.string(), z.union([z.string(), z.number()]));

const spf = z.looseObject({
  record: z.string(),
  includes: z.array(z.string()),
  all: z.string().optional(),
});

const dmarc = z.looseObject({
  record: z.string(),
  p: z.string().optional(),
  rua: z.array(z.string()),
  ruf: z.array(z.string()),
});

const answerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.enum(['A', 'AAAA']), name: z.string(), records: z.array(z.string()) }),
  z.object({
    type: z.enum(['CNAME', 'NS', 'PTR']),
    name: z.string(),
    records: z.array(z.string()),
  }),
  z.object({ type: z.literal('TXT'), name: z.string(), records: z.array(z.string()) }),
  z.object({
    type: z.literal('MX'),
    name: z.string(),
    records: z.array(z.object({ priority: z.number(), exchange: z.string() })),
  }),
  z.object({ type: z.literal('SOA'), name: z.string(), records: z.array(soa) }),
  z.object({ type: z.literal('CAA'), name: z.string(), records: z.array(caa) }),
  z.object({
    type: z.literal('SRV'),
    name: z.string(),
    records: z.array(
      z.object({ priority: z.number(), weight: z.number(), port: z.number(), name: z.string() }),
    ),
  }),
  z.object({ type: z.literal('SPF'), name: z.string(), records: z.array(spf) }),
  z.object({ type: z.literal('DMARC'), name: z.string(), records: z.array(dmarc) }),
  z.object({
    type: z.enum(['MTA-STS', 'TLSRPT']),
    name: z.string(),
    records: z.array(z.record(z.string(), z.string())),
  }),
]);

const statusSchema = z.object({
  type: z.string(),
  name: z.string(),
  status: z.enum(['NXDOMAIN', 'NODATA', 'FAILED']),
});

export type DnsAnswer = z.infer<typeof answerSchema>;
export type DnsAnswerType = DnsAnswer['type'];

/** A query without records: NXDOMAIN and NODATA are answers too; FAILED names its error code. */
export interface DnsStatusLine {
  type: DnsAnswerType;
  name: string;
  status: 'NXDOMAIN' | 'NODATA' | 'FAILED';
  error?: string;
}

/**
 * Reads one output line: an answer, `status` for a line of this tool without records, or
 * undefined for anything the tool did not write.
 */
export function readLine(line: string): DnsAnswer | 'status' | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  const answer = answerSchema.safeParse(value);
  if (answer.success) return answer.data;
  return statusSchema.safeParse(value).success ? 'status' : undefined;
}

export function formatLine(entry: DnsAnswer | DnsStatusLine): string {
  return JSON.stringify(entry);
}

/**
 * The findings of one answer: the names and addresses it points to (HOST, IP, EMAIL), and one
 * OTHER finding for the record set itself (`MX example.com`) with the records in `data`.
 */
export function answerFindings(answer: DnsAnswer): ParsedFinding[] {
  const found: ParsedFinding[] = [];
  const record = { record: answer.type, name: answer.name };
  const addHost = (value: string) => {
    const normalized = normalizeHost(value);
    if (normalized) found.push({ kind: 'HOST', value: normalized, data: record });
  };
  const addEmail = (value: string) => {
    const normalized = normalizeEmail(value);
    if (normalized) found.push({ kind: 'EMAIL', value: normalized, data: record });
  };

  switch (answer.type) {
    case 'A':
    case 'AAAA':
      addHost(answer.name);
      for (const address of answer.records) {
        const ip = normalizeIp(address);
        if (ip) found.push({ kind: 'IP', value: ip, data: { ...record, host: answer.name } });
      }
      break;
    case 'CNAME':
      addHost(answer.name);
      answer.records.forEach(addHost);
      break;
    case 'NS':
    case 'PTR':
      answer.records.forEach(addHost);
      break;
    case 'MX':
      // A null MX (RFC 7505) names "." and means "accepts no mail": not a host.
      answer.records.forEach((mx) => addHost(mx.exchange));
      break;
    case 'SRV':
      answer.records.forEach((srv) => addHost(srv.name));
      break;
    case 'DMARC':
      for (const policy of answer.records) {
        mailtoAddresses([...policy.rua, ...policy.ruf]).forEach(addEmail);
      }
      break;
    case 'TLSRPT':
      for (const tags of answer.records) mailtoAddresses(splitUris(tags.rua)).forEach(addEmail);
      break;
    default:
      break;
  }

  found.push({
    kind: 'OTHER',
    value: `${answer.type} ${answer.name}`,
    data: { type: answer.type, name: answer.name, records: answer.records },
  });
  return found;
}
