import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Types for the operations the CLI and the console send, from the committed schema.graphql.
 * Paths are relative to the repository root, where `npm run codegen` runs.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: 'clients/typescript/operations/*.graphql',
  generates: {
    'clients/typescript/src/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        // Documents as plain strings: no graphql-js needed to send them, in Node or a browser.
        documentMode: 'string',
        // Only the types operations use, so unrelated schema additions leave this file alone.
        onlyOperationTypes: true,
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
  silent: true,
};

export default config;
