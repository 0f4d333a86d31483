export * from "./credentials";
export * from "./idempotency";
export * from "./images";
export * from "./jobs";
export * from "./users";
export * from "./webhooks";
