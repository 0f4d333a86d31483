export * from "./credentials";
export * from "./idempotency";
export * from "./images";
export * from "./jobs";
export * from "./reports";
export * from "./reviews";
export * from "./users";
export * from "./webhooks";
