import { badInput } from '../errors/app-error.js';

export const MAX_CHAT_MESSAGE_CHARS = 8000;

/** C0 and C1 control characters and DEL, except tab, line feed and carriage return. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

export interface ChatInput {
  message: string;
  caseId?: string | null;
}

export interface ValidChatInput {
  message: string;
  caseId?: string;
}

/** Checks a chat message: not blank, at most 8000 characters, no control characters. */
export function validateChatInput(input: ChatInput): ValidChatInput {
  const message = input.message.trim();
  if (message === '') throw badInput('message', 'must not be empty');
  if ([...input.message].length > MAX_CHAT_MESSAGE_CHARS) {
    throw badInput('message', `must be at most ${MAX_CHAT_MESSAGE_CHARS} characters`);
  }
  if (CONTROL.test(message)) {
    throw badInput('message', 'must not contain control characters other than newlines and tabs');
  }

  const caseId = input.caseId ?? undefined;
  if (caseId !== undefined && (caseId.trim() === '' || caseId.length > 200)) {
    throw badInput('caseId', 'is not a valid case id');
  }
  return { message, caseId };
}
