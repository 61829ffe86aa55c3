/**
 * Errors raised by the queue area, each with a stable code that ops tooling and the API
 * layer match on (same convention as DomainError elsewhere).
 */
import { DomainError } from '../core/domain-error.js';

export class RedisUnavailableError extends DomainError {
  constructor(shownUrl: string, cause: string) {
    super(
      'REDIS_UNAVAILABLE',
      `Redis at ${shownUrl} is unreachable (${cause}); start one with \`redis-server --daemonize yes\` or set REDIS_URL to a reachable server`,
    );
    this.name = 'RedisUnavailableError';
  }
}

export class UnknownQueueError extends DomainError {
  constructor(queue: string) {
    super('QUEUE_UNKNOWN', `queue "${queue}" is not in the queue catalogue (src/queue/queues.ts)`, 'queue');
    this.name = 'UnknownQueueError';
  }
}

export class OutboxMessageInvalidError extends DomainError {
  constructor(field: string, reason: string) {
    super('OUTBOX_MESSAGE_INVALID', `outbox message ${field} ${reason}`, field);
    this.name = 'OutboxMessageInvalidError';
  }
}

export class DeadLetterIdInvalidError extends DomainError {
  constructor(id: string) {
    super('DEAD_LETTER_ID_INVALID', `dead letter id "${id.slice(0, 200)}" is not of the form <queue>:<jobId>`, 'id');
    this.name = 'DeadLetterIdInvalidError';
  }
}

export class DeadLetterNotFoundError extends DomainError {
  constructor(id: string) {
    super('DEAD_LETTER_NOT_FOUND', `no failed job with id "${id}"`, 'id');
    this.name = 'DeadLetterNotFoundError';
  }
}
