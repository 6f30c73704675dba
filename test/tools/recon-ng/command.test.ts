import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

import { afterAll, describe, expect, it } from 'vitest';

import {
  buildReconNgCommand,
  DEFAULT_MODULE,
  InvalidTargetError,
  reconNgInvocations,
  reconNgOptionsSchema,
  shellQuote,
  validateDomain,
  workspaceName,
} from '../../../src/tools/recon-ng/command.js';
import { writeStandIn, type StandIn } from './stand-in.js';

const run = promisify(execFile);

/** What a real POSIX shell makes of `text`: each resulting word, as printf prints it. */
async function wordsOf(text: string): Promise<string[]> {
  const { stdout } = await run('sh', ['-c', `printf '%s\\0' ${text}`]);
  return stdout.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  const nasty = [
    '',
    'plain',
    "it's",
    "'",
    "''",
    '$(id)',
    '`id`',
    '"; rm -rf / #',
    'a\\b\\\\c',
    'two  spaces\tand tab',
    'line\nbreak',
    '*',
    '-n',
    '$HOME ${PATH} $1 $@',
    'ünïcødé ✓',
    "x'; touch /tmp/pwned; echo '",
  ];

  it.each(nasty)('makes a real shell see exactly one word: %j', async (arg) => {
    expect(await wordsOf(shellQuote(arg))).toEqual([arg]);
  });

  it('keeps arguments apart when joined', async () => {
    expect(await wordsOf(nasty.map(shellQuote).join(' '))).toEqual(nasty);
  });

  it('refuses a NUL byte, which no argv can carry', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('validateDomain', () => {
  it.each(['example.com', 'a-b.example.co.uk', 'xn--bcher-kva.example', 'x.io', '3com.com'])(
    'accepts %s',
    (domain) => {
      expect(validateDomain(domain)).toBe(domain);
    },
  );

  it.each([
    '-example.com',
    '-o',
    '--help',
    'example-.com',
    "exa'mple.com",
    'example.com;id',
    '$(id).example.com',
    'exa mple.com',
    'example',
    'example..com',
    '192.0.2.1',
    'EXAMPLE.COM',
    `${'a'.repeat(64)}.com`,
    'example.com\n',
    '',
  ])('rejects %j', (value) => {
    expect(() => validateDomain(value)).toThrow(InvalidTargetError);
  });
});

describe('options', () => {
  it('defaults to one passive host-discovery module', () => {
    expect(reconNgOptionsSchema.parse({})).toEqual({
      modules: [DEFAULT_MODULE],
      moduleOptions: {},
    });
  });

  it.each(['recon/domains-hosts/x; id', 'Recon/x', '../x', 'recon', 'recon/x y', '-x'])(
    'rejects module %j',
    (module) => {
      expect(reconNgOptionsSchema.safeParse({ modules: [module] }).success).toBe(false);
    },
  );

  it('rejects option values recon-cli would mangle and a SOURCE that is not the target', () => {
    const parse = (moduleOptions: Record<string, string>) =>
      reconNgOptionsSchema.safeParse({ moduleOptions }).success;
    expect(parse({ LIMIT: 'a=b' })).toBe(false);
    expect(parse({ LIMIT: 'a\nb' })).toBe(false);
    expect(parse({ SOURCE: 'other.example' })).toBe(false);
    expect(parse({ 'bad name': 'x' })).toBe(false);
    expect(parse({ LIMIT: "two words and a ' quote" })).toBe(true);
  });
});

describe('workspaceName', () => {
  it('derives a safe, per-run name', () => {
    expect(workspaceName('0b6f2c1e-7a4d-4c39-9d2e-3f1a2b3c4d5e')).toBe(
      'loom_0b6f2c1e_7a4d_4c39_9d2e_3f1a2b3c4d5e',
    );
    expect(workspaceName("run'; rm -rf /")).toMatch(/^loom_[a-z0-9_]+$/);
    expect(() => workspaceName('---')).toThrow();
  });
});

describe('buildReconNgCommand', () => {
  const input = {
    program: '/opt/recon-ng/recon-cli',
    domain: 'example.com',
    workspace: 'loom_run_1',
    options: reconNgOptionsSchema.parse({
      modules: ['recon/domains-hosts/hackertarget', 'recon/domains-hosts/certificate_transparency'],
      moduleOptions: { USER_AGENT: "Mozilla 5.0 it's me" },
    }),
  };

  it('runs each module in its own recon-cli, then prints the hosts table', () => {
    const quiet = ['--no-version', '--no-analytics', '--no-marketplace'];
    const base = ['/opt/recon-ng/recon-cli', '-w', 'loom_run_1', ...quiet];
    const options = ['-o', 'SOURCE=example.com', '-o', "USER_AGENT=Mozilla 5.0 it's me", '-x'];
    expect(reconNgInvocations(input)).toEqual([
      [...base, '-m', 'recon/domains-hosts/hackertarget', ...options],
      [...base, '-m', 'recon/domains-hosts/certificate_transparency', ...options],
      [...base, '-C', 'show hosts'],
    ]);
  });

  it('is one sh -c word list whose script a real shell splits back into the arguments', async () => {
    const words = await wordsOf(buildReconNgCommand(input));
    expect(words.slice(0, 2)).toEqual(['sh', '-c']);
    expect(words).toHaveLength(3);
    const script = words[2]!;
    for (const argv of reconNgInvocations(input)) {
      expect(script).toContain(argv.map(shellQuote).join(' '));
    }
    expect(script).toContain(shellQuote('workspaces remove loom_run_1'));
  });

  it('validates the target before building anything', () => {
    expect(() => buildReconNgCommand({ ...input, domain: "x.com' ; id ; '" })).toThrow(
      InvalidTargetError,
    );
  });
});

describe('the remote script, run by a local sh', () => {
  const standIns: StandIn[] = [];
  afterAll(() => Promise.all(standIns.map((s) => s.remove())));

  /** Starts the command as sshd would: its own session, stdin a pipe the client holds. */
  async function start(options: Parameters<typeof writeStandIn>[0]) {
    const fake = await writeStandIn(options);
    standIns.push(fake);
    const command = buildReconNgCommand({
      program: fake.program,
      domain: 'example.com',
      workspace: 'loom_local',
      options: reconNgOptionsSchema.parse({}),
    });
    const child = spawn('sh', ['-c', command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { fake, child, exited, stdout: () => stdout };
  }

  async function sleepers(marker: string): Promise<number> {
    const { stdout } = await run('pgrep', ['-f', `sleep ${marker}`]).catch(() => ({ stdout: '' }));
    return stdout.split('\n').filter(Boolean).length;
  }

  it('passes the first failing exit status through, after removing the workspace', async () => {
    const { fake, exited } = await start({ runExit: 3 });
    expect(await exited).toEqual({ code: 3, signal: null });
    const invocations = await fake.invocations();
    expect(invocations.map((argv) => argv.at(-1))).toEqual(['-x', 'workspaces remove loom_local']);
  });

  it('prints the output and exits 0 while stdin stays open', async () => {
    const { child, exited, stdout } = await start({ runOutput: ['[*] done'] });
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(stdout()).toContain('[*] done');
    child.stdin.end();
  });

  it('ends the whole process group when stdin reaches end of file', async () => {
    const marker = `${50 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    const { child, exited, stdout } = await start({ sleep: marker });
    await expect.poll(stdout).toContain('module sleeping');
    expect(await sleepers(marker)).toBe(1);

    child.stdin.end();
    expect((await exited).signal).toBe('SIGTERM');
    await expect.poll(() => sleepers(marker)).toBe(0);
  });
});
