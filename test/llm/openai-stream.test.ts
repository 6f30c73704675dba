import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testConfig } from '../../src/config/config.js';
import { createLlmClient, type LlmClient } from '../../src/llm/llm-client.js';
import { apiUrl } from '../../src/llm/openai.js';
import {
  type FakeLlmServer,
  REPLY,
  REPLY_TOKENS,
  startFakeLlmServer,
} from '../support/fake-llm-server.js';

let fake: FakeLlmServer;
const clients: LlmClient[] = [];

beforeAll(async () => {
  fake = await startFakeLlmServer({ apiKey: 'sk-test' });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await fake.stop();
});

function openAi(model: string, overrides: Record<string, string | undefined> = {}): LlmClient {
  const config = testConfig({
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.url,
    OPENAI_MODEL: model,
    OPENAI_API_KEY: 'sk-test',
    ...overrides,
  });
  const client = createLlmClient(config, { idleTimeoutMs: 3000, retries: 0 });
  if (!client) throw new Error('no client');
  clients.push(client);
  return client;
}

async function drain(
  stream: AsyncIterable<string>,
): Promise<{ deltas: string[]; error?: unknown }> {
  const deltas: string[] = [];
  try {
    for await (const delta of stream) deltas.push(delta);
    return { deltas };
  } catch (error) {
    return { deltas, error };
  }
}

const messages = [{ role: 'user' as const, content: 'hello' }];
const signal = () => new AbortController().signal;

describe('OpenAI-compatible client', () => {
  it('sends the API key as a bearer token', async () => {
    const start = fake.requests.length;
    await openAi('gpt-4o-mini').chat(messages, { signal: signal() });
    expect(fake.requests[start]?.headers.authorization).toBe('Bearer sk-test');
  });

  it('sends no authorization header when no key is set, and maps 401 to LLM_UNAVAILABLE', async () => {
    const start = fake.requests.length;
    const { error } = await drain(
      openAi('gpt-4o-mini', { OPENAI_API_KEY: '' }).chatStream(messages, { signal: signal() }),
    );
    expect(fake.requests[start]?.headers.authorization).toBeUndefined();
    expect(error).toMatchObject({ code: 'LLM_UNAVAILABLE', status: 401, retryable: false });
    expect((error as Error).message).not.toContain('sk-test');
  });

  it('accepts a base URL that already ends in /v1', async () => {
    const start = fake.requests.length;
    const text = await openAi('gpt-4o-mini', { OPENAI_BASE_URL: `${fake.url}/v1/` }).chat(
      messages,
      {
        signal: signal(),
      },
    );
    expect(text).toBe(REPLY);
    expect(fake.requests[start]?.path).toBe('/v1/chat/completions');
  });

  it('survives CRLF, keep-alive comments, multi-line events, usage chunks and a bare [DONE]', async () => {
    const { deltas, error } = await drain(
      openAi('quirky').chatStream(messages, { signal: signal() }),
    );
    expect(error).toBeUndefined();
    expect(deltas).toEqual(REPLY_TOKENS);
  });

  it("treats older llama.cpp's bare error line as a stream error", async () => {
    const { deltas, error } = await drain(
      openAi('bare-error-line').chatStream(messages, { signal: signal() }),
    );
    expect(deltas).toEqual([REPLY_TOKENS[0]]);
    expect(error).toMatchObject({ code: 'LLM_STREAM_ERROR' });
    expect((error as Error).message).toContain('the model crashed');
  });

  it("treats older vLLM's flat error envelope as a stream error", async () => {
    const { error } = await drain(openAi('flat-error').chatStream(messages, { signal: signal() }));
    expect(error).toMatchObject({ code: 'LLM_STREAM_ERROR' });
    expect((error as Error).message).toContain('out of KV cache');
  });

  it('reports a wrong key in health without leaking it', async () => {
    const health = await openAi('gpt-4o-mini', { OPENAI_API_KEY: 'sk-wrong' }).health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('401');
    expect(health.detail).not.toContain('sk-wrong');
  });
});

describe('apiUrl', () => {
  it('adds /v1 unless the base already ends with it, keeping any path prefix', () => {
    expect(apiUrl('http://127.0.0.1:8080', '/models')).toBe('http://127.0.0.1:8080/v1/models');
    expect(apiUrl('http://127.0.0.1:8080/v1', '/models')).toBe('http://127.0.0.1:8080/v1/models');
    expect(apiUrl('http://127.0.0.1:8080/llm/v1/', '/chat/completions')).toBe(
      'http://127.0.0.1:8080/llm/v1/chat/completions',
    );
    expect(apiUrl('http://127.0.0.1:8080/llm', '/models')).toBe(
      'http://127.0.0.1:8080/llm/v1/models',
    );
  });
});
