import { text, timestamp, uuid } from "drizzle-orm/pg-core";
import { uuidv7 } from "uuidv7";

/** Primary key: UUIDv7, so ids sort by creation time and index inserts stay append-only. */
export const id = () =>
  uuid()
    .primaryKey()
    .$defaultFn(() => uuidv7());

export const timestamptz = () => timestamp({ withTimezone: true, mode: "date" });

export const createdAt = () => timestamptz().notNull().defaultNow();

export const updatedAt = () =>
  timestamptz()
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());

/**
 * The lifecycle of work a service claims from the queue (training runs, model evaluations): the
 * trace it was enqueued in, when it was enqueued, claimed and finished, and the last claim or
 * progress report, by which the sweeper knows a service that died mid-work.
 */
export const claimedWork = () => ({
  traceparent: text(),
  enqueuedAt: timestamptz(),
  startedAt: timestamptz(),
  heartbeatAt: timestamptz(),
  finishedAt: timestamptz(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
