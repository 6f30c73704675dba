import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the console's page, styles and TypeScript sources live. */
export const consoleSourceDir = fileURLToPath(new URL('../../clients/web/', import.meta.url));

/**
 * The console's Content-Security-Policy: only its own files, no inline script or style, and
 * requests (HTTP and WebSocket) to the server that served it. nginx.prod.conf sends the same.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

/**
 * Bundles the console with esbuild (a development dependency, loaded only here) and returns
 * every file it serves, by name: index.html, console.css, console.js and its source map.
 */
export async function buildConsoleAssets(
  options: { minify?: boolean } = {},
): Promise<Map<string, ConsoleAsset>> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { console: join(consoleSourceDir, 'src/main.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: options.minify ?? false,
    sourcemap: 'linked',
    legalComments: 'none',
    outdir: join(consoleSourceDir, 'dist'),
    write: false,
    logLevel: 'silent',
  });

  const assets = new Map<string, ConsoleAsset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    assets.set(name, { body: Buffer.from(file.contents), contentType: typeOf(name) });
  }
  for (const name of ['index.html', 'console.css']) {
    const body = await readFile(join(consoleSourceDir, name));
    assets.set(name, { body, contentType: typeOf(name) });
  }
  return assets;
}

/** Writes the built console into `outDir` (what nginx serves in production). */
export async function writeConsole(outDir: string, options: { minify?: boolean } = {}) {
  const assets = await buildConsoleAssets(options);
  await mkdir(outDir, { recursive: true });
  for (const [name, asset] of assets) await writeFile(join(outDir, name), asset.body);
  return [...assets.keys()].sort();
}

function typeOf(name: string): string {
  return TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}
