import { createServer } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testConfig } from '../../src/config/config.js';
import {
  createLlmClient,
  type LlmClient,
  type LlmClientOptions,
  LlmError,
} from '../../src/llm/llm-client.js';
import {
  type FakeLlmRequest,
  type FakeLlmServer,
  REPLY,
  REPLY_TOKENS,
  startFakeLlmServer,
} from '../support/fake-llm-server.js';

type Provider = 'ollama' | 'openai';

const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Why is the sky blue?' },
];

let fake: FakeLlmServer;
const clients: LlmClient[] = [];

beforeAll(async () => {
  fake = await startFakeLlmServer({ apiKey: 'sk-test' });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await fake.stop();
});

function clientFor(
  provider: Provider,
  model: string,
  options: LlmClientOptions = {},
  url = fake.url,
): LlmClient {
  const config =
    provider === 'ollama'
      ? testConfig({ LLM_PROVIDER: 'ollama', OLLAMA_URL: url, OLLAMA_MODEL: model })
      : testConfig({
          LLM_PROVIDER: 'openai',
          OPENAI_BASE_URL: url,
          OPENAI_MODEL: model,
          OPENAI_API_KEY: 'sk-test',
        });
  const client = createLlmClient(config, {
    idleTimeoutMs: 3000,
    retries: 0,
    retryDelayMs: 10,
    ...options,
  });
  if (!client) throw new Error('no client');
  clients.push(client);
  return client;
}

/** Drains a stream, returning the deltas before the error it ended with (if any). */
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

function requestsSince(start: number) {
  return fake.requests.slice(start).filter((r) => r.method === 'POST');
}

const signal = () => new AbortController().signal;

describe('createLlmClient', () => {
  it('returns undefined when the chosen provider has no URL', () => {
    expect(createLlmClient(testConfig({ LLM_PROVIDER: 'ollama' }))).toBeUndefined();
    expect(
      createLlmClient(testConfig({ LLM_PROVIDER: 'openai', OLLAMA_URL: 'http://127.0.0.1:1' })),
    ).toBeUndefined();
  });

  it('builds the client of the chosen provider with its model', () => {
    const ollama = clientFor('ollama', 'llama3.2');
    const openai = clientFor('openai', 'gpt-4o-mini');
    expect([ollama.provider, ollama.model]).toEqual(['ollama', 'llama3.2']);
    expect([openai.provider, openai.model]).toEqual(['openai', 'gpt-4o-mini']);
  });
});

