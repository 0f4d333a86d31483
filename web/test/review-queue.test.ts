import { describe, expect, test } from "bun:test";
import { ApiFailure } from "../src/api/client";
import type { ReviewState } from "../src/api/reviews";
import type { JobReview, ReviewAction } from "../src/api/types";
import { ReviewConflict } from "../src/viewer/review-history";
import { createReviewQueue } from "../src/viewer/review-queue";

type Item = JobReview["items"][number];

const box = { x1: 10, y1: 10, x2: 20, y2: 20 };
const item = (id: string, label = "porosity", classId = 0): Item => ({
  id,
  source: "model",
  decision: "pending",
  classId,
  label,
  box,
  boxNormalized: box,
  score: 0.9,
  note: null,
  original: null,
  updatedAt: null,
  updatedBy: null,
});

/** What the review API does with actions, for the indications these tests use. */
function applied(items: Item[], action: ReviewAction): Item[] {
  if (action.type === "add") {
    return [
      ...items,
      {
        ...item(`drawn-${items.length}`, action.label, action.classId),
        source: "reviewer",
        decision: "accepted",
      },
    ];
  }
  if (action.type === "accept-pending") {
    return items.map((entry) => (entry.decision === "pending" ? { ...entry, decision: "accepted" } : entry));
  }
  return items.map((entry) => {
    if (entry.id !== action.itemId) return entry;
    switch (action.type) {
      case "accept":
        return { ...entry, decision: "accepted" };
      case "reject":
        return { ...entry, decision: "rejected" };
      case "reset":
        return { ...entry, decision: "pending" };
      case "relabel":
        return { ...entry, decision: "accepted", classId: action.classId, label: action.label };
      case "resize":
        return { ...entry, decision: "accepted", box: action.box };
      case "note":
        return { ...entry, note: action.note ?? null };
      default:
        return entry;
    }
  });
}

/**
 * A review on the server; each send takes a tick, answers 412 for any version but the current
 * one and otherwise applies the actions. `elsewhere` is another reviewer's change.
 */
function fakeServer(ids = ["a", "b", "c"]) {
  let version = 1;
  let items = ids.map((id) => item(id));
  const snapshot = (): ReviewState => ({
    review: { version, items } as JobReview,
    etag: `"${version}"`,
  });
  const sent: Array<{ etag: string; actions: ReviewAction[] }> = [];
  const errors: unknown[] = [];
  const busy: boolean[] = [];
  const history: Array<{ undo: number; redo: number }> = [];
  let inFlight = 0;
  let mostInFlight = 0;
  async function send(etag: string, actions: ReviewAction[]) {
    sent.push({ etag, actions });
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    await Bun.sleep(2);
    inFlight--;
    if (etag !== `"${version}"`) throw new ApiFailure(412, "precondition_failed", "The review changed");
    items = actions.reduce(applied, items);
    version++;
    return snapshot();
  }
  const queue = createReviewQueue({
    send,
    reload: async () => snapshot(),
    isStale: (error) => error instanceof ApiFailure && error.status === 412,
    publish: () => {},
    onError: (error) => error !== null && errors.push(error),
    onBusy: (value) => busy.push(value),
    onHistory: (value) => history.push(value),
  });
  queue.set(snapshot());
  return {
    queue,
    send,
    snapshot,
    sent,
    errors,
    busy,
    history,
    mostInFlight: () => mostInFlight,
    decisions: () => items.map((entry) => `${entry.id}:${entry.decision}`),
    items: () => items,
    elsewhere(action: ReviewAction) {
      items = applied(items, action);
      version++;
    },
  };
}

const accept = (itemId: string): ReviewAction => ({ type: "accept", itemId });
const reject = (itemId: string): ReviewAction => ({ type: "reject", itemId });

