/** The port `clinval view` listens on unless told otherwise. */
export const DEFAULT_WORKBENCH_PORT = 4173;

/** Where a report's links to the workbench point unless the study says otherwise (`workbench:`). */
export const DEFAULT_WORKBENCH_URL = `http://127.0.0.1:${DEFAULT_WORKBENCH_PORT}/`;

/**
 * One path segment, percent-encoded beyond `encodeURIComponent`: `! ' ( ) *` too, so the segment is safe
 * inside a Markdown link and a quoted HTML attribute as well as in the address itself.
 */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The workbench page of one case of one run, as a path on the workbench's address. */
export function workbenchCasePath(runId: string, caseId: string): string {
  return `/runs/${pathSegment(runId)}/cases/${pathSegment(caseId)}`;
}

/**
 * The absolute address of a workbench path on `base` (an http or https URL; a path under it is kept), or
 * null when `base` is not one.
 */
export function workbenchUrl(base: string, path: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  parsed.search = "";
  parsed.hash = "";
  if (!parsed.pathname.endsWith("/")) parsed.pathname = `${parsed.pathname}/`;
  return `${parsed.href}${path.replace(/^\/+/, "")}`;
}
