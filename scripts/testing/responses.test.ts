import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { expectError, parseBody, readBody, readError } from "./responses";

const errorBody = (code: string) =>
  Response.json({ error: { code, message: "no such image", requestId: "r-1" } }, { status: 404 });

describe("reading a response through a schema", () => {
  test("a matching body comes back parsed", async () => {
    const body = await readBody(Response.json({ id: "a", extra: 1 }), z.object({ id: z.string() }));
    expect(body).toEqual({ id: "a" });
  });

  test("a renamed field fails, naming the status, the field and the body", async () => {
    const response = Response.json({ identifier: "a" }, { status: 201 });
    const failure = readBody(response, z.object({ id: z.string() }));
    await expect(failure).rejects.toThrow(/201[\s\S]*id[\s\S]*"identifier":"a"/);
  });

  test("a body that is not JSON fails with its text", () => {
    expect(() => parseBody("<html>", z.unknown(), "502")).toThrow(/502: not JSON\n<html>/);
  });

  test("an error body gives its error; anything else is refused", async () => {
    expect(await readError(errorBody("not_found"))).toEqual({
      code: "not_found",
      message: "no such image",
      requestId: "r-1",
    });
    await expect(readError(errorBody("no_such_code"))).rejects.toThrow(/code/);
  });

  test("expectError checks status and code together", async () => {
    expect((await expectError(errorBody("not_found"), 404, "not_found")).message).toBe("no such image");
    await expect(expectError(errorBody("not_found"), 403, "not_found")).rejects.toThrow(
      "expected 403 not_found, got 404 not_found (no such image)",
    );
  });
});
