import type { ParsedFinding } from '../../findings/finding.js';
import { eachPhysicalLine, type LineParser } from '../../findings/line-parser.js';
import { cleanLine } from '../../findings/text.js';
import { itemFindings, type ItemKind } from './sections.js';

// `[*] Emails found: 25`, `[+] Hosts found in search engines:`, `[*] Virtual hosts:`.
const MARKER = /^\[([*+])\]\s*(.*)$/;
const SEPARATOR = /^-+$/;

/**
 * Console output of theHarvester, any version from 3.x on. Results come in sections: a
 * `[*] … found: N` heading, a dashed rule, one item per line, a blank line. Header counts are
 * not trusted; only listed items count. Everything outside a section (banner with the author's
 * address, `Read proxies.yaml …`, `Searching …` progress) is ignored.
 */
export function createTheHarvesterLineParser(): LineParser {
  let section: ItemKind | undefined;
  let items = 0;

  const handle = (raw: string): ParsedFinding[] => {
    const line = cleanLine(raw);

    if (line === '') {
      // A blank line closes a list, but one right after the heading is only spacing.
      if (items > 0) section = undefined;
      return [];
    }

    const marker = MARKER.exec(line);
    if (marker) {
      section = sectionOf(marker[2]);
      items = 0;
      return [];
    }

    // `[-] Resolving hostnames IPs...` (3.x) sits inside the hosts list and ends nothing.
    if (!section || SEPARATOR.test(line) || /^\[[-!]\]/.test(line)) return [];
    items += 1;
    return itemFindings(section, line);
  };

  return {
    push: (line) => eachPhysicalLine(line, handle),
    end: () => [],
  };
}

/** The kind of list a heading opens, or undefined for any other status line. */
function sectionOf(heading: string): ItemKind | undefined {
  const label = heading.toLowerCase();
  if (/^no\b/.test(label)) return undefined;
  if (/virtual hosts/.test(label)) return 'VHOST';
  if (!/\bfound\b/.test(label)) return undefined;

  const name = label.slice(0, label.indexOf('found'));
  if (/\b(people|users?|persons?)\b/.test(name)) return 'PERSON';
  if (/\bhosts?\b/.test(name)) return 'HOST';
  if (/\be-?mails?\b/.test(name)) return 'EMAIL';
  if (/\bips?\b|\bip addresses\b/.test(name)) return 'IP';
  if (/\b(urls?|links?)\b/.test(name)) return 'URL';
  if (/\basns?\b/.test(name)) return 'ASN';
  return undefined;
}
