import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { testConfig } from '../../../src/config/config.js';
import { reconNgOptionsSchema } from '../../../src/tools/recon-ng/command.js';
import {
  closeReconNgPools,
  reconNgPool,
  reconNgTool,
  RemoteExitError,
} from '../../../src/tools/recon-ng/index.js';
import { ToolError } from '../../../src/tools/tool.js';
import { haveFixtures, readFixture } from '../../support/fixtures.js';
import { generateKey, haveSshd, startSshd, type RunningSshd } from '../../support/sshd.js';
import { captureContext, countByKind, writeStandIn, type StandIn } from './stand-in.js';

const exec = promisify(execFile);

const FIXTURE = 'recon-ng/reconng_5.1.1_show_hosts_31_rows.txt';
const TARGET = { kind: 'DOMAIN' as const, value: 'tesla.com' };

let sshd: RunningSshd;
const standIns: StandIn[] = [];
let runs = 0;

function configFor(
  server: RunningSshd,
  program: string,
  overrides: Record<string, string | undefined> = {},
) {
  return testConfig({
    RECONNG_SSH_HOST: '127.0.0.1',
    RECONNG_SSH_PORT: String(server.port),
    RECONNG_SSH_USER: server.user,
    RECONNG_SSH_KEY: server.clientKeyPath,
    RECONNG_SSH_KNOWN_HOSTS: join(server.dir, 'known_hosts'),
    RECONNG_COMMAND: program,
    RECONNG_SSH_KEEPALIVE_MS: '200',
    RECONNG_SSH_KEEPALIVE_COUNT_MAX: '2',
    RECONNG_SSH_READY_TIMEOUT_MS: '5000',
    ...overrides,
  });
}

async function standIn(options: Parameters<typeof writeStandIn>[0]) {
  const created = await writeStandIn(options);
  standIns.push(created);
  return created;
}

async function trustHost(server: RunningSshd, path = join(server.dir, 'known_hosts')) {
  await writeFile(path, `[127.0.0.1]:${server.port} ${server.hostPublicKey}\n`);
}

function startRun(
  config: ReturnType<typeof configFor>,
  options: Record<string, unknown> = {},
  signal = new AbortController().signal,
  target = TARGET,
) {
  runs += 1;
  const captured = captureContext(config, signal, `run-${process.pid}-${runs}`);
  const parsed = reconNgOptionsSchema.parse(options);
  const done = reconNgTool.run(target, parsed, captured.ctx);
  return { ...captured, done };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the run to fail');
}

