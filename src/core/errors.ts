/** Where in an input file a problem was found. */
export interface InputLocation {
  file?: string;
  line?: number;
  /** Dotted path of the field, e.g. `models.1.provider`. */
  field?: string;
}

/** Every error clinval raises on purpose carries a stable `code`. */
export class ClinvalError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ClinvalError";
  }
}

/**
 * Bad input from the user: a study file, a case file, a command-line value.
 * The CLI prints `file:line: field: message` and exits with code 2.
 */
export class InputError extends ClinvalError {
  constructor(
    message: string,
    readonly location: InputLocation = {},
    code = "invalid-input",
  ) {
    super(code, message);
    this.name = "InputError";
  }

  /** `cases.jsonl:12: presentation: must be a non-empty string` */
  describe(): string {
    const { file, line, field } = this.location;
    const where = [file, line === undefined ? undefined : String(line)].filter(Boolean).join(":");
    return [where, field, this.message].filter(Boolean).join(": ");
  }
}

/** Several input problems found in one pass (e.g. `clinval suites validate`). */
export class InputErrors extends InputError {
  constructor(readonly problems: InputError[]) {
    super(`${problems.length} problem${problems.length === 1 ? "" : "s"} found`, {}, "invalid-input");
    this.name = "InputErrors";
  }

  override describe(): string {
    return this.problems.map((problem) => problem.describe()).join("\n");
  }
}
