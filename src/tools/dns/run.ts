import { randomBytes } from 'node:crypto';

import type { RunContext, Target } from '../tool.js';
import { ToolError } from '../tool.js';
import {
  addresses,
  domainLookups,
  emailLookups,
  ipLookups,
  probeLookups,
  type Lookup,
} from './lookups.js';
import { probeLabels, type DnsOptions } from './options.js';
import { answerFindings, formatLine, type DnsStatusLine } from './records.js';
import { createDnsClient, type DnsClient } from './resolver.js';

/** Counts of how the queries of one run ended, for the verdict at the end. */
interface Tally {
  total: number;
  failed: Map<string, number>;
}

/**
 * Runs the queries for one target. The first query goes alone: when the server does not answer
 * it, the run fails after one timeout instead of after every query has timed out.
 */
export async function runDns(target: Target, options: DnsOptions, ctx: RunContext): Promise<void> {
  const client = createDnsClient({
    servers: ctx.config.DNS_SERVERS,
    timeoutMs: ctx.config.DNS_TIMEOUT_MS,
    tries: ctx.config.DNS_TRIES,
    signal: ctx.signal,
  });
  const tally: Tally = { total: 0, failed: new Map() };
  ctx.log.debug({ servers: client.servers, kind: target.kind }, 'dns lookups starting');

  try {
    const [first, ...rest] = lookupsFor(target);
    const canary = await runLookup(first, client, ctx, tally);
    ctx.signal.throwIfAborted();
    if (canary === 'ETIMEOUT') throw silentServer(client, ctx);
    // A name that does not exist has no names below it either (RFC 8020): nothing left to ask.
    if (canary === 'NXDOMAIN' && target.kind !== 'IP') {
      ctx.warn(`${first.name} does not exist (NXDOMAIN)`);
      return;
    }

    await eachLimited(rest, options.concurrency, (lookup) => runLookup(lookup, client, ctx, tally));
    ctx.signal.throwIfAborted();

    if (options.subdomains && target.kind === 'DOMAIN') {
      await probeSubdomains(target.value, options, client, ctx, tally);
      ctx.signal.throwIfAborted();
    }
  } finally {
    client.close();
  }

  judge(tally, ctx);
}

function lookupsFor(target: Target): Lookup[] {
  switch (target.kind) {
    case 'DOMAIN':
      return domainLookups(target.value);
    case 'IP':
      return ipLookups(target.value);
    case 'EMAIL':
      return emailLookups(target.value.slice(target.value.lastIndexOf('@') + 1));
    default:
      throw new ToolError(`dns does not look up ${target.kind} targets`);
  }
}

/** Runs one query, writes its line(s) and findings; returns its status or error code. */
async function runLookup(
  lookup: Lookup,
  client: DnsClient,
  ctx: RunContext,
  tally: Tally,
): Promise<string> {
  const outcome = await client.query(`${lookup.type} ${lookup.name}`, lookup.ask);
  if (ctx.signal.aborted) return 'ECANCELLED';
  tally.total += 1;

  if (outcome.status === 'failed') {
    tally.failed.set(outcome.code, (tally.failed.get(outcome.code) ?? 0) + 1);
    const line: DnsStatusLine = {
      type: lookup.type,
      name: lookup.name,
      status: 'FAILED',
      error: outcome.code,
    };
    if (!lookup.quiet) ctx.output(formatLine(line));
    return outcome.code;
  }

  const answers = outcome.status === 'ok' ? outcome.records : [];
  if (answers.length === 0) {
    const status = outcome.status === 'NXDOMAIN' ? 'NXDOMAIN' : 'NODATA';
    if (!lookup.quiet) ctx.output(formatLine({ type: lookup.type, name: lookup.name, status }));
    return status;
  }

  for (const answer of answers) {
    ctx.output(formatLine(answer));
    for (const finding of answerFindings(answer)) ctx.finding(finding);
  }
  return 'ok';
}

/**
 * Guesses `label.domain` names. A zone with a wildcard answers every guess, so a random label is
 * asked first and the probe is skipped when it resolves.
 */
async function probeSubdomains(
  domain: string,
  options: DnsOptions,
  client: DnsClient,
  ctx: RunContext,
  tally: Tally,
): Promise<void> {
  const random = `loom-${randomBytes(6).toString('hex')}.${domain}`;
  const wildcard = await client.query(`A ${random}`, addresses('A', random).ask);
  if (wildcard.status === 'ok') {
    ctx.warn(`${domain} has a wildcard record (${random} resolves): subdomain probe skipped`);
    return;
  }

  const labels = probeLabels(options);
  ctx.log.info({ labels: labels.length }, 'dns subdomain probe starting');
  const lookups = probeLookups(domain, labels);
  await eachLimited(lookups, options.concurrency, (lookup) =>
    runLookup(lookup, client, ctx, tally),
  );
}

function judge(tally: Tally, ctx: RunContext): void {
  const failed = [...tally.failed.values()].reduce((sum, n) => sum + n, 0);
  ctx.log.info({ queries: tally.total, failed }, 'dns lookups finished');
  if (failed === 0) return;

  const codes = [...tally.failed.entries()].map(([code, n]) => `${code} ×${n}`).join(', ');
  if (failed === tally.total) {
    throw new ToolError(`every DNS query failed (${codes})`, { retryable: true });
  }
  ctx.warn(`${failed} of ${tally.total} DNS queries failed (${codes})`);
}

function silentServer(client: DnsClient, ctx: RunContext): ToolError {
  const servers = client.servers.join(', ') || 'the system resolver';
  const ms = ctx.config.DNS_TIMEOUT_MS * ctx.config.DNS_TRIES;
  return new ToolError(`DNS server ${servers} did not answer within ${ms} ms`, {
    retryable: true,
  });
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
