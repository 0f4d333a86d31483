import { connect, type Socket } from "node:net";
import type { Server, ServerWebSocket } from "bun";

export type WsProxyOptions = {
  port: number;
  /** The only `host:port` the proxy will dial; anything else is refused (not an open relay). */
  target: { host: string; port: number };
};

type Session = { tcp?: Socket };

/**
 * WebSocket-to-TCP relay speaking the protocol of Neon's `wsproxy`: the client opens
 * `ws://<proxy>/v2?address=<host>:<port>` and every binary frame is written to that TCP socket
 * and back. It lets the Neon serverless driver inside workerd reach a plain local PostgreSQL.
 */
export function startWsProxy(options: WsProxyOptions): Server<Session> {
  const allowed = `${options.target.host}:${options.target.port}`;
  return Bun.serve<Session>({
    hostname: "127.0.0.1",
    port: options.port,
    fetch(request, server) {
      const address = new URL(request.url).searchParams.get("address");
      if (address !== allowed && address !== `localhost:${options.target.port}`) {
        return new Response(`address not allowed: ${address ?? "(none)"}`, { status: 403 });
      }
      if (server.upgrade(request, { data: {} })) return undefined;
      return new Response("expected a WebSocket upgrade", { status: 426 });
    },
    websocket: {
      open(ws: ServerWebSocket<Session>) {
        const tcp = connect({ host: options.target.host, port: options.target.port });
        tcp.setNoDelay(true);
        tcp.on("data", (chunk) => ws.send(chunk));
        tcp.on("close", () => ws.close());
        tcp.on("error", () => ws.close(1011, "database connection failed"));
        ws.data.tcp = tcp;
      },
      // net.Socket buffers writes issued before the connection is up, so early frames are kept.
      message(ws: ServerWebSocket<Session>, message) {
        ws.data.tcp?.write(typeof message === "string" ? Buffer.from(message) : message);
      },
      close(ws: ServerWebSocket<Session>) {
        ws.data.tcp?.destroy();
      },
    },
  });
}
