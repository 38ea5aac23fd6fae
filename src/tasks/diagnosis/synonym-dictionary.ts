import { isAbbreviation, normalizeDiagnosis } from "./normalize.ts";

/** Names of one diagnosis, and the broader diagnoses it is a kind of. */
export interface SynonymGroup {
  /** Names that mean exactly the same diagnosis; the first is the preferred name. */
  names: readonly string[];
  /**
   * Names (in other groups) of broader diagnoses this one is a kind of: an answer from this group is
   * correct for them, never the reverse ("STEMI" answers "myocardial infarction"; "myocardial infarction"
   * does not answer "STEMI"). Followed transitively.
   */
  kindOf?: readonly string[];
}

/**
 * The clinical abbreviation and synonym dictionary: equivalence groups with a one-way "kind of"
 * relation between them, and abbreviations too ambiguous to decide a match on their own.
 */
export class SynonymDictionary {
  private readonly groupOfName = new Map<string, number>();
  private readonly ancestors: Array<Set<number>>;
  private readonly ambiguous = new Map<string, string[]>();

  /** Throws when the data contradicts itself: a name in two groups, an unknown or circular `kindOf`. */
  constructor(
    readonly groups: readonly SynonymGroup[],
    ambiguousAbbreviations: Readonly<Record<string, readonly string[]>> = {},
  ) {
    groups.forEach((group, index) => {
      if (group.names.length === 0) throw new Error(`synonym group ${index} has no names`);
      for (const name of group.names) {
        const key = normalizeDiagnosis(name);
        const other = this.groupOfName.get(key);
        if (other !== undefined && other !== index) {
          throw new Error(
            `"${name}" is in two synonym groups: "${groups[other].names[0]}" and "${group.names[0]}"`,
          );
        }
        this.groupOfName.set(key, index);
      }
    });
    const parents = groups.map((group) =>
      (group.kindOf ?? []).map((name) => {
        const parent = this.groupOfName.get(normalizeDiagnosis(name));
        if (parent === undefined) throw new Error(`"${group.names[0]}" is a kind of unknown "${name}"`);
        return parent;
      }),
    );
    this.ancestors = groups.map((_, index) => {
      const found = new Set<number>();
      const pending = [...parents[index]];
      while (pending.length > 0) {
        const next = pending.pop() as number;
        if (next === index)
          throw new Error(`"${groups[index].names[0]}" is, through its kinds, a kind of itself`);
        if (found.has(next)) continue;
        found.add(next);
        pending.push(...parents[next]);
      }
      return found;
    });
    for (const [abbreviation, meanings] of Object.entries(ambiguousAbbreviations)) {
      const key = normalizeDiagnosis(abbreviation);
      if (this.groupOfName.has(key)) throw new Error(`ambiguous "${abbreviation}" is also a synonym`);
      for (const meaning of meanings) {
        if (!this.groupOfName.has(normalizeDiagnosis(meaning))) {
          throw new Error(`ambiguous "${abbreviation}" means unknown "${meaning}"`);
        }
      }
      this.ambiguous.set(key, [...meanings]);
    }
  }

  /**
   * The group a name belongs to. A name the dictionary does not know is tried once more with the
   * abbreviations it contains written out ("Aneurysmal SAH" → "Aneurysmal subarachnoid hemorrhage").
   */
  private groupOf(name: string): number | undefined {
    const group = this.groupOfName.get(normalizeDiagnosis(name));
    if (group !== undefined) return group;
    const expanded = name.replace(/[A-Za-z0-9-]+/g, (word) => {
      if (!isAbbreviation(word)) return word;
      const known = this.groupOfName.get(normalizeDiagnosis(word));
      return known === undefined ? word : this.groups[known].names[0];
    });
    return expanded === name ? undefined : this.groupOfName.get(normalizeDiagnosis(expanded));
  }

  /** The preferred name of the group `name` belongs to, or undefined when the dictionary does not know it. */
  preferredName(name: string): string | undefined {
    const group = this.groupOf(name);
    return group === undefined ? undefined : this.groups[group].names[0];
  }

  /** Every name of the group `name` belongs to, or [] when the dictionary does not know it. */
  synonyms(name: string): readonly string[] {
    const group = this.groupOf(name);
    return group === undefined ? [] : this.groups[group].names;
  }

  /**
   * True when `answer` names the same diagnosis as `reference`, or a more specific kind of it.
   * Never true for an answer that is only broader than the reference.
   */
  covers(answer: string, reference: string): boolean {
    const answerGroup = this.groupOf(answer);
    const referenceGroup = this.groupOf(reference);
    if (answerGroup === undefined || referenceGroup === undefined) return false;
    return answerGroup === referenceGroup || this.ancestors[answerGroup].has(referenceGroup);
  }

  /** The meanings of an ambiguous abbreviation ("MS" → multiple sclerosis, mitral stenosis), or []. */
  meaningsOf(abbreviation: string): readonly string[] {
    return this.ambiguous.get(normalizeDiagnosis(abbreviation)) ?? [];
  }
}
