import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestPostgresDatabase } from '../support/databases.js';
import { startLoom, type LoomProcess } from '../process/loom-process.js';
import { codes, post } from './helpers.js';

const REDIS_URL = process.env.LOOM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY = 'bootstrap-key-for-the-shared-rate-tests-0123';
const READS = 6;
const CREATES = 4;

const CREATE = `mutation($title: String!) {
  createCase(input: { title: $title, target: "example.com", tools: ["dns"] }) { id }
}`;

/** Sends `count` reads alternating between the processes; returns the codes of the refusals. */
async function readsAcross(processes: LoomProcess[], count: number) {
  const outcomes: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const reply = await post(
      processes[i % processes.length].url!,
      '{ cases { totalCount } }',
      {},
      {
        'x-api-key': KEY,
      },
    );
    outcomes.push(reply.body.errors ? String(codes(reply)[0]) : 'ok');
  }
  return outcomes;
}

describe('rate limits shared by two processes through Redis', () => {
  const prefix = `loom-test-rl-${randomBytes(6).toString('hex')}`;
  let database: { url: string; drop(): Promise<void> };
  const processes: LoomProcess[] = [];
  let redis: Redis;

  const env = (extra: Record<string, string> = {}) => ({
    ENVIRONMENT: 'production',
    OSINT_API_KEY: KEY,
    DATABASE_URL: database.url,
    WORKERS: '0',
    RATE_LIMIT_READS_PER_MINUTE: String(READS),
    RATE_LIMIT_CREATE_CASE_PER_MINUTE: String(CREATES),
    RATE_LIMIT_KEY_PREFIX: prefix,
    ...extra,
  });

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    redis = new Redis(REDIS_URL, { lazyConnect: true });
    await redis.connect();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await database?.drop();
  }, 60_000);

  it('lets two processes together take exactly one budget of reads and case creations', async () => {
    // One after the other: both apply the migrations at start-up.
    processes.push(await startLoom('serve', env({ REDIS_URL })));
    processes.push(await startLoom('serve', env({ REDIS_URL })));
    const [a, b] = processes;

    const outcomes = await readsAcross([a, b], READS + 3);
    expect(outcomes).toEqual([
      ...Array(READS).fill('ok'),
      'RATE_LIMITED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);

    const created: string[] = [];
    const refused: string[] = [];
    for (let i = 0; i < CREATES + 2; i += 1) {
      const reply = await post<{ createCase: { id: string } }>(
        [a, b][i % 2].url!,
        CREATE,
        { title: `shared ${i}` },
        { 'x-api-key': KEY },
      );
      if (reply.body.data?.createCase) created.push(reply.body.data.createCase.id);
      else refused.push(String(codes(reply)[0]));
    }
    expect(created).toHaveLength(CREATES);
    expect(refused).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);

    // The counters live under this run's prefix, and the cases stored are exactly those accepted.
    expect(await redis.keys(`${prefix}:reads:*`)).toHaveLength(1);
    expect(await redis.keys(`${prefix}:createCase:*`)).toHaveLength(1);
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    const [{ count }] = await sql<{ count: string }[]>`select count(*) from cases`;
    await sql.end();
    expect(Number(count)).toBe(CREATES);
    await Promise.all(processes.splice(0).map((p) => p.stop()));
  }, 120_000);

  it('counts per process without Redis, which is why several processes need it', async () => {
    processes.push(await startLoom('serve', env()));
    processes.push(await startLoom('serve', env()));
    const outcomes = await readsAcross(processes, 2 * READS + 2);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(2 * READS);
  }, 120_000);
});
