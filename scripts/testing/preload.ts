import { afterAll } from "bun:test";
import "./neon-type-parsers";
import { stopSharedServices } from "./shared-services";

// Registered in the preload, so it runs once after every test file has finished.
afterAll(async () => {
  await stopSharedServices();
});
