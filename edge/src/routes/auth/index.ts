import { database } from "@edge/middleware/database";
import { clientIp, rateLimit } from "@edge/middleware/rate-limit";
import { createRouter } from "@edge/openapi";
import { login } from "./login";
import { logout } from "./logout";
import { refresh } from "./refresh";
import { register } from "./register";

/** Unauthenticated account endpoints, limited per client address. */
export const authRouter = createRouter();
authRouter.use("*", rateLimit("auth_ip", clientIp), database());
authRouter.route("/", register).route("/", login).route("/", refresh).route("/", logout);
