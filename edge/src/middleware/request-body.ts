import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Config } from "../config";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";

/**
 * Every request body passes through one guard, installed before routing. It holds the limits
 * that apply to any body, whoever reads it (a JSON validator, a multipart parser, the upload
 * stream), and it settles what is left of the body once the response is ready:
 *
 * - bytes: a declared `Content-Length` over the limit is refused before anything is read, at
 *   once and with `Connection: close` (it is never drained), and a chunked or lying body is cut
 *   off as soon as it passes the limit (413 `payload_too_large`);
 * - time: no byte for `BODY_IDLE_TIMEOUT_MS`, or the whole body taking longer than
 *   `BODY_READ_TIMEOUT_MS`, is 408 `request_timeout` (a byte-a-second upload cannot hold a
 *   request open for ever);
 * - a body that breaks off before its end (the client closes early) is 400 `body_incomplete`;
 * - what the handler left unread (a refusal before or while reading) is read and dropped, up to
 *   `MAX_DRAIN_BYTES`: the runtime fails the client's next request on a keep-alive connection
 *   whose previous body was left unread. A larger remainder is abandoned and the response says
 *   `Connection: close`.
 *
 * The limit is `MAX_JSON_BODY_BYTES` unless a route raises it with `allowBodyBytes`.
 */

type Chunk = { done: boolean; value?: Uint8Array };
type ChunkReader = { read(): Promise<Chunk>; cancel(): Promise<void> };

/** What became of a body once its request was answered. */
type Settlement = "read" | "drained" | "abandoned";

export class RequestBody {
  /** The stream handlers read in place of the request's own. */
  readonly stream: ReadableStream<Uint8Array>;
  /** Largest body accepted; a route may raise it before the body is first read. */
  limit: number;
  /** The refusal the guard raised, whatever error a reader wrapped it in. */
  failure: ApiError | undefined;
  readonly #reader: ChunkReader;
  readonly #declared: number | null;
  readonly #config: Config;
  #received = 0;
  #ended = false;
  #settling = false;
  #deadline: number | undefined;

  constructor(source: ReadableStream<Uint8Array>, declared: number | null, config: Config) {
    this.#reader = source.getReader();
    this.#declared = declared;
    this.#config = config;
    this.limit = config.MAX_JSON_BODY_BYTES;
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            const chunk = await this.#next();
            if (chunk) controller.enqueue(chunk);
            else controller.close();
          } catch (error) {
            controller.error(error);
          }
        },
        // A reader that stops early leaves the rest to `settle`.
        cancel: () => {},
      },
      // Pull only when a reader asks: the limit is checked at the first read, after routing.
      { highWaterMark: 0 },
    );
  }

  #fail(error: ApiError): ApiError {
    this.failure ??= error;
    return this.failure;
  }

  /** One chunk from the client, or null at the end; refusals as ApiErrors. */
  async #next(): Promise<Uint8Array | null> {
    if (this.failure) throw this.failure;
    if (this.#settling) throw new Error("the request has been answered");
    if (this.#received === 0 && this.#declared !== null && this.#declared > this.limit) {
      throw this.#fail(tooLarge(this.limit, `The body declares ${this.#declared} bytes`));
    }
    this.#deadline ??= Date.now() + this.#config.BODY_READ_TIMEOUT_MS;
    const { done, value } = await this.#read(this.#deadline);
    if (done || !value) {
      this.#ended = true;
      return null;
    }
    this.#received += value.byteLength;
    if (this.#received > this.limit) {
      throw this.#fail(tooLarge(this.limit, `The body runs past ${this.limit} bytes`));
    }
    return value;
  }

  /** The next read of the client's bytes, bounded by the idle timeout and `deadline`. */
  async #read(deadline: number): Promise<Chunk> {
    const idle = this.#config.BODY_IDLE_TIMEOUT_MS;
    const wait = Math.max(0, Math.min(idle, deadline - Date.now()));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const message =
          Date.now() >= deadline
            ? `The body took longer than ${this.#config.BODY_READ_TIMEOUT_MS} ms to arrive`
            : `No byte of the body arrived for ${idle} ms`;
        reject(this.#fail(new ApiError("request_timeout", message)));
      }, wait);
    });
    try {
      return await Promise.race([this.#reader.read(), timeout]);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      // workerd: "Network connection lost." when the client closes before the declared end.
      throw this.#fail(
        new ApiError("body_incomplete", "The body ended before it was complete", { cause: error }),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Reads and drops what the handler left, so the connection can carry the next request; gives
   * up (and the connection closes) past `MAX_DRAIN_BYTES`, or when the body already failed.
   */
  async settle(): Promise<Settlement> {
    this.#settling = true;
    if (this.#ended) return "read";
    const budget = this.#config.MAX_DRAIN_BYTES;
    const remaining = this.#declared === null ? 0 : this.#declared - this.#received;
    if (this.failure?.code === "request_timeout" || this.failure?.code === "body_incomplete") {
      return this.#abandon();
    }
    // A body declared over the limit is refused whole: reading it to keep the connection would
    // wait on a client that may never send it (a 60 MB declaration, 1 KB sent, held the answer
    // until the idle timeout).
    if (this.#declared !== null && this.#declared > this.limit) return this.#abandon();
    if (remaining > budget) return this.#abandon();
    const deadline = Date.now() + this.#config.BODY_READ_TIMEOUT_MS;
    let drained = 0;
    try {
      for (;;) {
        const { done, value } = await this.#read(deadline);
        if (done || !value) return "drained";
        drained += value.byteLength;
        if (drained > budget) return this.#abandon();
      }
    } catch {
      return this.#abandon();
    }
  }

  async #abandon(): Promise<Settlement> {
    await this.#reader.cancel().catch(() => {});
    return "abandoned";
  }
}

function tooLarge(limit: number, what: string): ApiError {
  return new ApiError("payload_too_large", `${what}; the limit here is ${limit} bytes`, {
    details: { limit },
  });
}

function declaredLength(request: Request): number | null {
  const header = request.headers.get("content-length");
  if (header === null) return null;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/** The guard of this request's body, if it has one. */
export function requestBodyOf(c: Context<AppEnv>): RequestBody | undefined {
  return c.get("requestBody");
}

/**
 * Raises the body limit above `MAX_JSON_BODY_BYTES` for the routes below it (uploads, callbacks).
 * Mount it before the route's validators: they read the body.
 *
 * @example router.use("/", allowBodyBytes((config) => config.MAX_IMAGE_BYTES))
 */
export function allowBodyBytes(limit: (config: Config) => number) {
  return createMiddleware<AppEnv>(async function allowBodyBytesMiddleware(c, next) {
    const body = requestBodyOf(c);
    if (body) body.limit = limit(c.var.config);
    await next();
  });
}

/** Installs the guard; after the response is ready, settles the body. See the module comment. */
export function requestBody() {
  return createMiddleware<AppEnv>(async function requestBodyMiddleware(c, next) {
    const original = c.req.raw;
    if (!original.body) return next();
    const declared = declaredLength(original);
    const body = new RequestBody(original.body, declared, c.var.config);
    c.set("requestBody", body);
    c.req.raw = new Request(original, { body: body.stream, duplex: "half" } as RequestInit);
    await next();
    const settlement = await body.settle();
    if (settlement === "abandoned") {
      try {
        c.res.headers.set("Connection", "close");
      } catch {
        // An immutable response (a proxied one); the runtime closes the connection anyway.
      }
    }
  });
}
