import type { LlmClient, LlmMessage, ProviderSettings } from './llm-client.js';
import { clip, httpError, LlmError } from './llm-error.js';
import { LineSplitter } from './stream-decoders.js';
import { chatMethods, getJson, joinUrl, streamText } from './stream-request.js';

const provider = 'ollama';

interface OllamaChatLine {
  message?: { role?: string; content?: unknown };
  done?: boolean;
  done_reason?: string;
  error?: unknown;
}

/** Ollama's native API: `POST /api/chat` streaming NDJSON, health from `GET /api/tags`. */
export function createOllamaClient(settings: ProviderSettings): LlmClient {
  const { model, dispatcher, log } = settings;
  const chatUrl = joinUrl(settings.baseUrl, '/api/chat');
  const tagsUrl = joinUrl(settings.baseUrl, '/api/tags');

  async function* attempt(messages: LlmMessage[], signal: AbortSignal): AsyncGenerator<string> {
    const body = streamText({
      provider,
      url: chatUrl,
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      body: { model, messages, stream: true },
      signal,
      dispatcher,
      timeouts: { idleMs: settings.idleTimeoutMs },
      errorFor: (status, text) => ollamaHttpError(status, text, model),
    });

    const lines = new LineSplitter();
    for await (const text of body) {
      for (const line of lines.push(text)) {
        const step = readLine(line);
        if (step.text) yield step.text;
        if (step.done) return;
      }
    }
    for (const line of lines.end()) {
      const step = readLine(line);
      if (step.text) yield step.text;
      if (step.done) return;
    }
    throw new LlmError('LLM_STREAM_ERROR', 'the stream ended before its final line', {
      provider,
      retryable: true,
    });
  }

  /** One NDJSON line: its text, and whether it was the final line. */
  function readLine(line: string): { text?: string; done: boolean } {
    if (line.trim() === '') return { done: false };

    let parsed: OllamaChatLine;
    try {
      parsed = JSON.parse(line) as OllamaChatLine;
    } catch {
      // Some builds write a raw-text error line; treat any non-JSON line as one.
      throw new LlmError('LLM_STREAM_ERROR', `the server sent: ${clip(line)}`, { provider });
    }

    if (parsed.error !== undefined) {
      const message =
        typeof parsed.error === 'string' ? parsed.error : JSON.stringify(parsed.error);
      throw new LlmError('LLM_STREAM_ERROR', `the model failed mid-stream: ${clip(message)}`, {
        provider,
      });
    }
    if (parsed.done === true && parsed.done_reason === 'length') {
      log?.warn({ model }, 'llm answer cut at the length limit');
    }
    // The final line's content is normally empty, but keep any text a server puts there.
    const content = parsed.message?.content;
    const text = typeof content === 'string' && content !== '' ? content : undefined;
    return { text, done: parsed.done === true };
  }

  return {
    provider,
    model,
    ...chatMethods<LlmMessage>(attempt, settings),
    async health(signal) {
      try {
        const { status, body } = await getJson(tagsUrl, {
          provider,
          headers: { accept: 'application/json' },
          dispatcher,
          signal,
          timeoutMs: settings.connectTimeoutMs,
        });
        if (status !== 200) return { ok: false, detail: `GET /api/tags answered ${status}` };

        const names = modelNames(body);
        if (names.some((name) => sameModel(name, model))) return { ok: true };
        return {
          ok: false,
          detail: `model "${model}" is not on the Ollama server (it has: ${names.join(', ') || 'none'})`,
        };
      } catch (err) {
        return { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
    },
    close: () => dispatcher.close(),
  };
}

function ollamaHttpError(status: number, text: string, model: string): LlmError {
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // Not JSON (a proxy's page, Gin's plain "404 page not found"): keep the raw text.
  }

  // Every Ollama version answers a missing model with 404 and "model … not found".
  if (status === 404 && /model/i.test(message) && /not found/i.test(message)) {
    return new LlmError(
      'LLM_MODEL_MISSING',
      `model "${model}" is not on the Ollama server (${clip(message)}); pull it first`,
      { provider, status },
    );
  }
  return httpError(status, message, provider);
}

function modelNames(body: unknown): string[] {
  // An empty store may answer `"models": null` rather than `[]`.
  const models = (body as { models?: unknown } | undefined)?.models;
  if (!Array.isArray(models)) return [];
  return models.flatMap((m: { name?: unknown; model?: unknown }) =>
    [m.name, m.model].filter((n): n is string => typeof n === 'string'),
  );
}

/** `llama3.1` and `llama3.1:latest` name the same model. */
export function sameModel(a: string, b: string): boolean {
  const norm = (s: string) => (s.includes(':') ? s : `${s}:latest`);
  return norm(a) === norm(b);
}
