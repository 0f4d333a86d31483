import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateJwtKeySet } from "../../local-stack/jwt-keys";

/** A complete, valid secrets file's content (fake values of the right shapes). */
export function validSecrets(): Record<string, string> {
  return {
    DATABASE_URL:
      "postgresql://app:pw@ep-quiet-cell-123456-pooler.eu-central-1.aws.neon.tech/defects?sslmode=require",
    INFERENCE_EDGE_URL: "https://defect-detection-edge-staging.example.workers.dev",
    INFERENCE_CALLBACK_TOKEN: "callback-token-0123456789abcdef",
    OPERATIONS_TOKEN: "operations-token-0123456789abcdef",
    IMAGE_URL_SIGNING_KEY: "image-url-signing-key-0123456789abcdef0123",
  };
}

export { generateJwtKeySet };

/** Writes `content` to a new temporary file and returns its path. */
export async function tempFile(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "deploy-test-"));
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}
