/** Canonical form under which an email is stored and looked up: NFKC, trimmed, lower-cased. */
export function normaliseEmail(email: string): string {
  return email.normalize("NFKC").trim().toLowerCase();
}
