import { z } from 'zod';

const pluginName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be an IntelOwl plugin name like Classic_DNS');

export const intelowlOptionsSchema = z
  .object({
    /**
     * Analyzers to run. IntelOwl 5.2 and later refuse a job naming neither analyzers nor a
     * playbook; older servers run every analyzer then.
     */
    analyzers: z.array(pluginName).max(100).default([]),
    /** A playbook instead of analyzers (IntelOwl 5+). */
    playbook: pluginName.optional(),
    tlp: z.enum(['CLEAR', 'WHITE', 'GREEN', 'AMBER', 'RED']).optional(),
    /** Force a fresh analysis instead of reusing a job of the last 24 hours (IntelOwl 5.1+). */
    forceNew: z.boolean().default(true),
    /** First wait between job checks; it grows while the job runs. */
    pollSeconds: z.number().min(0.1).max(60).default(3),
  })
  .strict()
  .refine((o) => !(o.playbook && o.analyzers.length > 0), {
    message: 'name analyzers or a playbook, not both',
    path: ['playbook'],
  });

export type IntelowlOptions = z.infer<typeof intelowlOptionsSchema>;
