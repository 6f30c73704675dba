import { z } from 'zod';

import type { ToolAdapter } from '../tool.js';
import { parseRdap } from './parse.js';
import { rdapRunSeconds, runRdap } from './run.js';

export const rdapOptionsSchema = z.object({}).strict();
export type RdapOptions = z.infer<typeof rdapOptionsSchema>;

/** Registration data of a domain or IP network over RDAP (RFC 9083), through RDAP_URL. */
export const rdapTool: ToolAdapter<RdapOptions> = {
  name: 'rdap',
  description:
    'Registration data over RDAP: registrar, status, dates, name servers and contact e-mails ' +
    'of a domain (an e-mail address: its domain), network range and holder of an IP',
  transport: 'NATIVE',
  targetKinds: ['DOMAIN', 'IP', 'EMAIL'],
  options: rdapOptionsSchema,
  timeoutSeconds: rdapRunSeconds,

  // RDAP_URL always has a value. A bootstrap service answers for many registries, so a probe
  // would prove little and load a public service; the check makes no network call.
  async checkAvailability() {
    return { available: true };
  },

  run: runRdap,
  parse: parseRdap,
};
