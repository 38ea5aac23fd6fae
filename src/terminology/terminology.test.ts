import { describe, expect, it } from "vitest";
import { InputError, InputErrors } from "../core/errors.ts";
import { defaultTerminology } from "./load-terminology.ts";
import { parseOverlay, resolveOverlay } from "./overlay.ts";
import { Terminology } from "./terminology.ts";
import { formatTerminology, parseTerminology, type TerminologyConcept } from "./terminology-format.ts";

const concept = (
  id: string,
  name: string,
  parents: string[] = [],
  synonyms: string[] = [],
): TerminologyConcept => ({
  id,
  name,
  synonyms,
  related: [],
  parents,
  xrefs: [],
});

/** A small tree: disease → infection → pneumonia → {bacterial pneumonia → pneumococcal pneumonia, viral}. */
const CONCEPTS = [
  concept("T:1", "disease"),
  concept("T:2", "infection", ["T:1"]),
  concept("T:3", "pneumonia", ["T:2"], ["lung infection"]),
  concept("T:4", "bacterial pneumonia", ["T:3"]),
  concept("T:5", "pneumococcal pneumonia", ["T:4"], ["Streptococcus pneumoniae pneumonia"]),
  concept("T:6", "viral pneumonia", ["T:3"]),
  concept("T:7", "Meniere's disease", ["T:1"]),
];
const SOURCE = { source: "test", release: "r1", commit: "abc", licence: "CC0-1.0" };

describe("the terminology file format", () => {
  it("round-trips a header and concepts, cleaning tabs, line breaks and bars from names", () => {
    const text = formatTerminology(SOURCE, [
      { ...concept("T:9", "odd\tname|here", ["T:1"], ["a\nb"]), xrefs: ["ICD10CM:J18", "UMLS:C0032285"] },
    ]);
    expect(text).toBe(
      "# source: test\n# release: r1\n# commit: abc\n# licence: CC0-1.0\n" +
        "id\tname\tsynonyms\trelated\tparents\txrefs\n" +
        "T:9\todd name here\ta b\t\tT:1\tICD10CM:J18|UMLS:C0032285\n",
    );
    expect(parseTerminology(text)).toEqual({
      source: SOURCE,
      concepts: [
        {
          id: "T:9",
          name: "odd name here",
          synonyms: ["a b"],
          related: [],
          parents: ["T:1"],
          xrefs: ["ICD10CM:J18", "UMLS:C0032285"],
        },
      ],
    });
  });
});

describe("Terminology", () => {
  const terminology = new Terminology(SOURCE, CONCEPTS);

  it("finds concepts by normalised and by order-free name", () => {
    expect(terminology.lookup("Pneumonia")).toEqual(["T:3"]);
    expect(terminology.lookup("lung infections")).toEqual(["T:3"]);
    expect(terminology.lookup("pneumonia, bacterial")).toEqual(["T:4"]);
    expect(terminology.lookup("Menieres disease")).toEqual(["T:7"]);
    expect(terminology.lookup("Ménière disease")).toEqual(["T:7"]);
    expect(terminology.lookup("asthma")).toEqual([]);
  });

  it("reads eponyms without their head noun", () => {
    expect(terminology.find("Menieres")).toEqual(["T:7"]);
  });

  it("gives ancestors and descendants with their shortest distance", () => {
    expect(terminology.ancestors("T:5")).toEqual(
      new Map([
        ["T:4", 1],
        ["T:3", 2],
        ["T:2", 3],
        ["T:1", 4],
      ]),
    );
    expect(terminology.descendants("T:3")).toEqual(
      new Map([
        ["T:4", 1],
        ["T:6", 1],
        ["T:5", 2],
      ]),
    );
    expect(terminology.distance("T:5", "T:3")).toBe(2);
    expect(terminology.distance("T:3", "T:5")).toBeUndefined();
  });

  it("corrects a misspelt word to the one concept it can mean, never a known word", () => {
    expect(terminology.correctSpelling("pneumococal pneumonia")).toEqual({
      id: "T:5",
      name: "pneumococcal pneumonia",
    });
    expect(terminology.correctSpelling("viral pneumonia")).toBeUndefined();
    expect(terminology.correctSpelling("pneumonia")).toBeUndefined();
  });

  it("refuses contradictory data: unknown parents and cycles", () => {
    expect(() => new Terminology(SOURCE, [concept("T:1", "a", ["T:404"])])).toThrow(
      "T:1: unknown parent T:404",
    );
    expect(
      () => new Terminology(SOURCE, [concept("T:1", "a", ["T:2"]), concept("T:2", "b", ["T:1"])]),
    ).toThrow("is, through its parents, a kind of itself");
  });
});

