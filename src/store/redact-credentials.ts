const URL_WITH_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@\s:]*):[^/?#@\s]*@/i;

/**
 * A copy of a JSON value in which every URL that carries a password (`http://user:secret@host`) has it
 * replaced by `***`, so that what is stored never holds one. Everything else is kept as it is.
 */
export function redactCredentials<T>(value: T): T {
  if (typeof value === "string") return value.replace(URL_WITH_PASSWORD, "$1:***@") as T;
  if (Array.isArray(value)) return value.map(redactCredentials) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, entry]) => [key, redactCredentials(entry)]),
    ) as T;
  }
  return value;
}
