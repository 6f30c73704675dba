import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  Kind,
  NoSchemaIntrospectionCustomRule,
  type FragmentDefinitionNode,
  type GraphQLError,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

import type { AppConfig } from '../config/config.js';
import { AppError, type ErrorCode } from '../errors/app-error.js';

/**
 * Depth, cost, alias, directive and token limits through graphql-armor, with Loom's codes.
 * Everything counts: `__typename` aliases, fragments wherever they are spread. Introspection
 * fields are left to graphql's own introspection depth rule, and are refused in production.
 */
export function operationLimits(config: AppConfig): Plugin[] {
  const production = config.ENVIRONMENT === 'production';
  return [
    EnvelopArmorPlugin({
      maxDepth: {
        n: config.MAX_DEPTH,
        propagateOnRejection: false,
        onReject: [reject('MAX_DEPTH_EXCEEDED', config.MAX_DEPTH)],
      },
      costLimit: {
        maxCost: config.MAX_COST,
        propagateOnRejection: false,
        onReject: [reject('MAX_COST_EXCEEDED', config.MAX_COST)],
      },
      maxAliases: {
        n: config.MAX_ALIASES,
        // graphql-armor lets `__typename` aliases through by default: thousands of them are cheap
        // to write and not free to answer.
        allowList: [],
        propagateOnRejection: false,
        onReject: [reject('MAX_ALIASES_EXCEEDED', config.MAX_ALIASES)],
      },
      maxDirectives: {
        n: config.MAX_DIRECTIVES,
        propagateOnRejection: false,
        onReject: [reject('MAX_DIRECTIVES_EXCEEDED', config.MAX_DIRECTIVES)],
      },
      maxTokens: {
        n: config.MAX_TOKENS,
        onReject: [reject('MAX_TOKENS_EXCEEDED', config.MAX_TOKENS)],
      },
      blockFieldSuggestion: { enabled: production },
    }),
    ...(production ? [noIntrospection()] : []),
  ];
}

/** Reports the armor refusal as a validation error with a code; token refusals happen in the
 * parser, which has no validation context, and are thrown instead. */
function reject(code: ErrorCode, limit: number) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const message = error.message.replace(/^Syntax Error: /, '');
    const coded = new AppError(code, message, { limit });
    if (!context) throw coded;
    context.reportError(coded);
  };
}

function noIntrospection(): Plugin {
  return {
    onValidate: ({ addValidationRule }) => {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;

/**
 * The cost of the operation with graphql-armor's weights, but reading `first`/`last` from the
 * variables too: armor sees only literals, so `first: $n` would otherwise count as one item.
 * A list field without `first` counts as one item whatever page size its resolver defaults to
 * (cases 20, findings 100, events 500): the resolvers' own caps bound those.
 */
export function operationCost(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> | null | undefined,
): number {
  const fragmentCosts = new Map<string, number>();

  const setCost = (set: SelectionSetNode): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === '__schema') continue;
        if (!selection.selectionSet) {
          cost += DEPTH_FACTOR * SCALAR_COST;
          continue;
        }
        const items = pageArgument(selection.arguments ?? [], variables);
        cost += DEPTH_FACTOR * items * (OBJECT_COST + setCost(selection.selectionSet));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += DEPTH_FACTOR * (OBJECT_COST + setCost(selection.selectionSet));
      } else {
        const name = selection.name.value;
        if (!fragmentCosts.has(name)) {
          // Marked first so a fragment cycle (refused by validation anyway) cannot recurse.
          fragmentCosts.set(name, 0);
          const fragment = fragments.get(name);
          fragmentCosts.set(name, fragment ? OBJECT_COST + setCost(fragment.selectionSet) : 0);
        }
        cost += DEPTH_FACTOR * (SCALAR_COST + DEPTH_FACTOR * (fragmentCosts.get(name) ?? 0));
      }
    }
    return cost;
  };

  // The root fields are not weighted by the depth factor, as in graphql-armor.
  return setCost(operation.selectionSet) / DEPTH_FACTOR;
}

function pageArgument(
  args: readonly { name: { value: string }; value: ValueNode }[],
  variables: Record<string, unknown> | null | undefined,
): number {
  for (const arg of args) {
    if (arg.name.value !== 'first' && arg.name.value !== 'last') continue;
    const value =
      arg.value.kind === Kind.INT
        ? Number(arg.value.value)
        : arg.value.kind === Kind.VARIABLE
          ? variables?.[arg.value.name.value]
          : undefined;
    return typeof value === 'number' && Number.isFinite(value) ? Math.max(1, value) : 1;
  }
  return 1;
}
