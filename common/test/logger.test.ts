import { describe, expect, test } from "bun:test";
import { errorFields } from "@common/logger";

describe("errorFields", () => {
  test("a failed query names its SQL but never its bound values, in the message, stack or causes", () => {
    const hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
    const failed = new Error(
      `Failed query: insert into "users" ("email", "password_hash") values ($1, $2)\nparams: someone@example.com,${hash}`,
      { cause: new Error(`Failed query: select 1\nparams: secret-note`) },
    );
    const fields = errorFields(failed);
    const logged = JSON.stringify(fields);
    expect(logged).not.toContain("someone@example.com");
    expect(logged).not.toContain(hash);
    expect(logged).not.toContain("secret-note");
    expect(fields.error).toBe(
      'Failed query: insert into "users" ("email", "password_hash") values ($1, $2)\nparams: (not logged)',
    );
    expect(fields.causes).toEqual([
      { name: "Error", message: "Failed query: select 1\nparams: (not logged)" },
    ]);
  });

  test("the cause chain keeps names, messages and driver codes", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const fields = errorFields(new Error("database unavailable", { cause: refused }));
    expect(fields).toMatchObject({
      error: "database unavailable",
      errorName: "Error",
      causes: [{ name: "Error", message: "connect ECONNREFUSED 127.0.0.1:5432", code: "ECONNREFUSED" }],
    });
    expect(errorFields("plain text")).toEqual({ error: "plain text" });
  });
});
