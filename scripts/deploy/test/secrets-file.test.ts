import { describe, expect, test } from "bun:test";
import { parseSecretsFile, SecretsFileError } from "../secrets-file";
import { generateJwtKeySet, validSecrets } from "./fixtures";

function problems(content: string): string[] {
  try {
    parseSecretsFile(content, "secrets.json");
  } catch (error) {
    if (error instanceof SecretsFileError) return error.problems;
    throw error;
  }
  return [];
}

describe("secrets file", () => {
  test("a complete file is taken as it is, JSON or .env", () => {
    const secrets = validSecrets();
    expect(parseSecretsFile(JSON.stringify(secrets), "s.json")).toEqual(secrets);
    const env = Object.entries(secrets)
      .map(([name, value]) => `${name}="${value}"`)
      .join("\n");
    expect(parseSecretsFile(`# staging\n${env}\n`, ".env")).toEqual(secrets);
  });

  test("values the Worker would refuse are refused here, by name, without the value", () => {
    const found = problems(
      JSON.stringify({
        ...validSecrets(),
        DATABASE_URL: "mysql://db.example.com/x",
        OPERATIONS_TOKEN: "short",
        INFERENCE_EDGE_URL: "not a url",
      }),
    );
    expect(found.map((problem) => problem.split(":")[0])).toEqual([
      "DATABASE_URL",
      "INFERENCE_EDGE_URL",
      "OPERATIONS_TOKEN",
    ]);
    expect(found.join(" ")).not.toContain("short");
  });

  test("JWT_KEYS must be a set whose first key signs; a generated one passes", async () => {
    expect(problems(JSON.stringify({ ...validSecrets(), JWT_KEYS: await generateJwtKeySet() }))).toEqual([]);
    const publicOnly = JSON.parse(await generateJwtKeySet()) as { keys: Array<Record<string, string>> };
    delete publicOnly.keys[0]?.d;
    expect(problems(JSON.stringify({ ...validSecrets(), JWT_KEYS: JSON.stringify(publicOnly) }))).toEqual([
      "JWT_KEYS: not a JWK set of ES256 keys whose first key has its private part",
    ]);
  });

  test("the trainer's credential is optional, and checked like the other tokens when present", () => {
    const withTrainer = { ...validSecrets(), TRAINER_CALLBACK_TOKEN: "trainer-token-0123456789abcdef" };
    expect(parseSecretsFile(JSON.stringify(withTrainer), "s.json")).toEqual(withTrainer);
    const found = problems(JSON.stringify({ ...validSecrets(), TRAINER_CALLBACK_TOKEN: "short" }));
    expect(found.map((problem) => problem.split(":")[0])).toEqual(["TRAINER_CALLBACK_TOKEN"]);
    expect(found.join(" ")).not.toContain("short");
  });

  test("R2 S3 credentials come all together", () => {
    const found = problems(JSON.stringify({ ...validSecrets(), R2_S3_ACCESS_KEY_ID: "key-id" }));
    expect(found).toEqual([
      "R2_S3_ENDPOINT, R2_S3_ACCESS_KEY_ID, R2_S3_SECRET_ACCESS_KEY go together (got only R2_S3_ACCESS_KEY_ID)",
    ]);
  });

  test("not an object, or non-string values", () => {
    expect(problems("{ not json")).toEqual(["not a JSON object of names to strings"]);
    expect(problems(JSON.stringify({ ...validSecrets(), OPERATIONS_TOKEN: 12345 }))).toEqual([
      "OPERATIONS_TOKEN: must be a string",
    ]);
    expect(problems("")).toEqual([
      "missing required DATABASE_URL, INFERENCE_EDGE_URL, INFERENCE_CALLBACK_TOKEN, OPERATIONS_TOKEN, IMAGE_URL_SIGNING_KEY",
    ]);
  });
});
