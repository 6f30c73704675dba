import { builder } from '../graphql/builder.js';
import { TARGET_KINDS, TOOL_TRANSPORTS, type ToolAdapter } from './tool.js';

export const TargetKindEnum = builder.enumType('TargetKind', { values: TARGET_KINDS });
export const ToolTransportEnum = builder.enumType('ToolTransport', { values: TOOL_TRANSPORTS });

export const ToolRef = builder.objectRef<ToolAdapter>('Tool');

ToolRef.implement({
  description: 'An OSINT tool Loom can run, and whether it can run right now',
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    transport: t.field({ type: ToolTransportEnum, resolve: (tool) => tool.transport }),
    targetKinds: t.field({ type: [TargetKindEnum], resolve: (tool) => [...tool.targetKinds] }),
    available: t.boolean({
      resolve: async (tool, _args, ctx) =>
        (await ctx.services.registry.availability(tool.name)).available,
    }),
    unavailableReason: t.string({
      nullable: true,
      resolve: async (tool, _args, ctx) => {
        const availability = await ctx.services.registry.availability(tool.name);
        return availability.available ? null : (availability.reason ?? 'unavailable');
      },
    }),
  }),
});

builder.queryField('tools', (t) =>
  t.field({
    type: [ToolRef],
    description: 'Every tool this server knows, with its availability',
    resolve: (_root, _args, ctx) => ctx.services.registry.tools,
  }),
);
