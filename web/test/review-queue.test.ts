import { describe, expect, test } from "bun:test";
import { ApiFailure } from "../src/api/client";
import type { ReviewState } from "../src/api/reviews";
import type { JobReview, ReviewAction } from "../src/api/types";
import { createReviewQueue } from "../src/viewer/review-queue";

const stateAt = (version: number): ReviewState => ({
  review: { version } as JobReview,
  etag: `"${version}"`,
});
const accept = (itemId: string): ReviewAction => ({ type: "accept", itemId });

/**
 * A review on the server at `version`; each send takes a tick, answers 412 for any other version
 * and otherwise moves the version on. `changeElsewhere` is another reviewer's change.
 */
function fakeServer(version = 1) {
  const sent: Array<{ etag: string; actions: ReviewAction[] }> = [];
  const published: ReviewState[] = [];
  const errors: unknown[] = [];
  const busy: boolean[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const queue = createReviewQueue({
    async send(etag, actions) {
      sent.push({ etag, actions });
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await Bun.sleep(2);
      inFlight--;
      if (etag !== `"${version}"`) throw new ApiFailure(412, "precondition_failed", "The review changed");
      version++;
      return stateAt(version);
    },
    reload: async () => stateAt(version),
    isStale: (error) => error instanceof ApiFailure && error.status === 412,
    publish: (state) => published.push(state),
    onError: (error) => errors.push(error),
    onBusy: (value) => busy.push(value),
  });
  return {
    queue,
    sent,
    published,
    errors,
    busy,
    mostInFlight: () => mostInFlight,
    changeElsewhere: () => version++,
  };
}

describe("review action queue", () => {
  test("actions in quick succession go one at a time, each with the version the one before left", async () => {
    const server = fakeServer();
    server.queue.set(stateAt(1));
    await Promise.all([
      server.queue.enqueue([accept("a")]),
      server.queue.enqueue([accept("b")]),
      server.queue.enqueue([accept("c")]),
    ]);
    expect(server.mostInFlight()).toBe(1);
    expect(server.sent.map((entry) => entry.etag)).toEqual(['"1"', '"2"', '"3"']);
    expect(server.queue.state?.etag).toBe('"4"');
    expect(server.errors.filter((error) => error !== null)).toEqual([]);
    expect(server.busy).toEqual([true, true, true, false]);
  });

  test("a change elsewhere fails the action with 412, reloads, and the next action uses the reloaded version", async () => {
    const server = fakeServer();
    server.queue.set(stateAt(1));
    server.changeElsewhere();
    await Promise.all([server.queue.enqueue([accept("a")]), server.queue.enqueue([accept("b")])]);
    expect(server.sent.map((entry) => entry.etag)).toEqual(['"1"', '"2"']);
    expect(server.errors.filter((error) => error !== null)).toHaveLength(1);
    expect(server.published.map((state) => state.etag)).toEqual(['"1"', '"2"', '"3"']);
    expect(server.busy.at(-1)).toBe(false);
  });

  test("nothing is sent before a review is set", async () => {
    const server = fakeServer();
    await server.queue.enqueue([accept("a")]);
    expect(server.sent).toEqual([]);
    expect(server.busy).toEqual([]);
  });
});
