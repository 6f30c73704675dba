import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { getCase } from '../../src/cases/case-repository.js';
import { testConfig } from '../../src/config/config.js';
import { createLlmClient } from '../../src/llm/llm-client.js';
import { createNarrativeWriter } from '../../src/reports/narrative-step.js';
import { type FakeLlmServer, REPLY, startFakeLlmServer } from '../support/fake-llm-server.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createCase, healthOf, loadCase, waitForFinal } from './helpers.js';

const finder = scriptedTool('finder', {
  lines: ['looking'],
  findings: [
    { kind: 'HOST', value: 'mail.example.com' },
    { kind: 'EMAIL', value: 'security@example.com' },
  ],
});
const confirmer = scriptedTool('confirmer', {
  findings: [{ kind: 'HOST', value: 'mail.example.com' }],
});
const broken = scriptedTool('broken', { lines: ['trying'], fail: 'upstream refused' });
const tools = [finder, confirmer, broken];

let fake: FakeLlmServer;
const apps: TestApp[] = [];

beforeAll(async () => {
  fake = await startFakeLlmServer({ apiKey: 'sk-test-secret-123' });
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await fake?.stop();
});

async function appWith(env: Record<string, string>): Promise<TestApp> {
  const app = await startTestApp({ tools, env: { LLM_TIMEOUT_SECONDS: '5', ...env } });
  apps.push(app);
  return app;
}

describe('narrative report from an Ollama-protocol server', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await appWith({ OLLAMA_URL: fake.url, OLLAMA_MODEL: 'llama3.2' });
  });

  it('stores the narrative as a second report version named after the model', async () => {
    const before = fake.requests.length;
    const caseId = await createCase(app, ['finder', 'confirmer']);
    const view = await waitForFinal(app, caseId);

    expect(view.status).toBe('COMPLETED');
    expect(view.reports.map((r) => r.generator)).toEqual(['loom', 'ollama:llama3.2']);
    expect(view.reports[0]!.markdown).toContain('mail.example.com');
    expect(view.reports[1]!.markdown).toBe(REPLY);
    expect(view.report).toEqual({ generator: 'ollama:llama3.2', markdown: REPLY });

    const reportEvents = view.events.filter((e) => e.type === 'REPORT');
    expect(reportEvents.map((e) => [e.message, e.status])).toEqual([
      ['structured report written', 'loom'],
      ['narrative report started', 'ollama:llama3.2'],
      ['narrative report written', 'ollama:llama3.2'],
    ]);
    // The narrative is written while SYNTHESIZING, before the final status is announced.
    const written = reportEvents[2]!.seq;
    const final = view.events.find((e) => e.type === 'CASE_STATUS' && e.status === 'COMPLETED')!;
    expect(written).toBeLessThan(final.seq);

    const sent = fake.requests.slice(before).filter((r) => r.path === '/api/chat');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.model).toBe('llama3.2');
    const prompt = sent[0]!.body.messages!.map((m) => m.content).join('\n');
    expect(prompt).toContain('mail.example.com');
    expect(prompt).toContain('security@example.com');
    expect(prompt).toMatch(/"tools":\["confirmer","finder"\]/);
    expect(prompt).toContain('"status":"COMPLETED"');
  });

  it('reports the model as healthy on /health', async () => {
    const health = await healthOf(app);
    expect(health.dependencies.llm).toEqual({ status: 'ok', detail: 'ollama:llama3.2' });
    expect(health.dependencies.archive).toEqual({
      status: 'disabled',
      detail: 'COUCHDB_URL not set',
    });
  });
});

describe('narrative report from an OpenAI-compatible server', () => {
  it('streams the narrative over SSE with the API key, which no event or health shows', async () => {
    const app = await appWith({
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: `${fake.url}/v1`,
      OPENAI_API_KEY: 'sk-test-secret-123',
      OPENAI_MODEL: 'gpt-4o-mini',
    });
    const before = fake.requests.length;
    const caseId = await createCase(app, ['finder']);
    const view = await waitForFinal(app, caseId);

    expect(view.reports.map((r) => r.generator)).toEqual(['loom', 'openai:gpt-4o-mini']);
    expect(view.report?.markdown).toBe(REPLY);
    const sent = fake.requests.slice(before).filter((r) => r.path === '/v1/chat/completions');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers.authorization).toBe('Bearer sk-test-secret-123');
    expect(JSON.stringify(sent[0]!.body.messages)).toContain('security@example.com');

    const health = await healthOf(app);
    expect(health.dependencies.llm?.status).toBe('ok');
    expect(JSON.stringify({ view, health })).not.toContain('sk-test-secret');
  });
});

