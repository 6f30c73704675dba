import type { ParsedFinding } from '../findings/finding.js';
import { parseCrtsh } from './crtsh/parse.js';
import { parseDns } from './dns/parse.js';
import { parseIntelOwl } from './intelowl/parse.js';
import { parseRdap } from './rdap/parse.js';
import { parseReconNg } from './recon-ng/parse.js';
import { parseSearxng } from './searxng/parse.js';
import { parseSherlock } from './sherlock/parse.js';
import { parseSpiderfoot } from './spiderfoot/parse.js';
import { parseTheHarvester } from './theharvester/parse.js';

/** A pure parser: saved tool output in, unique normalised findings out. */
export type ToolParser = (text: string) => ParsedFinding[];

/**
 * The parser of every tool by its name, for `loom parse` and for adapters. Each parser tells
 * the formats of its tool apart by itself and throws a `ParseError` only for unreadable input.
 */
export const parsers: Record<string, ToolParser> = {
  searxng: parseSearxng,
  'recon-ng': parseReconNg,
  theharvester: parseTheHarvester,
  sherlock: parseSherlock,
  spiderfoot: parseSpiderfoot,
  intelowl: parseIntelOwl,
  crtsh: parseCrtsh,
  rdap: parseRdap,
  dns: parseDns,
};
