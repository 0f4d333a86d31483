import type { Logger } from "@common/logger";
import type { Db } from "@db/client-worker";
import type { Config } from "@edge/config";
import type { Bindings } from "@edge/env";

/** What every queue and cron handler gets: bindings, validated config, a database, a logger. */
export type HandlerContext = { env: Bindings; config: Config; db: Db; logger: Logger };

/** `detect-push.ts` takes the shared helper from here, with its context. */
