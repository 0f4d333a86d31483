/**
 * Waiting on work another request started. In workerd a request that awaits a promise settled by
 * another request's I/O resumes in that request's context, and its next I/O from there is refused
 * ("Cannot perform I/O on behalf of a different request"; measured under overload as 500s from
 * the rate limiter's Durable Object call after a shared wait). So a request that shares another's
 * lookup waits on its own timers until the shared promise has settled, then reads it: an await
 * of a settled promise resumes in the awaiting request's own context.
 */

/** How often a waiting request looks whether the shared work has settled. */
const POLL_MS = 5;

/** Whether `shared` settles within `limitMs`, waiting on this request's own timers. */
export async function settledWithin(shared: Promise<unknown>, limitMs: number): Promise<boolean> {
  let settled = false;
  const mark = () => {
    settled = true;
  };
  shared.then(mark, mark);
  for (let waited = 0; !settled && waited < limitMs; waited += POLL_MS) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return settled;
}

/** `shared`'s outcome, read in this request's context once it has settled (the work bounds its own time). */
export async function sharedResult<T>(shared: Promise<T>): Promise<T> {
  await settledWithin(shared, Number.POSITIVE_INFINITY);
  return await shared;
}
