import type { Client } from "@libsql/client";

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const KEYS_PER_QUERY = 500;

/**
 * Reads JSON values by primary key, in batches: keys asked for while the event loop is busy are read
 * together at its next turn, with one `WHERE key IN (…)` query that returns a single JSON object
 * (key → value). Each row and string crossing from libSQL into JavaScript costs more than SQLite's own
 * work, so one row per batch rather than one per key is what makes a fully cached run fast.
 */
export class JsonKeyReader {
  readonly #client: Client;
  readonly #query: (placeholders: string) => string;
  #waiting = new Map<string, Waiter[]>();
  #scheduled = false;

  /** Reads `valueColumn` of `table` by `keyColumn`; every stored value must be valid JSON text. */
  constructor(client: Client, table: string, keyColumn: string, valueColumn: string) {
    this.#client = client;
    // The stored values are JSON already: pasting them into one object text is cheaper than json_group_object,
    // which parses and re-serializes each one.
    this.#query = (placeholders) =>
      `SELECT '{' || group_concat(json_quote(${keyColumn}) || ':' || ${valueColumn}, ',') || '}'
       FROM ${table} WHERE ${keyColumn} IN (${placeholders})`;
  }

  /** The parsed value stored for `key`, or undefined. */
  get(key: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const waiters = this.#waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.#waiting.set(key, [{ resolve, reject }]);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          void this.#read();
        });
      }
    });
  }

  async #read(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = new Map();
    const keys = [...waiting.keys()];
    for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
      const chunk = keys.slice(start, start + KEYS_PER_QUERY);
      try {
        const result = await this.#client.execute({
          sql: this.#query(chunk.map(() => "?").join(", ")),
          args: chunk,
        });
        const found = JSON.parse(String(result.rows[0]?.[0] ?? "{}")) as Record<string, unknown>;
        for (const key of chunk) {
          const value = Object.hasOwn(found, key) ? found[key] : undefined;
          for (const waiter of waiting.get(key) ?? []) waiter.resolve(value);
        }
      } catch (error) {
        for (const key of chunk) {
          for (const waiter of waiting.get(key) ?? []) waiter.reject(error);
        }
      }
    }
  }
}