describe("overlays", () => {
  const base = new Terminology(SOURCE, CONCEPTS);
  const apply = (yaml: string) =>
    new Terminology(SOURCE, CONCEPTS, [
      (sofar) => resolveOverlay(parseOverlay(yaml, "site.yaml"), sofar, "site"),
    ]);
  const problem = (yaml: string): string => {
    try {
      apply(yaml);
    } catch (error) {
      if (error instanceof InputError) return error.describe();
      throw error;
    }
    return "no problem";
  };

  it("adds names to existing concepts, new concepts with parents, and ambiguous abbreviations", () => {
    const terminology = apply(
      [
        "terms:",
        "  - concept: pneumonia",
        "    synonyms: [PNA]",
        "  - name: aspiration pneumonia",
        "    synonyms: [AP]",
        "    parents: [T:3]",
        "  - name: ventilator pneumonia",
        "    id: site:vap",
        "    parents: [bacterial pneumonia]",
        "ambiguous:",
        "  - abbreviation: VP",
        "    meanings: [viral pneumonia, ventilator pneumonia]",
      ].join("\n"),
    );
    expect(terminology.lookup("PNA")).toEqual(["T:3"]);
    expect(terminology.lookup("AP")).toEqual(["site:aspiration-pneumonia"]);
    expect(terminology.distance("site:aspiration-pneumonia", "T:2")).toBe(2);
    expect(terminology.distance("site:vap", "T:3")).toBe(2);
    expect(terminology.lookup("VP")).toEqual([]);
    expect(terminology.meaningsOf("VP")).toEqual(["T:6", "site:vap"]);
    expect(terminology.sources).toEqual([SOURCE, { source: "site.yaml" }]);
    expect(base.lookup("PNA")).toEqual([]);
  });

  it("names the file, line and field of every problem", () => {
    expect(problem("terms:\n  - concept: asthma\n    synonyms: [x]\n")).toBe(
      'site.yaml:2: terms.0.concept: no concept is called "asthma"',
    );
    expect(problem("terms:\n  - name: new one\n    parents: [nothing]\n")).toBe(
      'site.yaml:3: terms.0.parents.0: no concept is called "nothing"',
    );
    expect(problem("terms:\n  - synonyms: [x]\n")).toBe(
      "site.yaml:2: terms.0: give exactly one of `concept` (add names to an existing concept) or `name` (a new concept)",
    );
    expect(problem("terms:\n  - concept: pneumonia\n    synonym: [x]\n")).toBe(
      'site.yaml:3: terms.0: unknown key "synonym"',
    );
    expect(problem("terms:\n  - name: pneumonia again\n    id: T:3\n")).toBe(
      "site.yaml:3: terms.0.id: concept id T:3 is already used",
    );
    expect(problem("ambiguous:\n  - abbreviation: P\n    meanings: [pneumonia]\n")).toBe(
      "site.yaml:3: ambiguous.0.meanings: Too small: expected array to have >=2 items",
    );
    expect(() => parseOverlay("terms: [unclosed\n", "bad.yaml")).toThrow(InputErrors);
  });
});

describe("the shipped terminology", () => {
  const terminology = defaultTerminology();

  it("is the Disease Ontology release with the project's overlay", () => {
    expect(terminology.sources).toEqual([
      {
        source: "DiseaseOntology/HumanDiseaseOntology",
        release: "v2026-07-31",
        commit: "4bc5e8a796c4715d6c009064c147a49bc8e1c1e5",
        licence: "CC0-1.0",
        files: expect.stringContaining("HumanDO.tsv allXREFinDO.tsv"),
        corrections: "scripts/terminology-corrections.tsv (13)",
      },
      { source: "clinval clinical overlay" },
    ]);
    expect(terminology.size).toBeGreaterThan(12_000);
  });

  it("keeps xrefs and is_a parents of the ontology", () => {
    const [id] = terminology.lookup("pulmonary embolism");
    expect(terminology.concept(id)).toMatchObject({
      id: "DOID:9477",
      xrefs: expect.arrayContaining(["ICD10CM:I26", "SNOMEDCT:194882001", "UMLS:C0034065"]),
    });
    expect(
      terminology.distance(
        terminology.lookup("type 2 diabetes")[0],
        terminology.lookup("diabetes mellitus")[0],
      ),
    ).toBe(1);
  });
});
