import { writeFileSync } from 'node:fs';

import { printLoomSchema } from '../src/graphql/schema.js';

// `--check` fails when the committed schema.graphql differs from the code.
const printed = printLoomSchema();
if (process.argv.includes('--check')) {
  const { readFileSync } = await import('node:fs');
  const committed = readFileSync('schema.graphql', 'utf8');
  if (committed !== printed) {
    process.stderr.write('schema.graphql is out of date: run npm run schema:print\n');
    process.exit(1);
  }
} else {
  writeFileSync('schema.graphql', printed);
}