/** Process ids whose command line contains `marker`, other than pgrep itself. */
async function processesMatching(marker: string): Promise<number[]> {
  const { stdout } = await exec('pgrep', ['-f', marker]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

async function untilLine(lines: string[], text: string): Promise<void> {
  const seen = await eventually(async () => lines.some((line) => line.includes(text)));
  if (!seen) throw new Error(`never saw ${text}; output: ${lines.join('\n')}`);
}

describe.skipIf(!haveSshd || !haveFixtures)('recon-ng over ssh against a real sshd', () => {
  beforeAll(async () => {
    sshd = await startSshd();
  });

  afterEach(async () => {
    await closeReconNgPools();
  });

  afterAll(async () => {
    await sshd?.stop();
    await Promise.all(standIns.map((s) => s.remove()));
  });

  it('streams output and reports the findings of the recorded show hosts table', async () => {
    const fake = await standIn({ fixture: FIXTURE, runOutput: ['[*] stand-in module run'] });
    await trustHost(sshd);
    const config = configFor(sshd, fake.program);

    const run = startRun(config);
    await run.done;

    const expected = JSON.parse(readFixture('expected.json'))[FIXTURE];
    const counts = countByKind(run.findings);
    for (const kind of ['HOST', 'IP', 'EMAIL', 'URL', 'ACCOUNT'] as const) {
      expect(counts[kind] ?? 0, kind).toBe(expected[kind]);
    }
    expect(run.lines).toContain('[*] stand-in module run');
    expect(run.lines).toContain('GLOBAL COMMAND => show hosts');
    expect(run.lines.some((line) => line.includes('webdisk.tcm-sec.com'))).toBe(true);
    expect(reconNgPool(config).stats()).toMatchObject({ channels: 0, queued: 0 });
  });

  it('passes every argument intact and removes the run workspace afterwards', async () => {
    const fake = await standIn({ fixture: FIXTURE });
    await trustHost(sshd);
    const value = `it's "quoted" $(id) \`id\` ; && | * two  spaces \\`;
    const run = startRun(configFor(sshd, fake.program), {
      modules: ['recon/domains-hosts/hackertarget', 'recon/hosts-hosts/resolve'],
      moduleOptions: { USER_AGENT: value },
    });
    await run.done;

    const [first, second, show, cleanup] = await fake.invocations();
    const workspace = first![first!.indexOf('-w') + 1]!;
    expect(workspace).toMatch(/^loom_run_\d+_\d+$/);
    expect(first).toEqual([
      '-w',
      workspace,
      '--no-version',
      '--no-analytics',
      '--no-marketplace',
      '-m',
      'recon/domains-hosts/hackertarget',
      '-o',
      'SOURCE=tesla.com',
      '-o',
      `USER_AGENT=${value}`,
      '-x',
    ]);
    expect(second).toContain('recon/hosts-hosts/resolve');
    expect(show!.slice(-2)).toEqual(['-C', 'show hosts']);
    expect(cleanup).toEqual([
      '-w',
      'default',
      '--no-version',
      '--no-analytics',
      '--no-marketplace',
      '-C',
      `workspaces remove ${workspace}`,
    ]);
  });

  it('rejects a target that is not a plain domain before anything runs on the host', async () => {
    const fake = await standIn({ fixture: FIXTURE });
    await trustHost(sshd);
    const config = configFor(sshd, fake.program);

    for (const value of ["tesla.com'; touch /tmp/x; '", '-x.example.com', 'tesla.com $(id)']) {
      const err = await failure(startRun(config, {}, undefined, { ...TARGET, value }).done);
      expect(err).toBeInstanceOf(ToolError);
      expect(err.message).toMatch(/domain name only/);
    }
    expect(await fake.invocations()).toEqual([]);
  });

  it('fails with the exit status and still cleans up when recon-cli fails', async () => {
    const fake = await standIn({ fixture: FIXTURE, runExit: 2, runOutput: ['usage: recon-cli'] });
    await trustHost(sshd);
    const config = configFor(sshd, fake.program);

    const run = startRun(config);
    const err = await failure(run.done);
    expect(err).toBeInstanceOf(RemoteExitError);
    expect((err as RemoteExitError).exitCode).toBe(2);
    expect(run.lines).toContain('usage: recon-cli');

    const invocations = await fake.invocations();
    expect(invocations).toHaveLength(2);
    expect(invocations[1]!.at(-1)).toMatch(/^workspaces remove loom_/);
    expect(reconNgPool(config).stats().channels).toBe(0);
  });

  it('turns recon-ng error lines into warnings', async () => {
    const error = '\u001b[31m[!] Invalid module name.\u001b[m';
    const fake = await standIn({ runOutput: [error] });
    await trustHost(sshd);

    const run = startRun(configFor(sshd, fake.program));
    await run.done;
    expect(run.warnings).toEqual(['recon-ng: Invalid module name.']);
  });

  it('on abort ends the remote processes and closes the channel', async () => {
    const marker = `${40 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    const fake = await standIn({ fixture: FIXTURE, sleep: marker });
    await trustHost(sshd);
    const config = configFor(sshd, fake.program);

    const controller = new AbortController();
    const run = startRun(config, {}, controller.signal);
    await untilLine(run.lines, 'module sleeping');
    expect(await processesMatching(`sleep ${marker}`)).toHaveLength(1);
    expect(reconNgPool(config).stats().channels).toBe(1);

    const started = Date.now();
    controller.abort(new Error('cancelled by test'));
    const err = await failure(run.done);
    expect(err.message).toBe('cancelled by test');
    expect(Date.now() - started).toBeLessThan(2500);

    expect(
      await eventually(async () => (await processesMatching(`sleep ${marker}`)).length === 0),
    ).toBe(true);
    // The remote watchdog itself lingers up to its 2 s SIGKILL grace, then goes too.
    expect(await eventually(async () => (await processesMatching(fake.dir)).length === 0)).toBe(
      true,
    );
    expect(reconNgPool(config).stats()).toMatchObject({ channels: 0, queued: 0 });
  });

  it('on a deadline ends the remote processes too', async () => {
    const marker = `${40 + Math.floor(Math.random() * 1000)}.${process.pid}1`;
    const fake = await standIn({ fixture: FIXTURE, sleep: marker });
    await trustHost(sshd);
    const config = configFor(sshd, fake.program);

    const run = startRun(config, {}, AbortSignal.timeout(700));
    const err = await failure(run.done);
    expect(err.name).toBe('TimeoutError');
    expect(
      await eventually(async () => (await processesMatching(`sleep ${marker}`)).length === 0),
    ).toBe(true);
    expect(reconNgPool(config).stats().channels).toBe(0);
  });

  it('reuses one connection for runs in a row and closes it when idle', async () => {
    const fake = await standIn({ fixture: FIXTURE });
    await trustHost(sshd);
    const config = configFor(sshd, fake.program, { RECONNG_SSH_IDLE_MS: '300' });

    await startRun(config).done;
    await startRun(config).done;
    expect(reconNgPool(config).stats().connections).toBe(1);
    expect(await eventually(async () => reconNgPool(config).stats().connections === 0)).toBe(true);
  });

  it('closing the pools before a connection is up ends at once and fails the run', async () => {
    const fake = await standIn({ fixture: FIXTURE });
    await trustHost(sshd);
    const run = startRun(configFor(sshd, fake.program));

    const started = Date.now();
    await closeReconNgPools();
    const err = await failure(run.done);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toMatch(/connection closed by the pool/);
    expect(await fake.invocations()).toEqual([]);
  });

  describe('host keys', () => {
    it('production refuses an unknown host key and leaves known_hosts untouched', async () => {
      const fake = await standIn({ fixture: FIXTURE });
      const knownHosts = join(sshd.dir, 'known_hosts');
      await writeFile(knownHosts, '');
      const config = configFor(sshd, fake.program, { ENVIRONMENT: 'production' });

      const err = await failure(startRun(config).done);
      expect(err).toBeInstanceOf(ToolError);
      expect(err.message).toMatch(/host key for \[127\.0\.0\.1\]:\d+ .* is not in/);
      expect(await readFile(knownHosts, 'utf8')).toBe('');
      expect(await fake.invocations()).toEqual([]);

      const availability = await reconNgTool.checkAvailability({
        config,
        signal: AbortSignal.timeout(5000),
      });
      expect(availability.available).toBe(false);
      expect(availability.reason).toMatch(/is not in/);
    });

    it('development pins an unknown key, which production then accepts', async () => {
      const fake = await standIn({ fixture: FIXTURE });
      const knownHosts = join(sshd.dir, 'known_hosts');
      await writeFile(knownHosts, '# pinned keys\n');

      await startRun(configFor(sshd, fake.program)).done;
      expect(await readFile(knownHosts, 'utf8')).toBe(
        `# pinned keys\n[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`,
      );

      await closeReconNgPools();
      await startRun(configFor(sshd, fake.program, { ENVIRONMENT: 'production' })).done;
    });

    it('a changed host key fails in both modes', async () => {
      const fake = await standIn({ fixture: FIXTURE });
      const knownHosts = join(sshd.dir, 'known_hosts');
      const otherKey = (await generateKey(join(fake.dir, 'other')))
        .split(' ')
        .slice(0, 2)
        .join(' ');
      const text = `[127.0.0.1]:${sshd.port} ${otherKey}\n`;
      await writeFile(knownHosts, text);

      for (const ENVIRONMENT of ['development', 'production']) {
        const err = await failure(startRun(configFor(sshd, fake.program, { ENVIRONMENT })).done);
        expect(err.message).toMatch(/has CHANGED/);
        await closeReconNgPools();
      }
      expect(await readFile(knownHosts, 'utf8')).toBe(text);
      expect(await fake.invocations()).toEqual([]);
    });

    it('a hashed known_hosts entry matches', async () => {
      const fake = await standIn({ fixture: FIXTURE });
      const knownHosts = join(sshd.dir, 'known_hosts');
      await trustHost(sshd, knownHosts);
      await exec('ssh-keygen', ['-q', '-H', '-f', knownHosts]);
      const hashed = await readFile(knownHosts, 'utf8');
      expect(hashed).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);

      await startRun(configFor(sshd, fake.program, { ENVIRONMENT: 'production' })).done;
      expect(await readFile(knownHosts, 'utf8')).toBe(hashed);
    });
  });

  describe('availability', () => {
    it('is unavailable until configured, then proves the key with a handshake', async () => {
      await trustHost(sshd);
      const signal = AbortSignal.timeout(5000);
      const unconfigured = await reconNgTool.checkAvailability({ config: testConfig(), signal });
      expect(unconfigured).toEqual({ available: false, reason: 'RECONNG_SSH_HOST is not set' });

      const config = configFor(sshd, 'recon-cli');
      const noKey = configFor(sshd, 'recon-cli', { RECONNG_SSH_KEY: join(sshd.dir, 'absent') });
      expect(await reconNgTool.checkAvailability({ config: noKey, signal })).toEqual({
        available: false,
        reason: 'RECONNG_SSH_KEY is not a readable file',
      });

      const strangerKey = join(sshd.dir, 'stranger');
      await generateKey(strangerKey);
      const stranger = configFor(sshd, 'recon-cli', { RECONNG_SSH_KEY: strangerKey });
      const refused = await reconNgTool.checkAvailability({ config: stranger, signal });
      expect(refused.available).toBe(false);
      expect(refused.reason).toMatch(/authentication/i);

      const started = Date.now();
      expect(await reconNgTool.checkAvailability({ config, signal })).toEqual({ available: true });
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });
});

