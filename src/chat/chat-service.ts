import { AppError } from '../errors/app-error.js';
import { type LlmClient, LlmError, type LlmMessage } from '../llm/llm-client.js';
import {
  buildChatMessages,
  buildReportMessages,
  type CaseSnapshot,
  type ChatTurn,
  type ToolGuide,
} from '../llm/prompt.js';

export interface StreamedAnswer {
  /** Everything the model produced, even when it stopped early. */
  text: string;
  /** Why the answer is incomplete; absent when it ended normally. */
  error?: LlmError;
}

export interface AnswerChatInput {
  client: LlmClient;
  /** The case the question is about; without it the general OSINT assistant answers. */
  snapshot?: CaseSnapshot;
  /** Earlier turns, oldest first. */
  history: ChatTurn[];
  message: string;
  budgetChars: number;
  signal: AbortSignal;
  /** Called with each delta as it arrives; awaited, so a slow subscriber slows the read. */
  onDelta?: (delta: string) => void | Promise<void>;
  tools?: readonly ToolGuide[];
}

/**
 * One chat turn: builds the prompt, streams the answer through `onDelta` and returns the whole
 * text. LLM failures come back as `error` beside the partial text; an error thrown by
 * `onDelta` propagates, and stops the request.
 */
export function answerChat(input: AnswerChatInput): Promise<StreamedAnswer> {
  const messages = buildChatMessages({
    snapshot: input.snapshot,
    history: input.history,
    message: input.message,
    budgetChars: input.budgetChars,
    tools: input.tools,
  });
  return streamAnswer(input.client, messages, input.signal, input.onDelta);
}

/** The LLM narrative of a finished case, streamed like a chat answer. */
export function writeNarrative(input: {
  client: LlmClient;
  snapshot: CaseSnapshot;
  budgetChars: number;
  signal: AbortSignal;
  onDelta?: (delta: string) => void | Promise<void>;
}): Promise<StreamedAnswer> {
  const messages = buildReportMessages(input.snapshot, input.budgetChars);
  return streamAnswer(input.client, messages, input.signal, input.onDelta);
}

async function streamAnswer(
  client: LlmClient,
  messages: LlmMessage[],
  signal: AbortSignal,
  onDelta?: (delta: string) => void | Promise<void>,
): Promise<StreamedAnswer> {
  let text = '';
  try {
    for await (const delta of client.chatStream(messages, { signal })) {
      text += delta;
      await onDelta?.(delta);
    }
    return { text };
  } catch (err) {
    if (err instanceof LlmError) return { text, error: err };
    throw err;
  }
}

/** `ollama:llama3.1`: names the model behind a report (`generator`) or a chat answer (`model`). */
export const generatorName = (client: LlmClient) => `${client.provider}:${client.model}`;

/** The GraphQL error for an LLM failure: unavailable (retry later, fix config) or failed. */
export function llmAppError(err: LlmError): AppError {
  const unavailable = err.code === 'LLM_UNAVAILABLE' || err.code === 'LLM_MODEL_MISSING';
  return new AppError(unavailable ? 'LLM_UNAVAILABLE' : 'LLM_ERROR', err.message, {
    llmCode: err.code,
    provider: err.provider,
  });
}
