import { connect, type Socket } from "node:net";

/**
 * One HTTP/1.1 connection driven byte by byte, for tests that must control what fetch hides:
 * keep-alive reuse after a refusal, bodies shorter than declared, chunked bodies sent slowly.
 */

export type RawResponse = { status: number; headers: Headers; body: string };

export type RawConnection = {
  /** Writes bytes as they are; nothing is added. */
  write(data: string | Uint8Array): Promise<void>;
  /** The next complete response on the connection (Content-Length or chunked framing). */
  readResponse(timeoutMs?: number): Promise<RawResponse>;
  /** Ends the sending side (the server sees the body end early); reading still works. */
  endWriting(): void;
  /** Whether the server has closed its side. */
  readonly closed: boolean;
  close(): void;
};

const CRLF_CRLF = Buffer.from("\r\n\r\n");

/** Parses one response from the front of `buffer`; null while incomplete. */
function parseResponse(buffer: Buffer): { response: RawResponse; rest: Buffer } | null {
  const headerEnd = buffer.indexOf(CRLF_CRLF);
  if (headerEnd < 0) return null;
  const [statusLine = "", ...lines] = buffer.subarray(0, headerEnd).toString("latin1").split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let offset = headerEnd + 4;
  if (headers.get("transfer-encoding")?.toLowerCase().includes("chunked")) {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buffer.indexOf("\r\n", offset);
      if (lineEnd < 0) return null;
      const size = Number.parseInt(buffer.subarray(offset, lineEnd).toString("latin1"), 16);
      if (buffer.length < lineEnd + 2 + size + 2) return null;
      parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    return {
      response: { status, headers, body: Buffer.concat(parts).toString() },
      rest: buffer.subarray(offset),
    };
  }
  const length = Number(headers.get("content-length") ?? 0);
  if (buffer.length < offset + length) return null;
  const body = buffer.subarray(offset, offset + length).toString();
  return { response: { status, headers, body }, rest: buffer.subarray(offset + length) };
}

/** Opens a connection to `origin` (`http://host:port`). */
export async function openRawConnection(origin: string): Promise<RawConnection> {
  const url = new URL(origin);
  const socket: Socket = connect({ host: url.hostname, port: Number(url.port) });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let received: Buffer = Buffer.alloc(0);
  let closed = false;
  let wake: (() => void) | undefined;
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake?.();
  });
  const onClose = () => {
    closed = true;
    wake?.();
  };
  socket.on("close", onClose);
  socket.on("error", onClose);

  return {
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        if (closed) return reject(new Error("connection closed by the server"));
        socket.write(data, (error) => (error ? reject(error) : resolve()));
      }),
    async readResponse(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const parsed = parseResponse(received);
        if (parsed) {
          received = parsed.rest;
          return parsed.response;
        }
        if (closed) throw new Error("connection closed before a complete response");
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no complete response within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    endWriting: () => socket.end(),
    get closed() {
      return closed;
    },
    close: () => socket.destroy(),
  };
}

/** The bytes of a request head: request line, `Host`, the given headers and the blank line. */
export function requestHead(method: string, path: string, headers: Record<string, string> = {}): string {
  const lines = [
    `${method} ${path} HTTP/1.1`,
    "Host: localhost",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}
