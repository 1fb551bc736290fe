export function chromiumExecutable(): string | null;
export const CHROMIUM_MISSING: string;
