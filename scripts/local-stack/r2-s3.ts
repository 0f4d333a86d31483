/**
 * A local stand-in of R2's S3-compatible API for what the product's readers do with it: GET and
 * HEAD of one object by a presigned URL (`<endpoint>/<bucket>/<key>?X-Amz-...`, path style, as
 * `edge/src/images/signed-url.ts` signs them). It verifies the SigV4 query signature and validity
 * window as R2 does (`sigv4-query.ts`), then serves the bytes straight from the bucket Miniflare
 * persists (`miniflare-r2-store.ts`), so they never pass through workerd: what the inference
 * service and the trainer get in production from R2, with R2's status codes, XML error bodies,
 * ETag, Last-Modified and single byte ranges. Writes are not served: the edge owns every write.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPersistedBucket, type PersistedBucket, type StoredObject } from "./miniflare-r2-store";
import { type S3Refusal, verifyPresigned } from "./sigv4-query";

export type LocalR2S3Options = {
  /** Folder of Miniflare's persisted R2 state (`<persist-to>/v3/r2`, or Miniflare's `r2Persist`). */
  r2Dir: string;
  /** Bucket names served (as wrangler.toml's `bucket_name`). */
  buckets: string[];
  /** The one access key the edge signs with (R2_S3_ACCESS_KEY_ID / R2_S3_SECRET_ACCESS_KEY). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  port?: number;
  hostname?: string;
};

export type LocalR2S3 = {
  /** The endpoint to configure as R2_S3_ENDPOINT, `http://127.0.0.1:<port>`. */
  endpoint: string;
  stop(): Promise<void>;
};

