import type { Logger } from 'pino';

import type { Db } from '../db/database.js';
import type { EventBus } from './event-bus.js';
import { insertEvents, listEvents } from './event-repository.js';
import type { CaseEventRecord, NewCaseEvent } from './event-types.js';
import { createPushIterator } from './push-iterator.js';

const REPLAY_PAGE = 500;

const channelOf = (caseId: string) => `case:${caseId}`;

type WireEvent = Omit<CaseEventRecord, 'at'> & { at: string };

/**
 * The durable, ordered event stream of every case: stored first with its sequence number, then
 * published, and read back as replay-then-live with neither gap nor duplicate.
 */
export class CaseEventLog {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  async append(caseId: string, events: NewCaseEvent[]): Promise<CaseEventRecord[]> {
    const records = await insertEvents(this.db, caseId, events);
    await this.publish(records);
    return records;
  }

  /** Publishes events already stored (for example inside a caller's transaction). */
  async publish(records: CaseEventRecord[]): Promise<void> {
    for (const record of records) {
      const wire: WireEvent = { ...record, at: record.at.toISOString() };
      await this.bus.publish(channelOf(record.caseId), wire).catch((err: unknown) => {
        // Subscribers recover a missed event from storage through the gap check.
        this.log.warn({ err, caseId: record.caseId, seq: record.seq }, 'event publish failed');
      });
    }
  }

  /**
   * Events of a case: with `afterSeq`, the stored ones after it and then live ones; without it,
   * live ones only. A live event that arrives ahead of the last one delivered has its gap
   * filled from storage first, so order and completeness hold across processes.
   */
  stream(caseId: string, afterSeq?: number): AsyncIterableIterator<CaseEventRecord> {
    return createPushIterator<CaseEventRecord>((push, fail) => {
      let lastSeq = afterSeq;
      let closed = false;
      let chain = Promise.resolve();

      const deliverUpTo = async (record?: CaseEventRecord) => {
        if (closed) return;
        if (lastSeq !== undefined && (!record || record.seq > lastSeq + 1)) {
          await this.replay(caseId, lastSeq, record?.seq, (event) => {
            if (closed) return;
            push(event);
            lastSeq = event.seq;
          });
        }
        if (record && !closed && (lastSeq === undefined || record.seq > lastSeq)) {
          push(record);
          lastSeq = record.seq;
        }
      };

      const enqueue = (record?: CaseEventRecord) => {
        chain = chain.then(() => deliverUpTo(record)).catch((err: unknown) => fail(err));
      };

      const unsubscribe = this.bus.subscribe(channelOf(caseId), (payload) => {
        const wire = payload as WireEvent;
        enqueue({ ...wire, at: new Date(wire.at) });
      });
      if (afterSeq !== undefined) enqueue();

      return () => {
        closed = true;
        unsubscribe();
      };
    });
  }

  private async replay(
    caseId: string,
    afterSeq: number,
    beforeSeq: number | undefined,
    emit: (event: CaseEventRecord) => void,
  ): Promise<void> {
    let cursor = afterSeq;
    for (;;) {
      const page = await listEvents(this.db, caseId, {
        afterSeq: cursor,
        beforeSeq,
        limit: REPLAY_PAGE,
      });
      for (const event of page) emit(event);
      if (page.length < REPLAY_PAGE) return;
      cursor = page[page.length - 1].seq;
    }
  }
}
