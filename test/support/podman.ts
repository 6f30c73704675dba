import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import Docker from 'dockerode';

import { writeTar, type TarInput } from './tar-writer.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const serviceScript = resolve(root, 'scripts/podman-service.sh');
const BUSYBOX = '/bin/busybox';
const DEFAULT_LINKS = [
  'sh',
  'cat',
  'echo',
  'printf',
  'sleep',
  'head',
  'yes',
  'dd',
  'seq',
  'true',
  'false',
  'ls',
  'mkdir',
  'cp',
  'rm',
  'kill',
  'env',
  'tr',
  'sed',
];

export interface PodmanService {
  socketPath: string;
}

/**
 * Starts (or finds) podman's Docker-compatible API service through scripts/podman-service.sh.
 * Resolves undefined, with a notice on stderr, when podman is not installed; with
 * LOOM_REQUIRE_PODMAN=1 (set by CI) that is an error instead, so suites never skip silently.
 */
export async function ensurePodman(): Promise<PodmanService | undefined> {
  const required = process.env.LOOM_REQUIRE_PODMAN === '1';
  const unavailable = (why: string): undefined => {
    if (required) throw new Error(`LOOM_REQUIRE_PODMAN=1 but ${why}`);
    process.stderr.write(`${why}: container tests skip\n`);
    return undefined;
  };

  try {
    await run('podman', ['--version']);
  } catch {
    return unavailable('podman is not installed (apt-get install podman runc jq)');
  }

  try {
    const { stdout } = await run('bash', [serviceScript], { timeout: 60_000 });
    const socketPath = stdout.trim().split('\n').pop() ?? '';
    if (!existsSync(socketPath)) return unavailable(`podman service gave no socket: ${stdout}`);
    return { socketPath };
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    return unavailable(`the podman API service did not start (${detail})`);
  }
}

export interface ToolImageOptions {
  /** Busybox applets linked into /bin; defaults cover what a replay script needs. */
  links?: string[];
}

/**
 * Builds a tiny image from Debian's static busybox plus `files` (path inside the image →
 * content; a content starting with `#!` is made executable) and imports it through the
 * Docker API. The tag is a hash of the content, so an unchanged image is reused.
 */
export async function buildToolImage(
  docker: Docker,
  name: string,
  files: Record<string, string | Buffer>,
  options: ToolImageOptions = {},
): Promise<string> {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} missing (apt-get install busybox-static)`);
  const busybox = readFileSync(BUSYBOX);
  const links = options.links ?? DEFAULT_LINKS;

  const hash = createHash('sha256').update(busybox).update(links.join(','));
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(path).update('\0').update(content).update('\0');
  }
  const repo = `loom-test/${name}`;
  const tag = hash.digest('hex').slice(0, 16);
  const reference = `${repo}:${tag}`;

  try {
    await docker.getImage(reference).inspect();
    return reference;
  } catch {
    // Not built yet.
  }

  const tar = writeTar(imageEntries(busybox, links, files));
  const progress = await docker.importImage(Readable.from([tar]), { repo: reference });
  await new Promise<void>((resolveImport, reject) => {
    docker.modem.followProgress(progress, (err) => (err ? reject(err) : resolveImport()));
  });
  await docker.getImage(reference).inspect();
  return reference;
}

function imageEntries(
  busybox: Buffer,
  links: string[],
  files: Record<string, string | Buffer>,
): TarInput[] {
  const entries: TarInput[] = [
    { type: 'directory', name: 'bin' },
    { type: 'directory', name: 'tmp', mode: 0o1777 },
    { type: 'directory', name: 'etc' },
    { type: 'file', name: 'bin/busybox', data: busybox, mode: 0o755 },
    ...links.map((link): TarInput => ({ type: 'symlink', name: `bin/${link}`, target: 'busybox' })),
  ];

  const directories = new Set(['bin', 'tmp', 'etc']);
  for (const [rawPath, content] of Object.entries(files)) {
    const path = rawPath.replace(/^\/+/, '');
    const parts = path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i += 1) {
      const dir = parts.slice(0, i).join('/');
      if (!directories.has(dir)) entries.push({ type: 'directory', name: dir });
      directories.add(dir);
    }
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const executable = data.subarray(0, 2).toString('latin1') === '#!';
    entries.push({ type: 'file', name: path, data, mode: executable ? 0o755 : 0o644 });
  }
  return entries;
}
