import type { Logger } from 'pino';

import type { AppConfig } from '../config/config.js';
import type { Availability, ToolAdapter } from './tool.js';

const CACHE_MS = 30_000;
const CHECK_TIMEOUT_MS = 5_000;
/** A query waits at most this long for a fresh check before answering with what it has. */
const QUERY_WAIT_MS = 2_000;

interface CacheEntry {
  value?: Availability;
  checkedAt: number;
  pending?: Promise<Availability>;
}

/** The tools this process knows, with their availability checked briefly and cached. */
export class ToolRegistry {
  private readonly byName: Map<string, ToolAdapter>;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    readonly tools: ToolAdapter[],
    private readonly config: AppConfig,
    private readonly log: Logger,
  ) {
    this.byName = new Map(tools.map((tool) => [tool.name, tool]));
  }

  get(name: string): ToolAdapter | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return this.tools.map((tool) => tool.name);
  }

  async availability(name: string): Promise<Availability> {
    const tool = this.byName.get(name);
    if (!tool) return { available: false, reason: `unknown tool ${name}` };

    const entry = this.cache.get(name) ?? { checkedAt: 0 };
    this.cache.set(name, entry);
    const fresh = entry.value && Date.now() - entry.checkedAt < CACHE_MS;
    if (fresh) return entry.value!;

    entry.pending ??= this.check(tool).then((value) => {
      entry.value = value;
      entry.checkedAt = Date.now();
      entry.pending = undefined;
      return value;
    });

    // A stale answer now beats a slow fresh one; the check completes in the background.
    if (entry.value) return entry.value;
    const waited = await Promise.race([entry.pending, delay(QUERY_WAIT_MS)]);
    return waited ?? { available: false, reason: 'availability check still running' };
  }

  private async check(tool: ToolAdapter): Promise<Availability> {
    const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
    try {
      return await tool.checkAvailability({ config: this.config, signal });
    } catch (err) {
      this.log.debug({ err, tool: tool.name }, 'availability check failed');
      const reason = signal.aborted ? 'availability check timed out' : errorMessage(err);
      return { available: false, reason };
    }
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
