import type { LlmClient, LlmMessage, ProviderSettings } from './llm-client.js';
import { clip, httpError, LlmError } from './llm-error.js';
import { type SseEvent, SseDecoder } from './stream-decoders.js';
import { chatMethods, getJson, joinUrl, streamText } from './stream-request.js';

const provider = 'openai';

interface ChunkChoice {
  delta?: { content?: unknown };
  finish_reason?: unknown;
}

/**
 * Any OpenAI-compatible server (OpenAI, llama.cpp's llama-server, vLLM, Ollama's `/v1`):
 * `POST /v1/chat/completions` streaming server-sent events, health from `GET /v1/models`.
 */
export function createOpenAiClient(settings: ProviderSettings): LlmClient {
  const { model, dispatcher, log } = settings;
  const chatUrl = apiUrl(settings.baseUrl, '/chat/completions');
  const modelsUrl = apiUrl(settings.baseUrl, '/models');
  const auth: Record<string, string> = settings.apiKey
    ? { authorization: `Bearer ${settings.apiKey}` }
    : {};

  async function* attempt(messages: LlmMessage[], signal: AbortSignal): AsyncGenerator<string> {
    const body = streamText({
      provider,
      url: chatUrl,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...auth },
      body: { model, messages, stream: true },
      signal,
      dispatcher,
      timeouts: { idleMs: settings.idleTimeoutMs },
      errorFor: (status, text) => openAiHttpError(status, text, model),
    });

    const decoder = new SseDecoder();
    let finished = false;
    for await (const text of body) {
      for (const event of decoder.push(text)) {
        const step = readEvent(event);
        if (step.text) yield step.text;
        if (step.finished) finished = true;
        if (step.done) return;
      }
    }
    for (const event of decoder.end()) {
      const step = readEvent(event);
      if (step.text) yield step.text;
      if (step.finished || step.done) finished = true;
    }
    // A server that sent its finish_reason but closed without `[DONE]` still answered fully.
    if (!finished) {
      throw new LlmError('LLM_STREAM_ERROR', 'the stream ended before [DONE]', {
        provider,
        retryable: true,
      });
    }
  }

  function readEvent(event: SseEvent): { text?: string; finished?: boolean; done?: boolean } {
    const data = event.data.trim();
    if (event.event === 'error') {
      throw new LlmError('LLM_STREAM_ERROR', `the model failed mid-stream: ${errorText(data)}`, {
        provider,
      });
    }
    if (data === '') return {};
    if (data === '[DONE]') return { done: true };

    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(data) as Record<string, unknown>;
    } catch {
      throw new LlmError('LLM_STREAM_ERROR', `the server sent an unreadable event: ${clip(data)}`, {
        provider,
      });
    }

    // Status 200 does not mean success: servers report failures as an event, nested or flat.
    if (chunk.error !== undefined && chunk.error !== null) {
      throw new LlmError('LLM_STREAM_ERROR', `the model failed mid-stream: ${errorText(data)}`, {
        provider,
      });
    }
    if (chunk.object === 'error') {
      throw new LlmError('LLM_STREAM_ERROR', `the model failed mid-stream: ${errorText(data)}`, {
        provider,
      });
    }

    // Usage chunks carry `choices: []`; llama.cpp's first delta has `content: null`.
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as ChunkChoice[]) : [];
    const choice = choices[0];
    const content = choice?.delta?.content;
    const finishReason = choice?.finish_reason;
    if (finishReason === 'length') log?.warn({ model }, 'llm answer cut at the length limit');
    return {
      text: typeof content === 'string' && content !== '' ? content : undefined,
      finished: typeof finishReason === 'string',
    };
  }

  return {
    provider,
    model,
    ...chatMethods<LlmMessage>(attempt, settings),
    async health(signal) {
      try {
        const { status, text, body } = await getJson(modelsUrl, {
          provider,
          headers: { accept: 'application/json', ...auth },
          dispatcher,
          signal,
          timeoutMs: settings.connectTimeoutMs,
        });
        if (status !== 200) {
          return { ok: false, detail: httpError(status, errorText(text), provider).message };
        }

        const ids = modelIds(body);
        if (ids.includes(model)) return { ok: true };
        // Known shortcoming: llama.cpp answers under any model name but lists only its alias,
        // so a working llama-server can be reported not ok until OPENAI_MODEL names that alias.
        return {
          ok: false,
          detail: `model "${model}" is not listed by the server (it lists: ${ids.join(', ') || 'none'})`,
        };
      } catch (err) {
        return { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
    },
    close: () => dispatcher.close(),
  };
}

/** `/v1` + path, whether or not the configured base URL already ends in `/v1`. */
export function apiUrl(base: string, path: string): string {
  const root = new URL(base);
  const prefix = /\/v1\/?$/.test(root.pathname) ? '' : '/v1';
  return joinUrl(base, `${prefix}${path}`);
}

function openAiHttpError(status: number, text: string, model: string): LlmError {
  const envelope = parseEnvelope(text);
  const message = envelope.message ?? text;

  if (status === 404 && isModelMissing(envelope, message)) {
    return new LlmError(
      'LLM_MODEL_MISSING',
      `model "${model}" is not served there (${clip(message)})`,
      { provider, status },
    );
  }
  return httpError(status, message, provider);
}

interface ErrorEnvelope {
  message?: string;
  type?: string;
  code?: string | number;
}

/** Reads both envelopes: nested `{"error": {…}}` (OpenAI, llama.cpp, vLLM ≥ 0.10.1, Ollama) and
 * flat `{"object": "error", "message", …}` (older vLLM). */
function parseEnvelope(text: string): ErrorEnvelope {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  if (!body || typeof body !== 'object') return {};

  const record = body as Record<string, unknown>;
  const inner = record.error;
  if (typeof inner === 'string') return { message: inner };
  const source = inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : record;
  return {
    message: typeof source.message === 'string' ? source.message : undefined,
    type: typeof source.type === 'string' ? source.type : undefined,
    code:
      typeof source.code === 'string' || typeof source.code === 'number' ? source.code : undefined,
  };
}

function isModelMissing(envelope: ErrorEnvelope, message: string): boolean {
  if (envelope.code === 'model_not_found') return true;
  // vLLM: "The model `x` does not exist."; Ollama's /v1: "model 'x' not found".
  return /model/i.test(message) && /not found|does not exist|not exist/i.test(message);
}

function errorText(raw: string): string {
  const envelope = parseEnvelope(raw);
  return clip(envelope.message ?? raw) || 'no details';
}

function modelIds(body: unknown): string[] {
  const data = (body as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return [];
  return data
    .map((m: { id?: unknown }) => m.id)
    .filter((id): id is string => typeof id === 'string');
}
