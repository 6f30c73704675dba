import type { ToolAdapter } from './tool.js';
import { dnsTool } from './dns/index.js';
import { reconNgTool } from './recon-ng/index.js';
import { searxngTool } from './searxng/index.js';

/** Every tool Loom ships, in the order the catalogue lists them. */
export function builtinTools(): ToolAdapter[] {
  return [searxngTool, reconNgTool, dnsTool] as ToolAdapter[];
}
