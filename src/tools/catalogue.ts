import { crtshTool } from './crtsh/index.js';
import { dnsTool } from './dns/index.js';
import { intelowlTool } from './intelowl/index.js';
import { rdapTool } from './rdap/index.js';
import { reconNgTool } from './recon-ng/index.js';
import { searxngTool } from './searxng/index.js';
import { sherlockTool } from './sherlock/index.js';
import { spiderfootTool } from './spiderfoot/index.js';
import { theharvesterTool } from './theharvester/index.js';
import type { ToolAdapter } from './tool.js';

/** Every tool Loom ships: the six integrations first, then the built-in collectors. */
export function builtinTools(): ToolAdapter[] {
  return [
    searxngTool,
    reconNgTool,
    theharvesterTool,
    sherlockTool,
    spiderfootTool,
    intelowlTool,
    dnsTool,
    crtshTool,
    rdapTool,
  ] as ToolAdapter[];
}
