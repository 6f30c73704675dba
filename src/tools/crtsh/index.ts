import type { ToolAdapter } from '../tool.js';
import { crtshOptionsSchema, type CrtshOptions } from './options.js';
import { parseCrtsh } from './parse.js';
import { crtshRunSeconds, runCrtsh } from './run.js';

/** Names below a domain from the certificate-transparency logs, as crt.sh indexes them. */
export const crtshTool: ToolAdapter<CrtshOptions> = {
  name: 'crtsh',
  description:
    'Host names and e-mail addresses below a domain from certificate-transparency logs (crt.sh)',
  transport: 'NATIVE',
  targetKinds: ['DOMAIN'],
  options: crtshOptionsSchema,
  timeoutSeconds: crtshRunSeconds,

  // CRTSH_URL always has a value. Probing the public crt.sh on every check would load a
  // service that is already slow for everyone, so the check makes no network call.
  async checkAvailability() {
    return { available: true };
  },

  run: runCrtsh,
  parse: parseCrtsh,
};
