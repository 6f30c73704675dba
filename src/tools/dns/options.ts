import { z } from 'zod';

/**
 * Labels tried by the subdomain probe: names common across hosting, mail and office setups.
 * Kept in rows (formatter off) because one label per line would make a word list 50 lines long.
 */
// prettier-ignore
export const COMMON_LABELS = [
  'www', 'mail', 'webmail', 'smtp', 'imap', 'pop', 'mx', 'ns1', 'ns2', 'ns3',
  'api', 'app', 'admin', 'portal', 'login', 'sso', 'auth', 'id', 'vpn', 'remote',
  'dev', 'test', 'staging', 'beta', 'demo', 'git', 'gitlab', 'jenkins', 'ci', 'docs',
  'blog', 'shop', 'store', 'cdn', 'static', 'media', 'img', 'assets', 'files', 'ftp',
  'support', 'help', 'status', 'intranet', 'owa', 'autodiscover', 'calendar', 'm', 'crm', 'cloud',
] as const;

export const MAX_CUSTOM_LABELS = 200;

/** One DNS label (RFC 1035 letters, digits, hyphens; underscores for service labels). */
const dnsLabel = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?!-)[a-z0-9_-]{1,63}(?<!-)$/, 'must be one DNS label: 1-63 letters, digits, - or _');

export const dnsOptionsSchema = z
  .object({
    /**
     * Active probing: asks for A, AAAA and CNAME of every `label.domain`. Off by default,
     * because unlike the other queries it sends the target's name servers many guesses.
     */
    subdomains: z.boolean().default(false),
    /** Extra labels for the probe, on top of the built-in list. */
    labels: z.array(dnsLabel).max(MAX_CUSTOM_LABELS).default([]),
    /** Queries in flight at once. */
    concurrency: z.number().int().min(1).max(32).default(8),
  })
  .strict()
  .refine((o) => o.subdomains || o.labels.length === 0, {
    message: 'labels are only used by the subdomain probe: set subdomains to true',
    path: ['labels'],
  });

export type DnsOptions = z.infer<typeof dnsOptionsSchema>;

/** The probe's labels: built-in first, then the custom ones not already in it. */
export function probeLabels(options: DnsOptions): string[] {
  return [...new Set<string>([...COMMON_LABELS, ...options.labels])];
}
