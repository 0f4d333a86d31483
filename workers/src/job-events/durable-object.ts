import { DurableObject } from "cloudflare:workers";
import { readConfig } from "@edge/config";
import type { JobEventsRpc } from "@edge/durable-objects";
import type { Bindings } from "@edge/env";
import { type JobEvent, type JobEventBatch, SUBSCRIPTION_PING, SUBSCRIPTION_PONG } from "@edge/jobs/events";

/**
 * One instance per user: the result callback publishes that user's job events here, and each
 * Worker isolate with someone waiting on them holds one WebSocket here (see `subscribeJobEvents`
 * in edge/src/jobs/events.ts, which fans the events out to every wait and stream of the user in
 * that isolate).
 *
 * The sockets are accepted through the Hibernation API: between events the object holds no
 * request open and may be evicted from memory while the sockets stay connected, so an idle user
 * with open waits costs nothing here. Keep-alive pings are answered by the runtime without
 * waking it; a publish wakes it, sends one message per socket and lets it sleep again.
 */
export class JobEvents extends DurableObject<Bindings> implements JobEventsRpc {
  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(SUBSCRIPTION_PING, SUBSCRIPTION_PONG));
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    if (this.ctx.getWebSockets().length >= readConfig(this.env).JOB_EVENTS_MAX_SUBSCRIBERS) {
      return new Response("too many subscriptions", { status: 503 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Sends the events to every subscribed isolate, in one message each. The batch's id lets a wait
   * that briefly hears it on two sockets (moving from one to the next) take it once.
   */
  async publish(events: JobEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const batch: JobEventBatch = { id: crypto.randomUUID(), events };
    const message = JSON.stringify(batch);
    let delivered = 0;
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(message);
        delivered++;
      } catch {
        // A socket closing meanwhile: its isolate resubscribes and re-reads what it waits on.
      }
    }
    return delivered;
  }

  async subscriptions(): Promise<number> {
    return this.ctx.getWebSockets().length;
  }

  async disconnect(): Promise<number> {
    const sockets = this.ctx.getWebSockets();
    for (const socket of sockets) {
      try {
        socket.close(1012, "hub restarting");
      } catch {
        // Already closing.
      }
    }
    return sockets.length;
  }

  /** Isolates send nothing but pings, which the runtime answers without waking this object. */
  override webSocketMessage(): void {}

  override webSocketClose(socket: WebSocket, code: number, reason: string): void {
    try {
      // Completes the closing handshake (1005/1006 are reserved: they cannot be sent back).
      socket.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed by the runtime.
    }
  }

  override webSocketError(socket: WebSocket): void {
    this.webSocketClose(socket, 1011, "error");
  }
}
