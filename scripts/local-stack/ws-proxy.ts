import { connect, type Socket } from "node:net";
import type { Server, ServerWebSocket } from "bun";

export type WsProxyOptions = {
  port: number;
  /** The only `host:port` the proxy will dial; anything else is refused (not an open relay). */
  target: { host: string; port: number };
  /**
   * Most TCP connections to the target at once. Further sessions wait for one to close (their
   * frames are held meanwhile), so server connections stay bounded like behind Neon's pooler.
   */
  maxConnections?: number;
};

type Session = { tcp?: Socket; held: Buffer[]; closed: boolean };

/** A first-come, first-served count of free connection slots. */
function slots(size: number) {
  let free = size;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return {
    acquire(): Promise<() => void> {
      if (free > 0) {
        free--;
        return Promise.resolve(release);
      }
      return new Promise((resolve) => waiting.push(() => resolve(release)));
    },
  };
}

/**
 * WebSocket-to-TCP relay speaking the protocol of Neon's `wsproxy`: the client opens
 * `ws://<proxy>/v2?address=<host>:<port>` and every binary frame is written to that TCP socket
 * and back. It lets the Neon serverless driver inside workerd reach a plain local PostgreSQL.
 */
export function startWsProxy(options: WsProxyOptions): Server<Session> {
  const allowed = `${options.target.host}:${options.target.port}`;
  const connections = slots(options.maxConnections ?? Number.POSITIVE_INFINITY);
  return Bun.serve<Session>({
    hostname: "127.0.0.1",
    port: options.port,
    fetch(request, server) {
      const address = new URL(request.url).searchParams.get("address");
      if (address !== allowed && address !== `localhost:${options.target.port}`) {
        return new Response(`address not allowed: ${address ?? "(none)"}`, { status: 403 });
      }
      if (server.upgrade(request, { data: { held: [], closed: false } })) return undefined;
      return new Response("expected a WebSocket upgrade", { status: 426 });
    },
    websocket: {
      async open(ws: ServerWebSocket<Session>) {
        const release = await connections.acquire();
        if (ws.data.closed) return release();
        const tcp = connect({ host: options.target.host, port: options.target.port });
        tcp.setNoDelay(true);
        tcp.on("data", (chunk) => ws.send(chunk));
        tcp.on("close", () => {
          release();
          ws.close();
        });
        tcp.on("error", () => ws.close(1011, "database connection failed"));
        // net.Socket buffers writes issued before the connection is up, so early frames are kept.
        for (const frame of ws.data.held.splice(0)) tcp.write(frame);
        ws.data.tcp = tcp;
      },
      message(ws: ServerWebSocket<Session>, message) {
        const frame = typeof message === "string" ? Buffer.from(message) : message;
        if (ws.data.tcp) ws.data.tcp.write(frame);
        else ws.data.held.push(frame);
      },
      close(ws: ServerWebSocket<Session>) {
        ws.data.closed = true;
        ws.data.tcp?.destroy();
      },
    },
  });
}