/** S3's error body; HEAD answers carry none. */
function s3Error(method: string, { status, code, message }: S3Refusal, resource: string): Response {
  const xmlText = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const body =
    method === "HEAD"
      ? null
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlText(message)}</Message><Resource>${xmlText(resource)}</Resource></Error>`;
  return new Response(body, { status, headers: { "Content-Type": "application/xml" } });
}

/** A single `bytes=` range (RFC 9110 §14.1.2); several ranges or a bad header: the whole object. */
export function parseRange(
  header: string | null,
  size: number,
): { start: number; end: number } | "unsatisfiable" | null {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === "" && match[2] === "")) return null;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

/** The files' slices one after another, each read as the client takes it. */
function concatenated(slices: Blob[]): ReadableStream<Uint8Array> {
  async function* chunks() {
    for (const slice of slices) yield* slice.stream();
  }
  const iterator = chunks();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return(undefined);
    },
  });
}

/** The object's bytes `start..end` (inclusive) across its blob files, streamed from disk. */
function objectBody(object: StoredObject, start: number, end: number): Blob | ReadableStream<Uint8Array> {
  const slices: Blob[] = [];
  let offset = 0;
  for (const part of object.parts) {
    const from = Math.max(start - offset, 0);
    const to = Math.min(end + 1 - offset, part.size);
    if (from < to) slices.push(Bun.file(part.path).slice(from, to));
    offset += part.size;
  }
  // One file (every object but a multipart one): the server sends it from disk as it is.
  return slices.length === 1 && slices[0] ? slices[0] : concatenated(slices);
}

function objectHeaders(object: StoredObject): Headers {
  const meta = object.httpMetadata;
  const headers = new Headers({
    "Content-Type": meta.contentType ?? "application/octet-stream",
    ETag: `"${object.etag}"`,
    "Last-Modified": object.uploaded.toUTCString(),
    "Accept-Ranges": "bytes",
  });
  const named = {
    contentLanguage: "Content-Language",
    contentDisposition: "Content-Disposition",
    contentEncoding: "Content-Encoding",
    cacheControl: "Cache-Control",
  } as const;
  for (const [field, header] of Object.entries(named)) {
    const value = meta[field];
    if (value) headers.set(header, value);
  }
  for (const [name, value] of Object.entries(object.customMetadata)) headers.set(`x-amz-meta-${name}`, value);
  return headers;
}

function serveObject(request: Request, object: StoredObject): Response {
  const headers = objectHeaders(object);
  const range = parseRange(request.headers.get("range"), object.size);
  if (range === "unsatisfiable") {
    headers.set("Content-Range", `bytes */${object.size}`);
    const refusal = { status: 416, code: "InvalidRange", message: "The requested range is not satisfiable" };
    const answer = s3Error(request.method, refusal, object.key);
    for (const [name, value] of headers) if (name !== "content-type") answer.headers.set(name, value);
    return answer;
  }
  const { start, end } = range ?? { start: 0, end: object.size - 1 };
  headers.set("Content-Length", String(object.size === 0 ? 0 : end - start + 1));
  if (range) headers.set("Content-Range", `bytes ${start}-${end}/${object.size}`);
  const status = range ? 206 : 200;
  if (request.method === "HEAD" || object.size === 0) return new Response(null, { status, headers });
  return new Response(objectBody(object, start, end), { status, headers });
}

function handle(
  request: Request,
  options: LocalR2S3Options,
  buckets: Map<string, PersistedBucket>,
): Response {
  const url = new URL(request.url);
  const resource = decodeURIComponent(url.pathname);
  const host = request.headers.get("host") ?? url.host;
  const verdict = verifyPresigned({ method: request.method, url, host }, (id) =>
    id === options.credentials.accessKeyId ? options.credentials.secretAccessKey : undefined,
  );
  if (!verdict.ok) return s3Error(request.method, verdict.refusal, resource);
  if (request.method !== "GET" && request.method !== "HEAD") {
    const message = "This stand-in serves object reads only; the edge owns every write.";
    return s3Error(request.method, { status: 501, code: "NotImplemented", message }, resource);
  }
  const [, bucketName = "", ...keyParts] = resource.split("/");
  const bucket = buckets.get(bucketName);
  if (!bucket) {
    return s3Error(
      request.method,
      { status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist." },
      resource,
    );
  }
  const object = keyParts.length > 0 ? bucket.head(keyParts.join("/")) : null;
  if (!object) {
    return s3Error(
      request.method,
      { status: 404, code: "NoSuchKey", message: "The specified key does not exist." },
      resource,
    );
  }
  return serveObject(request, object);
}

/** Starts the stand-in; `stop()` closes its port and the bucket databases. */
export function startLocalR2S3(options: LocalR2S3Options): LocalR2S3 {
  const buckets = new Map(options.buckets.map((name) => [name, openPersistedBucket(options.r2Dir, name)]));
  const server = Bun.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    fetch: (request) => handle(request, options, buckets),
  });
  return {
    endpoint: `http://${server.hostname}:${server.port}`,
    stop: async () => {
      await server.stop(true);
      for (const bucket of buckets.values()) bucket.close();
    },
  };
}

export type WorkerR2S3 = LocalR2S3 & {
  /** Where the Worker must persist its R2 buckets (Miniflare's `r2Persist`). */
  r2Dir: string;
  /** The Worker settings that make its signed URLs presigned URLs to this stand-in. */
  vars: Record<string, string>;
};

/**
 * A stand-in over a fresh folder, with fresh credentials, for one Worker (tests, benchmarks):
 * start the Worker with `r2Persist: r2Dir` and `vars`; `stop()` also removes the folder.
 */
export async function startWorkerR2S3(bucket: string): Promise<WorkerR2S3> {
  const r2Dir = await mkdtemp(join(tmpdir(), "r2-s3-"));
  const credentials = {
    accessKeyId: randomBytes(16).toString("hex"),
    secretAccessKey: randomBytes(32).toString("hex"),
  };
  const standIn = startLocalR2S3({ r2Dir, buckets: [bucket], credentials });
  return {
    ...standIn,
    r2Dir,
    vars: {
      R2_S3_ENDPOINT: standIn.endpoint,
      R2_S3_ACCESS_KEY_ID: credentials.accessKeyId,
      R2_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      R2_BUCKET_NAME: bucket,
    },
    stop: async () => {
      await standIn.stop();
      await rm(r2Dir, { recursive: true, force: true });
    },
  };
}
