import { isAbbreviation, normalizeDiagnosis, wordKey } from "./normalize.ts";
import { SpellingIndex } from "./spelling-index.ts";
import type { TerminologyConcept, TerminologySource } from "./terminology-format.ts";

/** A concept as grading sees it: the terminology's record with what overlays added merged in. */
export interface Concept extends TerminologyConcept {
  /** Where the concept or its added names come from (`DiseaseOntology/HumanDiseaseOntology`, an overlay). */
  origin: string;
}

/** Names added to a terminology, and concepts it lacks (see overlay.ts). */
export interface ResolvedOverlay {
  /** Shown in the report's Methods: the overlay's file or name. */
  source: string;
  /** New concepts, with parents given as ids. */
  concepts: readonly TerminologyConcept[];
  /** Names and parents added to existing concepts. */
  additions: ReadonlyArray<{ id: string; synonyms: readonly string[]; parents: readonly string[] }>;
  /** Abbreviations with several common meanings: only ever a hint for review (concept ids). */
  ambiguous: ReadonlyArray<{ abbreviation: string; meanings: readonly string[] }>;
}

/**
 * A disease terminology: concepts with names, exact synonyms and `is_a` parents, indexed for lookups by
 * name (normalised, and order-free) and by relation (ancestors and descendants with their distance).
 * Built once per set of overlays; every lookup after that is a map access or a cached walk.
 */
export class Terminology {
  private readonly concepts = new Map<string, Concept>();
  private readonly byName = new Map<string, string[]>();
  private readonly byWords = new Map<string, string[]>();
  private readonly children = new Map<string, string[]>();
  private readonly ancestorCache = new Map<string, ReadonlyMap<string, number>>();
  private readonly ambiguousMeanings = new Map<string, string[]>();
  private spelling: SpellingIndex | undefined;
  /** Grading asks for the same few thousand names over and over: each is looked up once. */
  private readonly found = new Map<string, readonly string[]>();
  private readonly corrected = new Map<string, { id: string; name: string } | undefined>();

  /** The terminology's source first (repository, release, commit, licence), then one entry per overlay. */
  readonly sources: readonly TerminologySource[];
  /** The overlays applied on top of the base concepts, in order, resolved. */
  readonly overlays: readonly ResolvedOverlay[];

  /**
   * Indexes the base concepts, then applies each overlay in order. An overlay given as a function is
   * resolved against the terminology built so far (its names may refer to earlier overlays' concepts).
   * Throws when the data contradicts itself: unknown ids, a concept that is a kind of itself.
   */
  constructor(
    source: TerminologySource,
    /** The terminology's own concepts, before any overlay. */
    readonly baseConcepts: readonly TerminologyConcept[],
    overlays: ReadonlyArray<ResolvedOverlay | ((sofar: Terminology) => ResolvedOverlay)> = [],
  ) {
    const origin = source.source ?? "terminology";
    for (const concept of baseConcepts) this.add({ ...concept, origin });
    const resolved: ResolvedOverlay[] = [];
    for (const given of overlays) {
      const overlay = typeof given === "function" ? given(this) : given;
      resolved.push(overlay);
      for (const concept of overlay.concepts) {
        if (this.concepts.has(concept.id))
          throw new Error(`${overlay.source}: duplicate concept id ${concept.id}`);
        this.add({ ...concept, origin: overlay.source });
      }
      for (const addition of overlay.additions) {
        const concept = this.concepts.get(addition.id);
        if (concept === undefined) throw new Error(`${overlay.source}: unknown concept ${addition.id}`);
        concept.synonyms = [...concept.synonyms, ...addition.synonyms];
        concept.parents = [...new Set([...concept.parents, ...addition.parents])];
        for (const name of addition.synonyms) this.indexName(name, concept.id);
      }
      for (const { abbreviation, meanings } of overlay.ambiguous) {
        this.ambiguousMeanings.set(normalizeDiagnosis(abbreviation), [...meanings]);
      }
    }
    this.overlays = resolved;
    this.sources = [source, ...resolved.map((overlay) => ({ source: overlay.source }))];
    for (const concept of this.concepts.values()) {
      for (const parent of concept.parents) {
        if (!this.concepts.has(parent)) throw new Error(`${concept.id}: unknown parent ${parent}`);
        addTo(this.children, parent, concept.id);
      }
    }
    for (const meanings of this.ambiguousMeanings.values()) {
      for (const id of meanings)
        if (!this.concepts.has(id)) throw new Error(`ambiguous meaning ${id} unknown`);
    }
    this.checkAcyclic();
  }

