import { type Browser, chromium } from "playwright-core";

/** Debian's `chromium` package; CLINVAL_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.CLINVAL_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Headless Chromium for the report tests. The networking flags keep it from calling out at start-up,
 * which a machine without network refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