describe('a failing LLM', () => {
  it('leaves the case COMPLETED with the structured report and the error in its events', async () => {
    const app = await appWith({ OLLAMA_URL: fake.url, OLLAMA_MODEL: 'mid-error' });
    const caseId = await createCase(app, ['finder']);
    const view = await waitForFinal(app, caseId);

    expect(view.status).toBe('COMPLETED');
    expect(view.reports.map((r) => r.generator)).toEqual(['loom']);
    expect(view.report?.generator).toBe('loom');
    const failed = view.events.find((e) => e.message?.startsWith('narrative report failed'));
    expect(failed?.type).toBe('REPORT');
    expect(failed?.status).toBe('ollama:mid-error');
    expect(failed?.message).toContain('unexpected EOF');
  });

  it('leaves a case with a failed tool PARTIAL when the model is missing, and /health says so', async () => {
    const app = await appWith({ OLLAMA_URL: fake.url, OLLAMA_MODEL: 'no-such-model' });
    const caseId = await createCase(app, ['finder', 'broken']);
    const view = await waitForFinal(app, caseId);

    expect(view.status).toBe('PARTIAL');
    expect(view.reports).toHaveLength(1);
    expect(view.report?.markdown).toContain('upstream refused');
    const failed = view.events.find((e) => e.message?.startsWith('narrative report failed'));
    expect(failed?.message).toMatch(/model "no-such-model" is not on the Ollama server/);

    const health = await healthOf(app);
    expect(health.dependencies.llm?.status).toBe('error');
    expect(health.dependencies.llm?.detail).toContain('no-such-model');
  });

  it('gives up on a stalled narrative at the idle timeout without failing the case', async () => {
    const app = await appWith({
      OLLAMA_URL: fake.url,
      OLLAMA_MODEL: 'stall-body',
      LLM_TIMEOUT_SECONDS: '1',
    });
    const caseId = await createCase(app, ['finder']);
    const view = await waitForFinal(app, caseId);

    expect(view.status).toBe('COMPLETED');
    expect(view.reports).toHaveLength(1);
    const failed = view.events.find((e) => e.message?.startsWith('narrative report failed'));
    expect(failed).toBeDefined();
    const stalled = fake.requests.filter((r) => r.body.model === 'stall-body');
    await Promise.all(stalled.map((r) => r.closed));
    expect(stalled.every((r) => r.closedEarly)).toBe(true);
  });
});

describe('a narrative that takes too long', () => {
  it('announces progress, then gives up at the overall cap and keeps the structured report', async () => {
    const app = await appWith({});
    const caseId = await createCase(app, ['finder']);
    await waitForFinal(app, caseId);
    const llm = createLlmClient(
      testConfig({ OLLAMA_URL: fake.url, OLLAMA_MODEL: 'gated', LLM_TIMEOUT_SECONDS: '60' }),
    )!;
    const writer = createNarrativeWriter({
      db: app.services.db,
      events: app.services.events,
      llm,
      budgetChars: 20_000,
      maxMs: 1200,
      progressMs: 300,
      log: app.services.log,
    });
    try {
      const started = Date.now();
      await writer.step((await getCase(app.services.db, caseId))!, 'COMPLETED');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await writer.close();
      await llm.close();
    }

    const view = await loadCase(app, caseId);
    const messages = view.events.filter((e) => e.status === 'ollama:gated').map((e) => e.message);
    expect(messages[0]).toBe('narrative report started');
    expect(messages.filter((m) => m?.startsWith('narrative report in progress')).length).toBe(
      messages.length - 2,
    );
    expect(messages.length).toBeGreaterThanOrEqual(4);
    expect(messages.at(-1)).toBe('narrative report failed: no complete answer within 1 s');
    expect(view.reports.map((r) => r.generator)).toEqual(['loom']);
    const gated = fake.requests.filter((r) => r.body.model === 'gated');
    expect(gated).toHaveLength(1);
    expect(gated[0]!.closedEarly).toBe(true);
  });
});

describe('no LLM configured', () => {
  it('still writes the structured report, and /health shows the LLM disabled', async () => {
    const app = await appWith({});
    expect(app.services.llm).toBeUndefined();
    const caseId = await createCase(app, ['finder']);
    const view = await waitForFinal(app, caseId);

    expect(view.status).toBe('COMPLETED');
    expect(view.reports.map((r) => r.generator)).toEqual(['loom']);
    expect(view.events.filter((e) => e.type === 'REPORT')).toHaveLength(1);
    const health = await healthOf(app);
    expect(health.dependencies.llm).toEqual({ status: 'disabled', detail: 'OLLAMA_URL not set' });
  });
});