describe.each<[Provider, string, string]>([
  ['ollama', 'llama3.2', '/api/chat'],
  ['openai', 'gpt-4o-mini', '/v1/chat/completions'],
])('%s client', (provider, okModel, chatPath) => {
  it('streams the answer as the deltas the server sent', async () => {
    const start = fake.requests.length;
    const { deltas, error } = await drain(
      clientFor(provider, okModel).chatStream(messages, { signal: signal() }),
    );

    expect(error).toBeUndefined();
    expect(deltas).toEqual(REPLY_TOKENS);
    const [request] = requestsSince(start);
    expect(request?.path).toBe(chatPath);
    expect(request?.body).toMatchObject({ model: okModel, messages, stream: true });
  });

  it('returns the whole answer from chat()', async () => {
    await expect(clientFor(provider, okModel).chat(messages, { signal: signal() })).resolves.toBe(
      REPLY,
    );
  });

  it('yields the first delta before the server has finished the answer', async () => {
    const start = fake.requests.length;
    const stream = clientFor(provider, 'gated').chatStream(messages, { signal: signal() });
    const iterator = stream[Symbol.asyncIterator]();

    const first = await iterator.next();
    expect(first.value).toBe(REPLY_TOKENS[0]);
    const [request] = requestsSince(start);
    expect(request?.finished).toBe(false);

    fake.release();
    let rest = '';
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      rest += next.value;
    }
    expect(first.value + rest).toBe(REPLY);
    expect(request?.finished).toBe(true);
  });

  it('closes the server-side request when the caller aborts', async () => {
    const start = fake.requests.length;
    const controller = new AbortController();
    const deltas: string[] = [];
    let caught: unknown;
    try {
      for await (const delta of clientFor(provider, 'gated').chatStream(messages, controller)) {
        deltas.push(delta);
        controller.abort();
      }
    } catch (err) {
      caught = err;
    }

    expect(deltas).toEqual([REPLY_TOKENS[0]]);
    expect(caught).toBeInstanceOf(LlmError);
    expect((caught as LlmError).code).toBe('LLM_ABORTED');
    const [request] = requestsSince(start);
    await expect(closedWithin(request, 5000)).resolves.toBe(true);
    expect(request?.closedEarly).toBe(true);
  });

  it('closes the server-side request when the consumer stops reading', async () => {
    const start = fake.requests.length;
    for await (const delta of clientFor(provider, 'gated').chatStream(messages, {
      signal: signal(),
    })) {
      expect(delta).toBe(REPLY_TOKENS[0]);
      break;
    }
    const [request] = requestsSince(start);
    await expect(closedWithin(request, 5000)).resolves.toBe(true);
    expect(request?.closedEarly).toBe(true);
  });

  it('reports a missing model as LLM_MODEL_MISSING without retrying', async () => {
    const start = fake.requests.length;
    const { deltas, error } = await drain(
      clientFor(provider, 'no-such-model', { retries: 2 }).chatStream(messages, {
        signal: signal(),
      }),
    );

    expect(deltas).toEqual([]);
    expect(error).toMatchObject({ code: 'LLM_MODEL_MISSING', status: 404 });
    expect((error as Error).message).toContain('no-such-model');
    expect(requestsSince(start)).toHaveLength(1);
  });

  it('ends with LLM_STREAM_ERROR when the server reports an error mid-stream', async () => {
    const start = fake.requests.length;
    const { deltas, error } = await drain(
      clientFor(provider, 'mid-error', { retries: 2 }).chatStream(messages, { signal: signal() }),
    );

    expect(deltas).toEqual(REPLY_TOKENS.slice(0, 2));
    expect(error).toMatchObject({ code: 'LLM_STREAM_ERROR' });
    expect((error as Error).message).toContain('unexpected EOF');
    expect(requestsSince(start)).toHaveLength(1);
  });

  it('times out when the server never answers, and closes the request', async () => {
    const start = fake.requests.length;
    const began = Date.now();
    const { error } = await drain(
      clientFor(provider, 'stall-head', { idleTimeoutMs: 300 }).chatStream(messages, {
        signal: signal(),
      }),
    );

    expect(error).toMatchObject({ code: 'LLM_TIMEOUT' });
    expect(Date.now() - began).toBeLessThan(2500);
    const [request] = requestsSince(start);
    await expect(closedWithin(request, 5000)).resolves.toBe(true);
    expect(request?.closedEarly).toBe(true);
  });

  it('times out when the stream goes silent between chunks', async () => {
    const { deltas, error } = await drain(
      clientFor(provider, 'stall-body', { idleTimeoutMs: 300 }).chatStream(messages, {
        signal: signal(),
      }),
    );
    expect(deltas).toEqual([REPLY_TOKENS[0]]);
    expect(error).toMatchObject({ code: 'LLM_TIMEOUT' });
  });

  it('waits out a slow stream whose chunks come within the idle timeout', async () => {
    const { deltas, error } = await drain(
      clientFor(provider, 'slow', { idleTimeoutMs: 1000 }).chatStream(messages, {
        signal: signal(),
      }),
    );
    expect(error).toBeUndefined();
    expect(deltas.join('')).toBe(REPLY);
  });

  it('retries a failed request before the first token', async () => {
    const start = fake.requests.length;
    const { deltas, error } = await drain(
      clientFor(provider, 'flaky', { retries: 2 }).chatStream(messages, { signal: signal() }),
    );

    expect(error).toBeUndefined();
    expect(deltas.join('')).toBe(REPLY);
    expect(requestsSince(start)).toHaveLength(3);
  });

  it('does not retry once a token has been yielded', async () => {
    const start = fake.requests.length;
    const { deltas, error } = await drain(
      clientFor(provider, 'reset', { retries: 3 }).chatStream(messages, { signal: signal() }),
    );

    expect(deltas).toEqual([REPLY_TOKENS[0]]);
    expect(error).toMatchObject({ code: 'LLM_STREAM_ERROR' });
    expect(requestsSince(start)).toHaveLength(1);
  });

  it('reassembles lines and characters split across network chunks', async () => {
    const { deltas, error } = await drain(
      clientFor(provider, 'fragmented').chatStream(messages, { signal: signal() }),
    );
    expect(error).toBeUndefined();
    expect(deltas.join('')).toBe(REPLY);
  });

  it('treats a stream that ends without its final message as an error', async () => {
    const { deltas, error } = await drain(
      clientFor(provider, 'truncated').chatStream(messages, { signal: signal() }),
    );
    expect(deltas).toEqual(REPLY_TOKENS.slice(0, 2));
    expect(error).toMatchObject({ code: 'LLM_STREAM_ERROR' });
  });

  it('reports an unreachable server as LLM_UNAVAILABLE after its retries', async () => {
    const port = await closedPort();
    const { error } = await drain(
      clientFor(provider, okModel, { retries: 1 }, `http://127.0.0.1:${port}`).chatStream(
        messages,
        { signal: signal() },
      ),
    );
    expect(error).toMatchObject({ code: 'LLM_UNAVAILABLE', retryable: true });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('passes health when the model is there, and says why when it is not', async () => {
    await expect(clientFor(provider, okModel).health()).resolves.toEqual({ ok: true });

    const missing = await clientFor(provider, 'no-such-model').health();
    expect(missing.ok).toBe(false);
    expect(missing.detail).toContain('no-such-model');

    const port = await closedPort();
    const down = await clientFor(provider, okModel, {}, `http://127.0.0.1:${port}`).health();
    expect(down).toMatchObject({ ok: false });
    expect(down.detail).toContain('ECONNREFUSED');
  });
});

/** Whether the server saw the request's connection close within `ms`. */
async function closedWithin(request: FakeLlmRequest | undefined, ms: number): Promise<boolean> {
  if (!request) return false;
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());
  return Promise.race([request.closed.then(() => true as const), timeout]);
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
