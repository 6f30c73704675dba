import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promises as dns } from 'node:dns';

/** Where Debian's dnsmasq-base puts the binary. */
export const DNSMASQ = '/usr/sbin/dnsmasq';
export const haveDnsmasq = existsSync(DNSMASQ);

if (!haveDnsmasq) {
  process.stderr.write(`${DNSMASQ} not found (apt-get install dnsmasq-base): DNS tests skipped\n`);
}

export interface Dnsmasq {
  /** `127.0.0.1:port`, ready for DNS_SERVERS. */
  server: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts dnsmasq on a free loopback port, answering only from the given record options
 * (`--host-record=…`, `--mx-host=…`, …) and never forwarding anywhere.
 */
export async function startDnsmasq(records: string[]): Promise<Dnsmasq> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freeUdpPort();
    const started = await tryStart(port, records);
    if (started) return started;
  }
  throw new Error('dnsmasq did not start on any of 5 ports');
}

async function tryStart(port: number, records: string[]): Promise<Dnsmasq | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'loom-dnsmasq-'));
  const args = [
    '--keep-in-foreground',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--conf-file=/dev/null',
    `--pid-file=${join(dir, 'dnsmasq.pid')}`,
    '--log-facility=-',
    ...records,
  ];
  const child = spawn(DNSMASQ, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  const ready = await waitUntilAnswering(child, port);
  if (ready) return { server: `127.0.0.1:${port}`, port, stop };

  await stop();
  if (/in use/i.test(stderr)) return undefined;
  throw new Error(`dnsmasq failed to start: ${stderr.trim()}`);
}

/** Polls until dnsmasq answers a query (any answer), or it exits, or 5 s pass. */
async function waitUntilAnswering(child: ChildProcess, port: number): Promise<boolean> {
  const resolver = new dns.Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const until = Date.now() + 5000;
  while (Date.now() < until && child.exitCode === null) {
    try {
      await resolver.resolve4('ready.invalid');
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ETIMEOUT' && code !== 'ECONNREFUSED') return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** A domain name in DNS wire format, hex-encoded, for `--dns-rr` record data. */
export function wireName(name: string): string {
  const labels = name.split('.').filter(Boolean);
  const parts = labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([...parts, Buffer.from([0])]).toString('hex');
}

/** `--dns-rr` data of an SOA record. */
export function soaData(mname: string, rname: string, numbers: number[]): string {
  const tail = Buffer.alloc(20);
  numbers.forEach((n, i) => tail.writeUInt32BE(n, i * 4));
  return wireName(mname) + wireName(rname) + tail.toString('hex');
}

/** `--dns-rr` data of a CAA record (RFC 8659): flags, tag length, tag, value. */
export function caaData(flags: number, tag: string, value: string): string {
  return Buffer.concat([
    Buffer.from([flags, tag.length]),
    Buffer.from(tag),
    Buffer.from(value),
  ]).toString('hex');
}

/** `--dns-rr` data of a TXT record: each string length-prefixed, commas kept as they are. */
export function txtData(...strings: string[]): string {
  return Buffer.concat(
    strings.map((text) =>
      Buffer.concat([Buffer.from([Buffer.byteLength(text)]), Buffer.from(text)]),
    ),
  ).toString('hex');
}
