import { z } from 'zod';

export const crtshOptionsSchema = z
  .object({
    /** Only certificates still valid: a smaller, faster answer, but names of the past are lost. */
    excludeExpired: z.boolean().default(false),
  })
  .strict();

export type CrtshOptions = z.infer<typeof crtshOptionsSchema>;
