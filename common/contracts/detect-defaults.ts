/**
 * The thresholds a job gets when its request names none. Kept free of imports so the web app
 * can show them as its form's defaults without bundling zod.
 */
export const DEFAULT_CONF = 0.25;
export const DEFAULT_IOU = 0.45;
