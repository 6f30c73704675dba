import { z } from 'zod';

/** Site names as Sherlock lists them: `osu!`, `Steam Community (User)`, `Mastodon.social`. */
const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._!()+-]{0,63}$/;

export const sherlockOptionsSchema = z.object({
  /** `--timeout`: seconds per site request (Sherlock's own default is 60). */
  requestTimeoutSeconds: z.number().int().min(1).max(120).default(30),
  /** `--site`: only these sites; empty means every site. */
  sites: z.array(z.string().regex(SITE_NAME, 'not a Sherlock site name')).max(100).default([]),
  /** `--nsfw`: include sites marked NSFW. */
  nsfw: z.boolean().default(false),
  /**
   * `--local`: use the site list bundled with the image instead of downloading it. Defaults
   * to on when containers have no network (CONTAINER_NETWORK_MODE=none).
   */
  localSiteData: z.boolean().optional(),
});

export type SherlockOptions = z.infer<typeof sherlockOptionsSchema>;

// Letters, digits, `_`, `.`, `-`; never a leading `-` (a flag) or `.`, never `{?}` expansion.
const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export class InvalidUsernameError extends Error {
  readonly code = 'INVALID_TARGET';

  constructor(value: string) {
    super(`sherlock accepts a plain username only, not ${JSON.stringify(value.slice(0, 80))}`);
    this.name = 'InvalidUsernameError';
  }
}

export function validateUsername(value: string): string {
  if (!USERNAME.test(value) || value.includes('..')) throw new InvalidUsernameError(value);
  return value;
}

/** The CLI arguments for one username: an argument array, nothing a shell reads. */
export function sherlockArgs(
  username: string,
  options: SherlockOptions,
  networkMode: string,
): string[] {
  const local = options.localSiteData ?? networkMode === 'none';
  return [
    '--print-found',
    '--no-color',
    '--timeout',
    String(options.requestTimeoutSeconds),
    ...(local ? ['--local'] : []),
    ...(options.nsfw ? ['--nsfw'] : []),
    ...options.sites.flatMap((site) => ['--site', site]),
    // Ends option parsing: the username can never be read as a flag.
    '--',
    validateUsername(username),
  ];
}
