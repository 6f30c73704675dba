import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { answerChat, llmAppError, writeNarrative } from '../../src/chat/chat-service.js';
import { testConfig } from '../../src/config/config.js';
import { createLlmClient, type LlmClient, LlmError } from '../../src/llm/llm-client.js';
import type { CaseSnapshot } from '../../src/llm/prompt.js';
import {
  type FakeLlmServer,
  REPLY,
  REPLY_TOKENS,
  startFakeLlmServer,
} from '../support/fake-llm-server.js';

let fake: FakeLlmServer;
const clients: LlmClient[] = [];

beforeAll(async () => {
  fake = await startFakeLlmServer();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await fake.stop();
});

function ollama(model: string): LlmClient {
  const config = testConfig({ LLM_PROVIDER: 'ollama', OLLAMA_URL: fake.url, OLLAMA_MODEL: model });
  const client = createLlmClient(config, { idleTimeoutMs: 3000, retries: 0 })!;
  clients.push(client);
  return client;
}

const snapshot: CaseSnapshot = {
  case: {
    id: 'case-9',
    title: 'Username sweep',
    description: null,
    target: 'nakagawa-riku',
    targetKind: 'USERNAME',
    status: 'COMPLETED',
    createdAt: '2026-03-01T10:00:00.000Z',
    startedAt: null,
    finishedAt: null,
  },
  runs: [],
  findings: [
    {
      kind: 'ACCOUNT',
      value: 'https://github.com/nakagawa-riku',
      tools: ['sherlock'],
      data: null,
    },
  ],
};

const signal = () => new AbortController().signal;

describe('answerChat', () => {
  it('streams each delta to the caller and returns the whole answer', async () => {
    const start = fake.requests.length;
    const deltas: string[] = [];
    const answer = await answerChat({
      client: ollama('llama3.2'),
      snapshot,
      history: [
        { role: 'user', content: 'What did sherlock find?' },
        { role: 'assistant', content: 'One GitHub account.' },
      ],
      message: 'Is it the same person?',
      budgetChars: 24_000,
      signal: signal(),
      onDelta: (d) => void deltas.push(d),
    });

    expect(answer).toEqual({ text: REPLY });
    expect(deltas).toEqual(REPLY_TOKENS);
    const sent = fake.requests[start]?.body.messages ?? [];
    expect(sent.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(sent[0]?.content).toContain('https://github.com/nakagawa-riku');
    expect(sent.at(-1)?.content).toBe('Is it the same person?');
  });

  it('returns the partial text and the error when the model fails mid-answer', async () => {
    const answer = await answerChat({
      client: ollama('mid-error'),
      history: [],
      message: 'hi',
      budgetChars: 24_000,
      signal: signal(),
    });
    expect(answer.text).toBe(REPLY_TOKENS.slice(0, 2).join(''));
    expect(answer.error).toBeInstanceOf(LlmError);
    expect(answer.error?.code).toBe('LLM_STREAM_ERROR');
  });

  it('stops the request when the delta handler throws', async () => {
    const start = fake.requests.length;
    await expect(
      answerChat({
        client: ollama('gated'),
        history: [],
        message: 'hi',
        budgetChars: 24_000,
        signal: signal(),
        onDelta: () => {
          throw new Error('subscriber gone');
        },
      }),
    ).rejects.toThrow('subscriber gone');
    const request = fake.requests[start];
    await request?.closed;
    expect(request?.closedEarly).toBe(true);
  });
});

describe('writeNarrative', () => {
  it('asks for the report of the case and returns the text', async () => {
    const start = fake.requests.length;
    const answer = await writeNarrative({
      client: ollama('llama3.2'),
      snapshot,
      budgetChars: 24_000,
      signal: signal(),
    });
    expect(answer).toEqual({ text: REPLY });
    const sent = fake.requests[start]?.body.messages ?? [];
    expect(sent[0]?.content).toContain('## Executive summary');
    expect(sent[1]?.content).toContain('nakagawa-riku');
  });
});

describe('llmAppError', () => {
  it('maps unavailable and missing-model failures to LLM_UNAVAILABLE, the rest to LLM_ERROR', () => {
    const make = (code: LlmError['code']) => new LlmError(code, 'x', { provider: 'ollama' });
    expect(llmAppError(make('LLM_MODEL_MISSING')).extensions).toMatchObject({
      code: 'LLM_UNAVAILABLE',
      llmCode: 'LLM_MODEL_MISSING',
    });
    expect(llmAppError(make('LLM_UNAVAILABLE')).extensions.code).toBe('LLM_UNAVAILABLE');
    expect(llmAppError(make('LLM_TIMEOUT')).extensions.code).toBe('LLM_ERROR');
    expect(llmAppError(make('LLM_STREAM_ERROR')).extensions.code).toBe('LLM_ERROR');
  });
});