describe.skipIf(!haveSshd || !haveFixtures)('recon-ng ssh sessions and dead peers', () => {
  const servers: RunningSshd[] = [];

  afterEach(async () => {
    await closeReconNgPools();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  afterAll(() => Promise.all(standIns.map((s) => s.remove())));

  it('runs 12 at once against MaxSessions 10: at most 8 channels, the rest queued', async () => {
    const server = await startSshd({ maxSessions: 10 });
    servers.push(server);
    const fake = await standIn({ fixture: FIXTURE, sleep: '0.4' });
    await trustHost(server);
    const config = configFor(server, fake.program, { RECONNG_SSH_MAX_CONNECTIONS: '1' });
    const pool = reconNgPool(config);

    let peak = 0;
    let queued = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, pool.stats().channels);
      queued = Math.max(queued, pool.stats().queued);
    }, 10);
    const all = Array.from({ length: 12 }, () => startRun(config));
    try {
      await Promise.all(all.map((run) => run.done));
    } finally {
      clearInterval(sampler);
    }

    expect(peak).toBe(8);
    expect(queued).toBe(4);
    for (const run of all) expect(countByKind(run.findings).HOST).toBe(31);
    expect(pool.stats()).toMatchObject({ channels: 0, queued: 0, connections: 1 });
  });

  it('with the default two connections runs 12 at once, 8 and 4', async () => {
    const server = await startSshd({ maxSessions: 10 });
    servers.push(server);
    const fake = await standIn({ fixture: FIXTURE, sleep: '0.4' });
    await trustHost(server);
    const config = configFor(server, fake.program);
    const pool = reconNgPool(config);

    let peak = { channels: 0, connections: 0, queued: 0 };
    const sampler = setInterval(() => {
      const now = pool.stats();
      peak = {
        channels: Math.max(peak.channels, now.channels),
        connections: Math.max(peak.connections, now.connections),
        queued: Math.max(peak.queued, now.queued),
      };
    }, 10);
    const all = Array.from({ length: 12 }, () => startRun(config));
    try {
      await Promise.all(all.map((run) => run.done));
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toEqual({ channels: 12, connections: 2, queued: 0 });
  });

  it('drops a queued run on abort without ever opening its channel', async () => {
    const server = await startSshd();
    servers.push(server);
    const fake = await standIn({ fixture: FIXTURE, sleep: '1' });
    await trustHost(server);
    const config = configFor(server, fake.program, {
      RECONNG_SSH_MAX_CONNECTIONS: '1',
      RECONNG_SSH_MAX_CHANNELS: '1',
    });
    const pool = reconNgPool(config);

    const first = startRun(config);
    await untilLine(first.lines, 'module sleeping');
    const controller = new AbortController();
    const second = startRun(config, {}, controller.signal);
    await expect.poll(() => pool.stats().queued).toBe(1);

    controller.abort(new Error('cancelled while queued'));
    expect((await failure(second.done)).message).toBe('cancelled while queued');
    expect(pool.stats()).toMatchObject({ queued: 0, channels: 1 });
    await first.done;
    expect(second.lines).toEqual([]);
    expect(await fake.invocations()).toHaveLength(3);
  });

  it('queues instead of failing when the server allows fewer sessions than the cap', async () => {
    const server = await startSshd({ maxSessions: 3 });
    servers.push(server);
    const fake = await standIn({ fixture: FIXTURE, sleep: '0.3' });
    await trustHost(server);
    const config = configFor(server, fake.program, { RECONNG_SSH_MAX_CONNECTIONS: '1' });

    const all = Array.from({ length: 6 }, () => startRun(config));
    await Promise.all(all.map((run) => run.done));
    expect(reconNgPool(config).stats().channels).toBe(0);
  });

  it('fails a run at once when the sshd serving it is killed, and the command ends', async () => {
    const server = await startSshd();
    servers.push(server);
    const marker = `${40 + Math.floor(Math.random() * 1000)}.${process.pid}3`;
    const fake = await standIn({ fixture: FIXTURE, sleep: marker });
    await trustHost(server);
    const config = configFor(server, fake.program, { RECONNG_SSH_KEEPALIVE_MS: '60000' });

    const run = startRun(config);
    await untilLine(run.lines, 'module sleeping');

    const sleepers = await processesMatching(`sleep ${marker}`);
    const { stdout } = await exec('pgrep', ['-P', String(server.pid)]);
    const connections = stdout.split('\n').filter(Boolean).map(Number);
    expect(connections).toHaveLength(1);
    const started = Date.now();
    process.kill(connections[0]!, 'SIGKILL');

    const err = await failure(run.done);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toMatch(/ssh connection lost/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(reconNgPool(config).stats()).toMatchObject({ channels: 0, connections: 0 });
    // With its session gone the remote watchdog sees end of input and ends the command.
    expect(sleepers).toHaveLength(1);
    expect(
      await eventually(async () => (await processesMatching(`sleep ${marker}`)).length === 0),
    ).toBe(true);
  });

  it('fails a run within the keepalive window when the server stops answering', async () => {
    const server = await startSshd();
    servers.push(server);
    const marker = `${40 + Math.floor(Math.random() * 1000)}.${process.pid}2`;
    const fake = await standIn({ fixture: FIXTURE, sleep: marker });
    await trustHost(server);
    const config = configFor(server, fake.program);

    const run = startRun(config);
    await untilLine(run.lines, 'module sleeping');

    // Freeze the server's processes: the TCP connection stays up but nothing answers.
    const sleepers = await processesMatching(`sleep ${marker}`);
    const frozen = (await server.descendants()).filter((pid) => !sleepers.includes(pid));
    for (const pid of [server.pid, ...frozen]) process.kill(pid, 'SIGSTOP');

    try {
      const started = Date.now();
      const err = await failure(run.done);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(ToolError);
      expect(err.message).toMatch(/ssh connection lost: Keepalive timeout/);
      expect(elapsed).toBeLessThan(2000);
      expect(reconNgPool(config).stats()).toMatchObject({ channels: 0, connections: 0 });
    } finally {
      for (const pid of [server.pid, ...frozen]) process.kill(pid, 'SIGCONT');
      // A dead connection cannot carry a signal; end this test's own sleeper by its pid.
      for (const pid of await processesMatching(`sleep ${marker}`)) process.kill(pid, 'SIGKILL');
    }
  });
});
