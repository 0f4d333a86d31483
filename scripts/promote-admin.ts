/**
 * Gives an existing account the admin role (the first admin cannot be made through the API).
 *
 *   npm run admin:promote -- inspector@example.com
 *
 * Uses DATABASE_URL, or the local stack's database when it is unset.
 */
import { eq } from "drizzle-orm";
import { createDb } from "../db/client-bun";
import { users } from "../db/schema";
import { normaliseEmail } from "../edge/src/auth/emails";
import { localDatabaseUrl } from "./local-stack/postgres";
import { readLocalSettings } from "./local-stack/settings";

const email = process.argv[2];
if (!email) {
  console.error("usage: npm run admin:promote -- <email>");
  process.exit(2);
}
const settings = readLocalSettings();
const url = process.env.DATABASE_URL ?? localDatabaseUrl(settings.postgresPort, settings.database);
const { db, close } = createDb(url, { max: 1 });
try {
  const [user] = await db
    .update(users)
    .set({ role: "admin" })
    .where(eq(users.email, normaliseEmail(email)))
    .returning({ id: users.id });
  if (!user) {
    console.error(`no account with email ${email}: register it first`);
    process.exitCode = 1;
  } else {
    console.log(`${email} is now an admin (user ${user.id})`);
  }
} finally {
  await close();
}
