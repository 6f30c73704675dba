import { z } from 'zod';

/**
 * Sources that need no API key and exist in theHarvester 4.x. An unknown name makes
 * theHarvester exit 1 with `[!] Invalid source.`, so the list stays conservative.
 */
export const DEFAULT_THEHARVESTER_SOURCES = [
  'crtsh',
  'certspotter',
  'duckduckgo',
  'hackertarget',
  'otx',
  'rapiddns',
  'urlscan',
] as const;

export const theharvesterOptionsSchema = z.object({
  /** `-b`: source names (or a 5.x capability such as `subdomains`), joined with commas. */
  sources: z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'not a theHarvester source name'))
    .min(1)
    .max(60)
    .default([...DEFAULT_THEHARVESTER_SOURCES]),
  /** `-l`: results to ask each search engine for. */
  limit: z.number().int().min(1).max(10_000).default(500),
});

export type TheHarvesterOptions = z.infer<typeof theharvesterOptionsSchema>;

/**
 * Where the report goes inside the container. theHarvester 4.x cuts `-f` at its last `.` and
 * writes `X.xml` and `X.json` (5.0 adds `X.jsonl`), so the base has no dot; /tmp exists and is
 * writable in every image, whatever user it runs as.
 */
export const REPORT_BASE = '/tmp/loom-theharvester';
export const REPORT_JSON = `${REPORT_BASE}.json`;
export const REPORT_XML = `${REPORT_BASE}.xml`;

/** The CLI arguments for one domain: an argument array, nothing a shell reads. */
export function theharvesterArgs(domain: string, options: TheHarvesterOptions): string[] {
  return [
    '-d',
    domain,
    '-b',
    options.sources.join(','),
    '-l',
    String(options.limit),
    '-f',
    REPORT_BASE,
  ];
}
