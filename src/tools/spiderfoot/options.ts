import { z } from 'zod';

const USE_CASES = ['all', 'Footprint', 'Investigate', 'Passive'] as const;

/**
 * SpiderFoot compares use cases case-sensitively, and `passive` silently selects no module, so
 * any spelling is accepted here and sent the way SpiderFoot spells it.
 */
const useCase = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? (USE_CASES.find((u) => u.toLowerCase() === v.trim().toLowerCase()) ?? v)
      : v,
  z.enum(USE_CASES),
);

export const spiderfootOptionsSchema = z
  .object({
    /** Module selection by use case; used when neither modules nor eventTypes is given. */
    usecase: useCase.default('Passive'),
    /** Module names (`sfp_dnsresolve`); win over eventTypes and usecase. */
    modules: z
      .array(
        z
          .string()
          .trim()
          .regex(/^sfp_[a-z0-9_]{1,60}$/, 'must be a module name like sfp_whois'),
      )
      .max(300)
      .default([]),
    /** Event types wanted (`INTERNET_NAME`); SpiderFoot picks the modules producing them. */
    eventTypes: z
      .array(
        z
          .string()
          .trim()
          .regex(/^[A-Z0-9_]{2,60}$/, 'must be an event type like INTERNET_NAME'),
      )
      .max(300)
      .default([]),
    /** First wait between status checks; it grows while the scan runs. */
    pollSeconds: z.number().min(0.1).max(60).default(5),
  })
  .strict();

export type SpiderfootOptions = z.infer<typeof spiderfootOptionsSchema>;
