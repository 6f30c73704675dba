import { requireRole } from '../auth/roles.js';
import { CaseRef } from '../cases/case-graphql.js';
import { builder } from '../graphql/builder.js';
import type { ChatMessageRow } from './chat-repository.js';
import { listChatMessages } from './chat-repository.js';
import { type ChatChunk, type ChatStreamItem, isChatError, streamChatTurn } from './chat-stream.js';
import { prepareChatTurn, runChatTurn } from './chat-turn.js';

export const ChatMessageRef = builder.objectRef<ChatMessageRow>('ChatMessage').implement({
  description: 'One message of an assistant conversation: `user` asked, `assistant` answered',
  fields: (t) => ({
    id: t.exposeID('id'),
    role: t.exposeString('role'),
    content: t.exposeString('content'),
    model: t.exposeString('model', {
      nullable: true,
      description: 'The model that wrote an answer, as provider:model',
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (m) => m.createdAt }),
  }),
});

const ChatChunkRef = builder.objectRef<ChatChunk>('ChatChunk').implement({
  description: 'Part of an answer as it is generated; the last has `done` and the stored id',
  fields: (t) => ({
    delta: t.exposeString('delta'),
    done: t.exposeBoolean('done'),
    messageId: t.exposeID('messageId', { nullable: true }),
  }),
});

const ChatInputRef = builder.inputType('ChatInput', {
  fields: (t) => ({
    message: t.string({ required: true }),
    caseId: t.id({
      required: false,
      description: 'Ask about this case; without it the general OSINT assistant answers',
    }),
  }),
});

const toInput = (input: { message: string; caseId?: string | number | null }) => ({
  message: input.message,
  caseId: input.caseId == null ? undefined : String(input.caseId),
});

builder.mutationField('chat', (t) =>
  t.field({
    type: ChatMessageRef,
    description: 'Asks the assistant and returns its stored answer',
    args: { input: t.arg({ type: ChatInputRef, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      requireRole(ctx, 'analyst');
      const turn = await prepareChatTurn(ctx.services, toInput(input));
      return runChatTurn(ctx.services, turn, { signal: ctx.signal, log: ctx.log });
    },
  }),
);

builder.subscriptionField('chatStream', (t) =>
  t.field({
    type: ChatChunkRef,
    description: 'Asks the assistant and streams the answer; unsubscribing stops the generation',
    args: { input: t.arg({ type: ChatInputRef, required: true }) },
    subscribe: async (_root, { input }, ctx) => {
      requireRole(ctx, 'analyst');
      const turn = await prepareChatTurn(ctx.services, toInput(input));
      return ctx.services.subscriptions.track(ctx, streamChatTurn(ctx.services, turn, ctx.log));
    },
    resolve: (item: ChatStreamItem) => {
      if (isChatError(item)) throw item.error;
      return item;
    },
  }),
);

builder.objectField(CaseRef, 'chat', (t) =>
  t.field({
    type: [ChatMessageRef],
    description: 'The assistant conversation about this case, oldest first',
    resolve: (c, _args, ctx) => listChatMessages(ctx.services.db, c.id),
  }),
);
