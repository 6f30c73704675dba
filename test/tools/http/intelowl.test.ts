import { afterEach, describe, expect, it } from 'vitest';

import { testConfig } from '../../../src/config/config.js';
import { intelowlTool } from '../../../src/tools/intelowl/index.js';
import { intelowlOptionsSchema } from '../../../src/tools/intelowl/options.js';
import { ToolError, type Target } from '../../../src/tools/tool.js';
import { haveFixtures, readFixture } from '../../support/fixtures.js';
import {
  fixtureReply,
  startReplayServer,
  type ReplayAnswer,
  type ReplayRoute,
  type ReplayServer,
} from '../../support/replay-server.js';
import { recordingContext } from '../native/run-context.js';
import { expectedCounts } from './counts.js';

const ACCEPTED = 'intelowl/intelowl_v4_analyze_observable_accepted.json';
const JOB = 'intelowl/intelowl_v4_job_72_reported_with_fails.json';
const NOT_FOUND = 'intelowl/intelowl_job_not_found_404.json';
const JOB_LIST = 'intelowl/intelowl_v4_jobs_list_page.json';
const API_KEY = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0';
// The recorded accept answer names job 260; the recorded finished job is another (72), so the
// replay serves that body as job 260's final state.
const JOB_ID = 260;
const JOB_PATH = `/api/jobs/${JOB_ID}`;

const ip: Target = { kind: 'IP', value: '8.8.8.8' };

let server: ReplayServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A job still in progress, as IntelOwl 4 lists it before any analyzer reported. */
function running(status: string): ReplayAnswer {
  return { json: { id: JOB_ID, status, analyzer_reports: [], connector_reports: [], errors: [] } };
}

/** Same job, final, with another status. */
function finalJob(status: string, errors: string[] = []): ReplayAnswer {
  const job = JSON.parse(readFixture(JOB)) as Record<string, unknown>;
  return { json: { ...job, status, errors } };
}

function intelowlRoutes(overrides: ReplayRoute[] = []): ReplayRoute[] {
  return [
    ...overrides,
    { method: 'POST', path: '/api/analyze_observable', reply: fixtureReply(ACCEPTED) },
    {
      method: 'GET',
      path: JOB_PATH,
      reply: [running('pending'), running('running'), fixtureReply(JOB)],
    },
    { method: 'GET', path: '/api/jobs', reply: fixtureReply(JOB_LIST) },
    { method: 'PATCH', path: `${JOB_PATH}/kill`, reply: { status: 204 } },
  ];
}

function context(overrides: Record<string, string> = {}) {
  return recordingContext(
    testConfig({ INTELOWL_URL: server!.url, INTELOWL_API_KEY: API_KEY, ...overrides }),
  );
}

function options(input: Record<string, unknown> = {}) {
  return intelowlOptionsSchema.parse({ pollSeconds: 0.1, analyzers: ['Classic_DNS'], ...input });
}

function killRequests() {
  return server!.requestsTo('PATCH', `${JOB_PATH}/kill`);
}