  /** One depth-first walk over the `is_a` links: a concept that reaches itself is an error in the data. */
  private checkAcyclic(): void {
    const done = new Set<string>();
    const onPath = new Set<string>();
    for (const start of this.concepts.keys()) {
      if (done.has(start)) continue;
      const stack: Array<{ id: string; next: number }> = [{ id: start, next: 0 }];
      onPath.add(start);
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const parents = this.concepts.get(top.id)?.parents ?? [];
        if (top.next < parents.length) {
          const parent = parents[top.next++];
          if (onPath.has(parent)) throw new Error(`${parent} is, through its parents, a kind of itself`);
          if (!done.has(parent)) {
            onPath.add(parent);
            stack.push({ id: parent, next: 0 });
          }
        } else {
          stack.pop();
          onPath.delete(top.id);
          done.add(top.id);
        }
      }
    }
  }

  private add(concept: Concept): void {
    this.concepts.set(concept.id, concept);
    this.indexName(concept.name, concept.id);
    for (const name of concept.synonyms) this.indexName(name, concept.id);
  }

  private indexName(name: string, id: string): void {
    addTo(this.byName, normalizeDiagnosis(name), id);
    addTo(this.byWords, wordKey(name), id);
  }

  get size(): number {
    return this.concepts.size;
  }

  concept(id: string): Concept | undefined {
    return this.concepts.get(id);
  }

  /**
   * The concepts a written name stands for: by its normalised form, else by its order-free form
   * (plural/singular, word order, filler words). Usually one id; several when the name is shared;
   * [] when no concept has that name. An ambiguous abbreviation gives [] (see meaningsOf).
   */
  lookup(name: string): readonly string[] {
    const key = normalizeDiagnosis(name);
    if (key === "" || this.ambiguousMeanings.has(key)) return [];
    return this.byName.get(key) ?? this.byWords.get(wordKey(name)) ?? [];
  }

  /**
   * lookup, then two looser readings for a name no concept has: its abbreviations written out
   * ("variant CJD" → "variant Creutzfeldt-Jakob disease", "aneurysmal SAH"), and an eponym without its
   * head noun ("Kawasaki", "Menieres" → "… disease" / "… syndrome") when that names exactly one concept.
   */
  find(name: string): readonly string[] {
    let found = this.found.get(name);
    if (found === undefined) {
      found = this.findUncached(name);
      if (this.found.size >= 100_000) this.found.clear();
      this.found.set(name, found);
    }
    return found;
  }

  private findUncached(name: string): readonly string[] {
    const direct = this.lookup(name);
    if (direct.length > 0 || name.length > 300) return direct;
    let changed = false;
    // An abbreviation has two capitals or more (see isAbbreviation): a name with fewer has none to expand.
    const expanded = !TWO_CAPITALS.test(name)
      ? name
      : name.replace(/[A-Za-z0-9-]+/g, (word) => {
          if (!isAbbreviation(word)) return word;
          const ids = this.lookup(word);
          if (ids.length !== 1) return word;
          changed = true;
          return this.concepts.get(ids[0])?.name ?? word;
        });
    if (changed) {
      const found = this.lookup(expanded);
      if (found.length > 0) return found;
    }
    if (!/\s/.test(name.trim())) {
      const headed = new Set([...this.lookup(`${name} disease`), ...this.lookup(`${name} syndrome`)]);
      if (headed.size === 1) return [...headed];
      return [];
    }
    // "Reye disease", "Crohn syndrome": the same name with another generic head noun, when that names
    // exactly one concept (a stem whose "disease" and "syndrome" are two concepts stays unknown).
    const head = GENERIC_HEAD.exec(name.trim());
    if (head !== null) {
      const stem = name.trim().slice(0, head.index);
      const others = GENERIC_HEADS.filter((noun) => noun !== head[1].toLowerCase());
      const swapped = new Set(others.flatMap((noun) => this.lookup(`${stem} ${noun}`)));
      if (swapped.size === 1) return [...swapped];
    }
    return [];
  }

  /** The concepts an ambiguous abbreviation may stand for ("MS": multiple sclerosis, mitral stenosis), or []. */
  meaningsOf(name: string): readonly string[] {
    return this.ambiguousMeanings.get(normalizeDiagnosis(name)) ?? [];
  }

  /** Every ancestor of a concept with its shortest distance (1 for a parent); the concept itself is not in it. */
  ancestors(id: string): ReadonlyMap<string, number> {
    let found = this.ancestorCache.get(id);
    if (found === undefined) {
      found = this.walk(id, (concept) => this.concepts.get(concept)?.parents ?? []);
      this.ancestorCache.set(id, found);
    }
    return found;
  }

  /** Every descendant of a concept with its shortest distance (1 for a child). */
  descendants(id: string): ReadonlyMap<string, number> {
    return this.walk(id, (concept) => this.children.get(concept) ?? []);
  }

  /** How many `is_a` steps lead from `narrower` up to `broader`, or undefined when it is not an ancestor. */
  distance(narrower: string, broader: string): number | undefined {
    return this.ancestors(narrower).get(broader);
  }

  /**
   * The single concept a misspelt name stands for: each word the terminology does not know is replaced
   * by the known words within a small edit distance, and the result must name exactly one concept.
   * Returns that concept and the name it matched, or undefined (no match, or more than one).
   */
  correctSpelling(name: string): { id: string; name: string } | undefined {
    if (this.corrected.has(name)) return this.corrected.get(name);
    const corrected = this.correctSpellingUncached(name);
    if (this.corrected.size >= 100_000) this.corrected.clear();
    this.corrected.set(name, corrected);
    return corrected;
  }

  private correctSpellingUncached(name: string): { id: string; name: string } | undefined {
    this.spelling ??= new SpellingIndex(this.allNames());
    const found = new Map<string, string>();
    for (const candidate of this.spelling.corrections(name)) {
      for (const id of this.lookup(candidate)) if (!found.has(id)) found.set(id, candidate);
    }
    if (found.size !== 1) return undefined;
    const [[id, matched]] = found;
    return { id, name: matched };
  }

  private *allNames(): Iterable<string> {
    for (const concept of this.concepts.values()) {
      yield concept.name;
      yield* concept.synonyms;
    }
  }

  private walk(start: string, next: (id: string) => readonly string[]): Map<string, number> {
    const distances = new Map<string, number>();
    let frontier = [start];
    let distance = 0;
    while (frontier.length > 0) {
      distance++;
      const following: string[] = [];
      for (const id of frontier) {
        for (const neighbour of next(id)) {
          if (distances.has(neighbour)) continue;
          distances.set(neighbour, distance);
          following.push(neighbour);
        }
      }
      frontier = following;
    }
    return distances;
  }
}

const GENERIC_HEADS = ["disease", "disorder", "syndrome"];
const GENERIC_HEAD = /\s(disease|disorder|syndrome)$/i;

const TWO_CAPITALS = /[A-Z][\s\S]*[A-Z]/;

function addTo(index: Map<string, string[]>, key: string, id: string): void {
  if (key === "") return;
  const ids = index.get(key);
  if (ids === undefined) index.set(key, [id]);
  else if (!ids.includes(id)) ids.push(id);
}
