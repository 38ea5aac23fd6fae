import { join, resolve } from "node:path";

/**
 * Where the store lives by default: `$CLINVAL_HOME/clinval.db` when CLINVAL_HOME is set,
 * else `.clinval/clinval.db` under `cwd`. `openStore` creates the folders.
 */
export function defaultStorePath(cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.CLINVAL_HOME?.trim();
  return home ? resolve(cwd, home, "clinval.db") : join(resolve(cwd), ".clinval", "clinval.db");
}