describe.skipIf(!haveFixtures)('intelowl tool against a replay of the IntelOwl API', () => {
  it('creates a job, polls it to its end, and makes each successful analyzer a finding', async () => {
    server = await startReplayServer(intelowlRoutes());
    const ctx = context();

    await intelowlTool.run(ip, options({ tlp: 'AMBER' }), ctx);

    expect(ctx.findings.filter((f) => f.kind === 'OTHER')).toHaveLength(expectedCounts(JOB).OTHER);
    expect(ctx.findings.map((f) => f.value).sort()).toEqual([
      'Classic_DNS',
      'CryptoScamDB_CheckAPI',
      'FileScan_Search',
      'GreyNoiseCommunity',
      'InQuest_IOCdb',
    ]);
    expect(ctx.warnings).toEqual([
      'IntelOwl analyzer Darksearch_Query failed (DarkSearchRequestException: )',
      expect.stringMatching(
        /^IntelOwl analyzer GoogleWebRisk failed \(\/opt\/deploy\/.*service_account_keyfile\.json should be/,
      ),
    ]);

    const create = server.requestsTo('POST', '/api/analyze_observable')[0];
    expect(create.headers.authorization).toBe(`Token ${API_KEY}`);
    expect(create.headers['content-type']).toBe('application/json');
    expect(JSON.parse(create.body)).toEqual({
      observable_name: '8.8.8.8',
      observable_classification: 'ip',
      analyzers_requested: ['Classic_DNS'],
      tlp: 'AMBER',
      scan_mode: 1,
    });
    expect(server.requestsTo('GET', JOB_PATH)).toHaveLength(3);
    expect(server.requests.every((r) => r.headers.authorization === `Token ${API_KEY}`)).toBe(true);
    expect(ctx.lines).toEqual(
      expect.arrayContaining([
        `job ${JOB_ID} accepted: 26 analyzers`,
        `job ${JOB_ID}: running`,
        'InQuest_IOCdb: SUCCESS (No API key retrieved)',
      ]),
    );
    expect(killRequests()).toHaveLength(0);
  });

  it('classifies domains as domain and e-mail addresses as generic', async () => {
    server = await startReplayServer(intelowlRoutes());

    await intelowlTool.run(
      { kind: 'EMAIL', value: 'jdoe@example.com' },
      options({ forceNew: false }),
      context(),
    );
    await intelowlTool.run(
      { kind: 'DOMAIN', value: 'example.com' },
      options({ analyzers: [], playbook: 'FREE_TO_USE_ANALYZERS' }),
      context(),
    );

    const [email, domainJob] = server
      .requestsTo('POST', '/api/analyze_observable')
      .map((r) => JSON.parse(r.body));
    expect(email).toEqual({
      observable_name: 'jdoe@example.com',
      observable_classification: 'generic',
      analyzers_requested: ['Classic_DNS'],
    });
    expect(domainJob).toEqual({
      observable_name: 'example.com',
      observable_classification: 'domain',
      playbook_requested: 'FREE_TO_USE_ANALYZERS',
      scan_mode: 1,
    });
  });

  it('kills the job when the run is cancelled', async () => {
    server = await startReplayServer(
      intelowlRoutes([{ method: 'GET', path: JOB_PATH, reply: running('analyzers_running') }]),
    );
    const ctx = context();

    const run = intelowlTool.run(ip, options(), ctx);
    await server.waitForRequest((r) => r.path === JOB_PATH);
    const reason = new Error('case cancelled');
    ctx.controller.abort(reason);

    await expect(run).rejects.toBe(reason);
    const kill = await server.waitForRequest((r) => r.path === `${JOB_PATH}/kill`);
    expect(kill.method).toBe('PATCH');
    expect(kill.headers.authorization).toBe(`Token ${API_KEY}`);
  });

  it('kills the job when the run deadline passes during a hanging poll', async () => {
    server = await startReplayServer(
      intelowlRoutes([
        { method: 'GET', path: JOB_PATH, reply: [running('running'), { stall: true }] },
      ]),
    );
    const ctx = context();
    setTimeout(
      () => ctx.controller.abort(new DOMException('run deadline passed', 'TimeoutError')),
      400,
    );

    await expect(intelowlTool.run(ip, options(), ctx)).rejects.toThrow('run deadline passed');
    expect(killRequests()).toHaveLength(1);
  });

  it('treats a job that is already over when killed as done', async () => {
    server = await startReplayServer(
      intelowlRoutes([
        { method: 'GET', path: JOB_PATH, reply: running('running') },
        {
          method: 'PATCH',
          path: `${JOB_PATH}/kill`,
          reply: { status: 400, json: { errors: { detail: 'Job is not running' } } },
        },
      ]),
    );
    const ctx = context();

    const run = intelowlTool.run(ip, options(), ctx);
    await server.waitForRequest((r) => r.path === JOB_PATH);
    ctx.controller.abort(new Error('case cancelled'));

    await expect(run).rejects.toThrow('case cancelled');
    expect(killRequests()).toHaveLength(1);
  });

  it('fails when the job ends failed or killed', async () => {
    server = await startReplayServer(
      intelowlRoutes([
        {
          method: 'GET',
          path: JOB_PATH,
          reply: [finalJob('failed', ['pipeline set-up failed']), finalJob('killed')],
        },
      ]),
    );

    const failed = await intelowlTool.run(ip, options(), context()).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ToolError);
    expect((failed as Error).message).toBe(
      `IntelOwl job ${JOB_ID} ended failed: pipeline set-up failed`,
    );

    await expect(intelowlTool.run(ip, options(), context())).rejects.toThrow(
      `IntelOwl job ${JOB_ID} ended killed`,
    );
    expect(killRequests()).toHaveLength(0);
  });

  it('fails clearly when the job is not found', async () => {
    server = await startReplayServer(
      intelowlRoutes([
        { method: 'GET', path: JOB_PATH, reply: fixtureReply(NOT_FOUND, { status: 404 }) },
      ]),
    );

    await expect(intelowlTool.run(ip, options(), context())).rejects.toThrow(
      `IntelOwl job ${JOB_ID} not found (deleted, or not visible to this key)`,
    );
  });

  it('passes on why IntelOwl refused the job', async () => {
    server = await startReplayServer(
      intelowlRoutes([
        {
          method: 'POST',
          path: '/api/analyze_observable',
          reply: [
            {
              status: 400,
              json: {
                errors: {
                  detail: [
                    "No Analyzers and Connectors can be run after filtering:\nShodan won't be run because it does not support the requested observable.",
                  ],
                },
              },
            },
            { status: 400, json: { errors: { detail: ['Private address'] } } },
            {
              status: 401,
              json: { detail: 'Invalid token.' },
              headers: { 'www-authenticate': 'Token' },
            },
          ],
        },
      ]),
    );

    await expect(intelowlTool.run(ip, options(), context())).rejects.toThrow(
      /^IntelOwl refused the job: No Analyzers and Connectors can be run after filtering: Shodan .* \(name analyzers or a playbook in the options\)$/,
    );
    await expect(intelowlTool.run(ip, options(), context())).rejects.toThrow(
      'IntelOwl refused the job: Private address',
    );
    const denied = (await intelowlTool
      .run(ip, options(), context())
      .catch((e: unknown) => e)) as Error;
    expect(denied.message).toBe('IntelOwl rejected INTELOWL_API_KEY (HTTP 401)');
    expect(denied.message).not.toContain(API_KEY);
  });

  it('rides out a 503, a 429 with Retry-After and a slow poll', async () => {
    server = await startReplayServer(
      intelowlRoutes([
        {
          method: 'GET',
          path: JOB_PATH,
          reply: [
            { status: 503, body: 'Service Unavailable' },
            {
              status: 429,
              headers: { 'retry-after': '1' },
              json: { detail: 'Request was throttled.' },
            },
            { ...running('running'), delayMs: 300 },
            fixtureReply(JOB),
          ],
        },
      ]),
    );
    const ctx = context();

    await intelowlTool.run(ip, options(), ctx);

    expect(server.requestsTo('GET', JOB_PATH)).toHaveLength(4);
    expect(ctx.findings).toHaveLength(5);
  });

  it('fails on a malformed job answer and kills the job', async () => {
    server = await startReplayServer(
      intelowlRoutes([
        {
          method: 'GET',
          path: JOB_PATH,
          reply: {
            body: readFixture(JOB).slice(0, 300),
            headers: { 'content-type': 'application/json' },
          },
        },
      ]),
    );

    const err = (await intelowlTool
      .run(ip, options(), context())
      .catch((e: unknown) => e)) as Error;

    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toBe(
      `intelowl: GET ${server.url}${JOB_PATH} answered a body that is not JSON`,
    );
    expect(killRequests()).toHaveLength(1);
  });

  it('checks availability with a one-job list and keeps the key out of the reason', async () => {
    server = await startReplayServer(
      intelowlRoutes([
        {
          method: 'GET',
          path: '/api/jobs',
          reply: (req) =>
            req.headers.authorization === `Token ${API_KEY}`
              ? fixtureReply(JOB_LIST)
              : { status: 401, json: { detail: 'Invalid token.' } },
        },
      ]),
    );
    const signal = new AbortController().signal;
    const check = (env: Record<string, string>) =>
      intelowlTool.checkAvailability({ config: testConfig(env), signal });

    expect(await check({})).toEqual({ available: false, reason: 'INTELOWL_URL is not set' });
    expect(await check({ INTELOWL_URL: server.url })).toEqual({
      available: false,
      reason: 'INTELOWL_API_KEY is not set',
    });
    expect(await check({ INTELOWL_URL: server.url, INTELOWL_API_KEY: API_KEY })).toEqual({
      available: true,
    });
    expect(server.requestsTo('GET', '/api/jobs').at(-1)?.query.get('page_size')).toBe('1');

    const refused = await check({ INTELOWL_URL: server.url, INTELOWL_API_KEY: 'stale-key-123' });
    expect(refused).toEqual({
      available: false,
      reason: 'IntelOwl rejected INTELOWL_API_KEY (HTTP 401)',
    });
  });
});
