/**
 * Domain events leave the outbox through the `domain-events` queue. Channels subscribe
 * by event name (SMS receipts, settlement, monitoring); an event nobody subscribes to is
 * acknowledged. A failing subscriber fails the job, so BullMQ retries it and, in the end,
 * ops see it as a dead letter; subscribers must therefore be idempotent.
 */
import type { QueueJob } from '../queue/workers.js';
import type { QueueLogger } from '../queue/logger.js';

export type DomainEventSubscriber = (payload: unknown, job: QueueJob) => Promise<void>;

export class DomainEventSubscribers {
  private readonly byName = new Map<string, DomainEventSubscriber[]>();

  on(eventName: string, subscriber: DomainEventSubscriber): this {
    this.byName.set(eventName, [...(this.byName.get(eventName) ?? []), subscriber]);
    return this;
  }

  handler(logger: QueueLogger) {
    return async (job: QueueJob): Promise<void> => {
      const subscribers = this.byName.get(job.name) ?? [];
      for (const subscriber of subscribers) await subscriber(job.data, job);
      logger.info({ jobId: job.id, event: job.name, subscribers: subscribers.length }, 'domain event handled');
    };
  }
}