describe("review action queue", () => {
  test("actions in quick succession go one at a time, each with the version the one before left", async () => {
    const server = fakeServer();
    await Promise.all([
      server.queue.enqueue([accept("a")]),
      server.queue.enqueue([reject("b")]),
      server.queue.enqueue([accept("c")]),
    ]);
    expect(server.mostInFlight()).toBe(1);
    expect(server.sent.map((entry) => entry.etag)).toEqual(['"1"', '"2"', '"3"']);
    expect(server.queue.state?.etag).toBe('"4"');
    expect(server.decisions()).toEqual(["a:accepted", "b:rejected", "c:accepted"]);
    expect(server.errors).toEqual([]);
    expect(server.busy).toEqual([true, true, true, false]);
  });

  test("a 412 from a change to another indication reloads and sends the same action again", async () => {
    const server = fakeServer();
    server.elsewhere(reject("c"));
    await server.queue.enqueue([accept("a")]);
    expect(server.sent.map((entry) => entry.etag)).toEqual(['"1"', '"2"']);
    expect(server.sent[1]?.actions).toEqual([accept("a")]);
    expect(server.decisions()).toEqual(["a:accepted", "b:pending", "c:rejected"]);
    expect(server.errors).toEqual([]);
  });

  test("a 412 because someone else decided the same indication is reported, not overwritten", async () => {
    const server = fakeServer();
    server.elsewhere(reject("a"));
    await Promise.all([server.queue.enqueue([accept("a")]), server.queue.enqueue([accept("b")])]);
    expect(server.decisions()).toEqual(["a:rejected", "b:accepted", "c:pending"]);
    expect(server.errors).toHaveLength(1);
    expect(server.errors[0]).toBeInstanceOf(ReviewConflict);
    expect((server.errors[0] as Error).message).toContain("was not applied");
    expect(server.busy.at(-1)).toBe(false);
  });

  test("undo takes back a decision (reset to pending), redo takes it again", async () => {
    const server = fakeServer();
    await server.queue.enqueue([accept("a")]);
    await server.queue.undo();
    expect(server.decisions()[0]).toBe("a:pending");
    expect(server.sent.at(-1)?.actions).toEqual([{ type: "reset", itemId: "a" }]);
    expect(server.history.at(-1)).toEqual({ undo: 0, redo: 1 });
    await server.queue.redo();
    expect(server.decisions()[0]).toBe("a:accepted");
    expect(server.history.at(-1)).toEqual({ undo: 1, redo: 0 });
  });

  test("undo of a relabel restores the class and the decision; a new action clears redo", async () => {
    const server = fakeServer();
    await server.queue.enqueue([{ type: "relabel", itemId: "b", classId: 1, label: "crack" }]);
    await server.queue.undo();
    expect(server.sent.at(-1)?.actions).toEqual([
      { type: "relabel", itemId: "b", classId: 0, label: "porosity" },
      { type: "reset", itemId: "b" },
    ]);
    expect(server.items()[1]).toMatchObject({ label: "porosity", decision: "pending" });
    await server.queue.enqueue([accept("c")]);
    expect(server.history.at(-1)).toEqual({ undo: 1, redo: 0 });
  });

  test("undo of a drawn box rejects it; redo accepts it again", async () => {
    const server = fakeServer(["a"]);
    await server.queue.enqueue([{ type: "add", classId: 1, label: "crack", box }]);
    await server.queue.undo();
    expect(server.decisions()).toEqual(["a:pending", "drawn-1:rejected"]);
    await server.queue.redo();
    expect(server.decisions()).toEqual(["a:pending", "drawn-1:accepted"]);
  });

  test("undo after someone else changed the same indication is refused with a message", async () => {
    const server = fakeServer();
    await server.queue.enqueue([accept("a")]);
    server.elsewhere(reject("a"));
    await server.queue.undo();
    expect(server.decisions()[0]).toBe("a:rejected");
    expect(server.errors[0]).toBeInstanceOf(ReviewConflict);
    expect(server.history.at(-1)).toEqual({ undo: 0, redo: 0 });
  });

  test("accept all pending is one request, undone in one step", async () => {
    const server = fakeServer();
    await server.queue.enqueue([reject("b")]);
    await server.queue.enqueue([{ type: "accept-pending", minScore: 0.5 }]);
    expect(server.decisions()).toEqual(["a:accepted", "b:rejected", "c:accepted"]);
    await server.queue.undo();
    expect(server.decisions()).toEqual(["a:pending", "b:rejected", "c:pending"]);
  });

  test("nothing is sent before a review is set", async () => {
    const queue = createReviewQueue({
      send: async () => {
        throw new Error("sent");
      },
      reload: async () => {
        throw new Error("reloaded");
      },
      isStale: () => false,
      publish: () => {},
      onError: (error) => {
        if (error !== null) throw error;
      },
      onBusy: () => {
        throw new Error("busy");
      },
    });
    await queue.enqueue([accept("a")]);
    await queue.undo();
  });
});

describe("a large undo", () => {
  test("is sent in parts of at most the per-request limit, and is one step to redo", async () => {
    const ids = Array.from({ length: 7 }, (_, n) => `i${n}`);
    const server = fakeServer(ids);
    const queue = createReviewQueue(
      {
        send: (etag, actions) => {
          if (actions.length > 3) throw new Error(`${actions.length} actions in one request`);
          return server.send(etag, actions);
        },
        reload: async () => server.snapshot(),
        isStale: () => false,
        publish: () => {},
        onError: (error) => error !== null && server.errors.push(error),
        onBusy: () => {},
        onHistory: (value) => server.history.push(value),
      },
      3,
    );
    queue.set(server.snapshot());
    await queue.enqueue([{ type: "accept-pending", minScore: 0 }]);
    expect(server.decisions().every((entry) => entry.endsWith(":accepted"))).toBe(true);
    await queue.undo();
    expect(server.errors).toEqual([]);
    expect(server.decisions().every((entry) => entry.endsWith(":pending"))).toBe(true);
    expect(server.history.at(-1)).toEqual({ undo: 0, redo: 1 });
    await queue.redo();
    expect(server.decisions().every((entry) => entry.endsWith(":accepted"))).toBe(true);
  });
});
