import { z } from 'zod';

/**
 * Builds the one command line sent over SSH for a recon-ng run. Every argument goes through
 * POSIX single-quote quoting; the only unquoted text is constant shell syntax written here.
 */

/** A passive module that needs no API key (recon-ng-marketplace `recon/domains-hosts`). */
export const DEFAULT_MODULE = 'recon/domains-hosts/hackertarget';

/** Module paths as recon-ng names them: lower-case path segments, no spaces or shell syntax. */
const MODULE_PATTERN = /^[a-z0-9_]+(?:\/[a-z0-9_-]+){1,4}$/;

/** Module option names are upper-case in recon-ng (`SOURCE`, `LIMIT`, `CONTACTS`). */
const OPTION_NAME_PATTERN = /^[A-Z][A-Z0-9_]{0,31}$/;

/** Printable text; recon-cli re-joins `NAME=VALUE` split on every `=`, so no `=` either. */
const OPTION_VALUE_PATTERN = /^[^\p{Cc}=]{0,200}$/u;

export const reconNgOptionsSchema = z.object({
  modules: z
    .array(z.string().regex(MODULE_PATTERN, 'not a recon-ng module path'))
    .min(1)
    .max(8)
    .default([DEFAULT_MODULE]),
  /** Extra module options, set with `-o NAME=VALUE` on every module. SOURCE is the target. */
  moduleOptions: z
    .record(
      z
        .string()
        .regex(OPTION_NAME_PATTERN, 'not a recon-ng option name')
        .refine((name) => name !== 'SOURCE', 'SOURCE is always the target'),
      z.string().regex(OPTION_VALUE_PATTERN, 'control characters and "=" are not allowed'),
    )
    .default({}),
});

export type ReconNgOptions = z.infer<typeof reconNgOptionsSchema>;

export class InvalidTargetError extends Error {
  readonly code = 'INVALID_TARGET';

  constructor(value: string) {
    super(`recon-ng accepts a domain name only, not ${JSON.stringify(value.slice(0, 80))}`);
    this.name = 'InvalidTargetError';
  }
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Accepts a lower-case ASCII (punycode) domain with at least two labels and an alphabetic or
 * `xn--` top-level label; returns it unchanged. Everything else — including anything that
 * could read as a flag or carry shell syntax — throws before a command is built.
 */
export function validateDomain(value: string): string {
  const labels = value.split('.');
  const tld = labels[labels.length - 1] ?? '';
  const valid =
    value.length <= 253 &&
    labels.length >= 2 &&
    labels.every((label) => LABEL.test(label)) &&
    /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld);
  if (!valid) throw new InvalidTargetError(value);
  return value;
}

/**
 * POSIX shell single-quote quoting: the result is one word whose value is exactly `arg`.
 * Inside single quotes nothing is special, so each `'` is closed, escaped and reopened.
 */
export function shellQuote(arg: string): string {
  // A NUL cannot be part of an argv string; refusing it beats a silently truncated argument.
  if (arg.includes('\0')) throw new Error('argument contains a NUL byte');
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** One quoted command: every word quoted, joined by spaces. */
export function quoteCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** recon-ng keeps one SQLite workspace per name; a per-run name keeps runs apart. */
export function workspaceName(runId: string): string {
  const safe = runId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (safe === '') throw new Error('run id has no usable characters for a workspace name');
  return `loom_${safe.slice(0, 48)}`;
}

export interface ReconNgCommandInput {
  /** `RECONNG_COMMAND`: the recon-cli program on the remote host. */
  program: string;
  domain: string;
  workspace: string;
  options: ReconNgOptions;
}

/** 5.x start-up makes outbound requests (index, version, analytics) unless told not to. */
const QUIET_FLAGS = ['--no-version', '--no-analytics', '--no-marketplace'];

/**
 * The argv of each recon-cli invocation of one run, in order: one per module (recon-cli
 * loads a single `-m`; a repeated flag would keep only the last), then `show hosts` so the
 * run ends with the workspace's table of hosts.
 */
export function reconNgInvocations(input: ReconNgCommandInput): string[][] {
  const domain = validateDomain(input.domain);
  const base = [input.program, '-w', input.workspace, ...QUIET_FLAGS];
  const extraOptions = Object.entries(input.options.moduleOptions).flatMap(([name, value]) => [
    '-o',
    `${name}=${value}`,
  ]);

  const modules = input.options.modules.map((module) => [
    ...base,
    '-m',
    module,
    '-o',
    `SOURCE=${domain}`,
    ...extraOptions,
    '-x',
  ]);
  return [...modules, [...base, '-C', 'show hosts']];
}

/** Seconds the remote watchdog waits between SIGTERM and SIGKILL for the process group. */
const REMOTE_KILL_GRACE_SECONDS = 2;

/**
 * The remote command line: `sh -c SCRIPT`, so the syntax means the same whatever the login
 * shell is. The invocations run in order and stop at the first failure; the run's workspace
 * is then removed whatever happened; the exit status is the first failure's (or 0).
 *
 * The work runs in the background while a watchdog reads the session's stdin, which the
 * client never writes to. End-of-file there means the client sent EOF or closed the channel
 * (an abort) or sshd itself went away: the watchdog then sends SIGTERM, and SIGKILL after a
 * grace period, to the session's whole process group. A session signal alone is not enough:
 * OpenSSH ignores signal requests for root logins and before 7.9.
 */
export function buildReconNgCommand(input: ReconNgCommandInput): string {
  const steps = reconNgInvocations(input).map(quoteCommand).join(' && ');
  const cleanup = quoteCommand([
    input.program,
    '-w',
    'default',
    ...QUIET_FLAGS,
    '-C',
    `workspaces remove ${input.workspace}`,
  ]);

  const script = [
    // Without job control a background list reads /dev/null; keep the real stdin on fd 3.
    'exec 3<&0',
    // Nothing is fed to recon-cli: a module that prompts reads end-of-file instead of hanging.
    `( ${steps}; status=$?; ${cleanup} >/dev/null 2>&1; exit $status ) </dev/null 3<&- &`,
    'work=$!',
    "( while read -r _; do :; done <&3; trap '' TERM; kill -TERM 0; " +
      `sleep ${REMOTE_KILL_GRACE_SECONDS}; kill -KILL 0 ) >/dev/null 2>&1 &`,
    'watchdog=$!',
    'wait $work',
    'status=$?',
    'kill $watchdog 2>/dev/null',
    'exit $status',
  ].join('\n');
  return quoteCommand(['sh', '-c', script]);
}
