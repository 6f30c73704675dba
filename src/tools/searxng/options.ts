import { z } from 'zod';

/** SearXNG names categories and engines in lower case with spaces (`google cse`, `it`). */
const name = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_ .-]{1,40}$/, 'must be a SearXNG category or engine name');

export const MAX_PAGES = 5;

export const searxngOptionsSchema = z
  .object({
    /** SearXNG categories (`general`, `news`, `it`, …); the instance's default when empty. */
    categories: z.array(name).max(10).default([]),
    /** Engines to ask, added to those of the categories. */
    engines: z.array(name).max(20).default([]),
    /** `all`, `auto`, or a language tag such as `en` or `de-CH`. */
    language: z
      .string()
      .trim()
      .regex(/^(all|auto|[a-z]{2,3}(-[A-Za-z]{2})?)$/, 'must be all, auto, or a tag like en-US')
      .optional(),
    timeRange: z.enum(['day', 'week', 'month', 'year']).optional(),
    /** Result pages to fetch; paging stops early when a page adds nothing new. */
    pages: z.number().int().min(1).max(MAX_PAGES).default(1),
  })
  .strict();

export type SearxngOptions = z.infer<typeof searxngOptionsSchema>;
