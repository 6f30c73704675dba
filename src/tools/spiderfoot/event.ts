import type { ParsedFinding } from '../../findings/finding.js';
import { toFinding } from '../../findings/normalize.js';
import { EVENT_KINDS, NO_FINDING_TYPES, typeCode } from './event-types.js';

/** One SpiderFoot event, whichever export or answer it came from. */
export interface SpiderfootEvent {
  /** Type code (`INTERNET_NAME`) or the readable name the command line prints. */
  type: string;
  data: string;
  module?: string;
  source?: string;
  falsePositive?: boolean;
  scanName?: string;
  lastSeen?: string;
}

// The source is often a whole parent event (a web page, a whois text); only short ones help.
const MAX_SOURCE = 256;

/**
 * The finding an event stands for, or undefined for false positives, the ROOT seed event and
 * the types in `NO_FINDING_TYPES`. Detail keeps the event type and the module behind it.
 */
export function eventFinding(event: SpiderfootEvent): ParsedFinding | undefined {
  const type = typeCode(event.type);
  if (event.falsePositive || type === 'ROOT' || type === '' || NO_FINDING_TYPES.has(type)) {
    return undefined;
  }

  const data: Record<string, unknown> = { eventType: type };
  if (event.module) data.module = event.module;
  if (event.scanName) data.scanName = event.scanName;
  if (event.lastSeen) data.lastSeen = event.lastSeen;
  const source = event.source ? stripUrlMarkers(event.source).trim() : '';
  if (source && source.length <= MAX_SOURCE && !source.includes('\n')) data.source = source;

  return toFinding(EVENT_KINDS[type] ?? 'OTHER', stripUrlMarkers(event.data), data);
}

/** SpiderFoot wraps links in `<SFURL>…</SFURL>` inside event data. */
function stripUrlMarkers(text: string): string {
  return text.replace(/<\/?SFURL>/g, '');
}
