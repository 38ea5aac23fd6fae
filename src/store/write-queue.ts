import type { InStatement, InValue } from "@libsql/client";

/** An `INSERT … ON CONFLICT …` into one table, run for many rows at once. */
export interface Upsert {
  table: string;
  columns: readonly string[];
  /** The `ON CONFLICT …` clause. */
  onConflict: string;
}

export interface Row {
  upsert: Upsert;
  values: InValue[];
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Bound parameters per statement, well under SQLite's limit of 32,766. */
const MAX_PARAMETERS = 8_000;

/**
 * Group commit: rows added while the event loop is busy are written together in one transaction at the
 * next turn of the loop (`setImmediate`), as one multi-row statement per table, and each `add` resolves
 * once its rows are committed. Under load the groups grow by themselves (rows added while a commit is
 * under way go together into the next); when idle a row waits for one turn of the loop. Rows for the same table keep their order, so a later upsert of a key wins.
 */
export class WriteQueue {
  readonly #commit: (statements: InStatement[]) => Promise<void>;
  #rows: Row[] = [];
  #waiters: Waiter[] = [];
  #scheduled = false;
  #writing: Promise<void> = Promise.resolve();

  /** `commit` runs the statements in one write transaction and resolves once it is durable. */
  constructor(commit: (statements: InStatement[]) => Promise<void>) {
    this.#commit = commit;
  }

  /** Queues rows to be written in one transaction with others; resolves when they are committed. */
  add(rows: Row[]): Promise<void> {
    this.#rows.push(...rows);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#enqueueWrite();
      });
    }
    return done;
  }

  /** Resolves when everything added so far is committed or has failed (the failure goes to its `add`). */
  flush(): Promise<void> {
    if (this.#rows.length > 0) this.#enqueueWrite();
    return this.#writing;
  }

  #enqueueWrite(): void {
    this.#writing = this.#writing.then(() => this.#write());
  }

  async #write(): Promise<void> {
    const rows = this.#rows;
    const waiters = this.#waiters;
    if (rows.length === 0) return;
    this.#rows = [];
    this.#waiters = [];
    try {
      await this.#commit(statementsFor(rows));
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    }
  }
}

function statementsFor(rows: Row[]): InStatement[] {
  const byUpsert = new Map<Upsert, InValue[][]>();
  for (const row of rows) {
    const group = byUpsert.get(row.upsert);
    if (group) group.push(row.values);
    else byUpsert.set(row.upsert, [row.values]);
  }
  const statements: InStatement[] = [];
  for (const [upsert, values] of byUpsert) {
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / upsert.columns.length));
    const placeholders = `(${upsert.columns.map(() => "?").join(", ")})`;
    for (let start = 0; start < values.length; start += perStatement) {
      const chunk = values.slice(start, start + perStatement);
      statements.push({
        sql: `INSERT INTO ${upsert.table} (${upsert.columns.join(", ")}) VALUES ${chunk.map(() => placeholders).join(", ")} ${upsert.onConflict}`,
        args: chunk.flat(),
      });
    }
  }
  return statements;
}
