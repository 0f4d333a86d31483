import { afterAll, describe, expect, test } from "bun:test";
import { freePort } from "../ports";
import { startWsProxy } from "../ws-proxy";

const target = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: { data: (socket, data) => void socket.write(Buffer.concat([Buffer.from("echo:"), data])) },
});
const proxyPort = await freePort();
const proxy = startWsProxy({ port: proxyPort, target: { host: "127.0.0.1", port: target.port } });

afterAll(() => {
  proxy.stop(true);
  target.stop(true);
});

describe("WebSocket-to-TCP proxy", () => {
  test("relays binary frames to the allowed target and back", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/v2?address=127.0.0.1:${target.port}`);
    ws.binaryType = "arraybuffer";
    const reply = new Promise<string>((resolve, reject) => {
      ws.onmessage = (event) => resolve(Buffer.from(event.data as ArrayBuffer).toString());
      ws.onerror = () => reject(new Error("websocket error"));
    });
    await new Promise((resolve) => {
      ws.onopen = resolve;
    });
    ws.send(new TextEncoder().encode("ping"));
    expect(await reply).toBe("echo:ping");
    ws.close();
  });

  test("refuses any other address, so it is not an open relay", async () => {
    const response = await fetch(`http://127.0.0.1:${proxyPort}/v2?address=10.0.0.1:5432`, {
      headers: {
        Upgrade: "websocket",
        Connection: "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
      },
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("10.0.0.1:5432");
  });

  test("answers 426 to a plain HTTP request", async () => {
    const response = await fetch(`http://127.0.0.1:${proxyPort}/v2?address=127.0.0.1:${target.port}`);
    expect(response.status).toBe(426);
  });
});
