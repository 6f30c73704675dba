import { resolve } from 'node:path';

import { consoleSourceDir, writeConsole } from '../src/console/console-assets.js';

// Builds the web console for nginx: `npm run console:build [OUT_DIR]` (default clients/web/dist).
const outDir = resolve(process.argv[2] ?? resolve(consoleSourceDir, 'dist'));
const files = await writeConsole(outDir, { minify: true });
process.stdout.write(`console built in ${outDir}: ${files.join(', ')}\n`);
