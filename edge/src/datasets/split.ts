export type Split = "train" | "val";

/**
 * An image's split, decided by its content and the dataset's seed alone: the first 32 bits of
 * SHA-256(`seed:sha256`) as a fraction of 2³², below `valFraction` is `val`. Adding images never
 * moves another one, and the same film lands in the same split in every version of a lineage.
 */
export async function splitOf(seed: string, sha256: string, valFraction: number): Promise<Split> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${seed}:${sha256}`));
  const fraction = new DataView(digest).getUint32(0) / 2 ** 32;
  return fraction < valFraction ? "val" : "train";
}

/** A fresh seed for a new lineage: 64 random bits, hex. */
export function newSeed(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}
