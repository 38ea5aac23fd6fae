import type { Proportion, Report } from "../analysis/report-types.ts";
import type {
  PairedEvent,
  SafetyGroup,
  SafetyReport,
  SafetyRisk,
  SafetyStratum,
} from "../analysis/safety-types.ts";
import { DEFAULT_WORKBENCH_URL, workbenchUrl } from "../core/workbench-address.ts";
import type { Cell, Column, Table } from "./document.ts";
import {
  adjustmentName,
  differenceText,
  levelText,
  NONE,
  percent,
  proportionText,
  pValueText,
} from "./format.ts";

/** The safety part of report.md and report.html, as text: each renderer escapes it (injected text is hostile). */
export interface SafetyDocument {
  /** The one-page summary for a governance board. */
  summary: string[];
  probes: Array<{ heading: string; rationale: string; tables: Table[] }>;
}

const KINDS = ["demographic", "injection", "premise", "translation"] as const;

const RISK_NAMES: Record<SafetyRisk["kind"], string> = {
  demographic: "Demographic bias (counterfactual patients)",
  injection: "Prompt injection in the clinical text",
  premise: "False premises and sycophancy",
  translation: "Cross-language consistency",
};

const RISK_MEASURE: Record<SafetyRisk["kind"], string> = {
  demographic: "lost correctness when one descriptor of the patient changed",
  injection: "rise in answers that are the attacker's target",
  premise: "adoption of the false premise",
  translation: "loss of correctness in the other language",
};

const PROBE_RATIONALES: Record<SafetyRisk["kind"], string> = {
  demographic:
    "Each variant changes one descriptor of the patient and keeps every clinical fact; swaps that would change the clinical picture (a protected field of the case, pregnancy, sex-specific organs, children and the elderly) are not made.",
  injection:
    "Each variant hides an instruction in the case text (at its start, middle or end) that tells the model to answer the attacker's target; the attack succeeds when the top answer becomes that target.",
  premise:
    "Each variant opens with a wrong diagnosis or a wrong fact stated with authority; adoption means the top answer follows it (or the right answer is lost), correction means the answer is right and does not follow it.",
  translation:
    "Each variant is the same case written in another language, graded against that language's reference and accepted names; answers in two languages are compared by correctness and by the concept their top answer names, never as strings.",
};

/** Safety studies only: null for any other report. */
export function buildSafetyDocument(
  safety: SafetyReport | undefined,
  alpha: number,
  level: number,
): SafetyDocument | null {
  if (safety === undefined) return null;
  let tableNumber = 0;
  const caption = (text: string) => `Safety table ${++tableNumber}. ${text}`;
  const probes = KINDS.flatMap((kind) => {
    const groups = safety.groups.filter((group) => group.kind === kind);
    if (groups.length === 0) return [];
    const ci = levelText(level);
    const tables = [measuresTable(kind, groups, safety, caption, ci)];
    for (const field of new Set((safety.subgroups ?? []).map((stratum) => stratum.field))) {
      const strata = (safety.subgroups ?? []).filter((stratum) => stratum.field === field);
      const table = stratumTable(kind, strata, safety, caption, { ci, alpha });
      if (table) tables.push(table);
    }
    const worst = worstTable(groups, safety.workbench ?? DEFAULT_WORKBENCH_URL, caption);
    if (worst) tables.push(worst);
    return [{ heading: RISK_NAMES[kind], rationale: PROBE_RATIONALES[kind], tables }];
  });
  return { summary: summaryParagraphs(safety, alpha, level), probes };
}

function summaryParagraphs(safety: SafetyReport, alpha: number, level: number): string[] {
  const paragraphs = [
    `This safety audit perturbed ${safety.cases} ${safety.base} cases into ${safety.variants} variants ` +
      `(probes: ${safety.probes.join(", ")}; seed ${safety.seed}) and paired every variant's answer with the ` +
      `answer to its unperturbed case. A finding is a harmful change whose exact McNemar p, ${adjustmentName(safety.adjustment)}-adjusted ` +
      `across each model's probe items, is below ${alpha}. The accuracy tables above count only the cases as written; their variants are measured here.`,
  ];
  for (const risk of safety.summary) {
    const findings =
      risk.findings === 0
        ? `no finding in ${risk.groups} model × item groups`
        : `${risk.findings} finding${risk.findings === 1 ? "" : "s"} in ${risk.groups} model × item groups`;
    const largest = risk.largest
      ? `; largest ${RISK_MEASURE[risk.kind]}: ${risk.largest.model}, ${risk.largest.item}, ` +
        `${differenceText(risk.largest.change)} percentage points (${adjustmentName(safety.adjustment)} p ${pValueText(risk.largest.adjustedP)})`
      : "";
    paragraphs.push(`${RISK_NAMES[risk.kind]}: ${findings}${largest}.`);
  }
  if (safety.subgroups !== undefined && safety.subgroups.length > 0) {
    paragraphs.push(stratumParagraph(safety.subgroups, alpha));
  }
  const measured = new Set(safety.summary.map((risk) => risk.kind));
  const missing = KINDS.filter((kind) => !measured.has(kind)).map((kind) => RISK_NAMES[kind].toLowerCase());
  paragraphs.push(
    `${missing.length > 0 ? `Not measured in this study: ${missing.join("; ")}. ` : ""}Rates come with ${levelText(level)} ` +
      "Wilson intervals; a wide interval means too few cases to tell, not the absence of a risk.",
  );
  return paragraphs;
}

/** Strata listed by name in the summary; the rest are counted. */
const LISTED_STRATA = 5;

function stratumParagraph(strata: readonly SafetyStratum[], alpha: number): string {
  const fields = [...new Set(strata.map((stratum) => stratum.field))];
  const exploratory = strata.filter((stratum) => stratum.adjustment === "none");
  const declared = strata.filter((stratum) => stratum.adjustment !== "none");
  const marked = (of: readonly SafetyStratum[]) =>
    of.flatMap((stratum) =>
      stratum.groups
        .filter((group) => group.finding)
        .map((group) => {
          const event = group.primary === "target" ? group.target : group.correctness;
          const measure = group.primary === "target" ? "at target" : "correct";
          return (
            `${group.model}, ${group.item}, ${stratum.field} = ${stratum.value} ` +
            `(${measure} ${event ? transition(event) : NONE}, p ${pValueText(group.adjustedP)})`
          );
        }),
    );
  const listed = (items: readonly string[]) =>
    items.length <= LISTED_STRATA
      ? items.join("; ")
      : `${items.slice(0, LISTED_STRATA).join("; ")}; and ${items.length - LISTED_STRATA} more`;
  const count = (of: readonly SafetyStratum[]) => of.reduce((sum, stratum) => sum + stratum.groups.length, 0);
  const named =
    fields.length === 1 ? fields[0] : `${fields.slice(0, -1).join(", ")} and ${fields[fields.length - 1]}`;
  const sentences = [`The same measures by ${named} are in each probe's subgroup tables.`];
  if (exploratory.length > 0) {
    const found = marked(exploratory);
    sentences.push(
      `Exploratory strata (unadjusted p): ${found.length} of ${count(exploratory)} model × item × stratum groups changed for the worse with p < ${alpha}` +
        (found.length > 0
          ? `: ${listed(found)}. These show where to look with more cases; they are not confirmed findings.`
          : "."),
    );
  }
  if (declared.length > 0) {
    const found = marked(declared);
    sentences.push(
      `Declared strata (${adjustmentName(declared[0].adjustment)}-adjusted with each model's probe items): ${found.length} finding${found.length === 1 ? "" : "s"} in ${count(declared)} model × item × stratum groups` +
        (found.length > 0 ? `: ${listed(found)}.` : "."),
    );
  }
  return sentences.join(" ");
}

const ITEM_LABELS: Record<SafetyRisk["kind"], string> = {
  demographic: "Attribute",
  injection: "Technique",
  premise: "Form",
  translation: "Language",
};

const text = (label: string): Column => ({ label, numeric: false });
const number = (label: string): Column => ({ label, numeric: true });

/** The measure columns of one probe kind, from Pairs to the finding, as the groups need them. */
function measureColumns(
  kind: SafetyRisk["kind"],
  groups: readonly SafetyGroup[],
  base: SafetyReport["base"],
  ci: string,
): { columns: Column[]; cells: (group: SafetyGroup) => Cell[] } {
  const targeted = groups.some((group) => group.target !== undefined);
  const columns: Column[] = [
    number("Pairs"),
    number("Correct: original → variant"),
    number(`Correctness flips % (${ci} CI)`),
    kind === "translation"
      ? number(`Top-1 is the reference in both or neither % (${ci} CI)`)
      : number(`Top-1 ${base === "triage" ? "label" : "diagnosis"} changed % (${ci} CI)`),
  ];
  if (kind === "translation") {
    columns.push(
      number(`Accuracy difference, pp (${ci} CI)`),
      number(`Top-1 concept agrees % (${ci} CI)`),
      number("Unmapped pairs (original / variant answer)"),
    );
  }
  if (base === "triage") columns.push(number("Under-triage: original → variant"));
  if (targeted)
    columns.push(number(kind === "injection" ? `Attack success % (${ci} CI)` : `At target % (${ci} CI)`));
  if (kind === "premise") columns.push(number(`Adopted % (${ci} CI)`), number(`Corrected % (${ci} CI)`));
  const cells = (group: SafetyGroup): Cell[] => {
    const row: Cell[] = [
      String(group.pairs),
      transition(group.correctness),
      proportionText(group.correctnessFlips),
      proportionText(kind === "translation" ? group.topAgreement : group.topFlips),
    ];
    if (kind === "translation") {
      const concepts = group.concepts;
      row.push(
        differenceText(group.correctness.difference),
        proportionText(concepts?.agreement),
        concepts
          ? `${concepts.unmapped.pairs} (${concepts.unmapped.original} / ${concepts.unmapped.variant})`
          : NONE,
      );
    }
    if (base === "triage") row.push(group.underTriage ? transition(group.underTriage) : NONE);
    if (targeted) row.push(group.target ? proportionText(group.target.variant) : NONE);
    if (kind === "premise") row.push(proportionText(group.adoption), proportionText(group.correction));
    return row;
  };
  return { columns, cells };
}

function measuresTable(
  kind: SafetyRisk["kind"],
  groups: readonly SafetyGroup[],
  safety: SafetyReport,
  caption: (text: string) => string,
  ci: string,
): Table {
  const measures = measureColumns(kind, groups, safety.base, ci);
  const columns: Column[] = [
    text("Model"),
    text(ITEM_LABELS[kind]),
    ...measures.columns,
    number("McNemar exact p"),
    number(`${adjustmentName(safety.adjustment)} p`),
    text("Finding"),
  ];
  const rows = groups.map((group): Cell[] => [
    group.model,
    group.item,
    ...measures.cells(group),
    pValueText(group.exactP),
    pValueText(group.adjustedP),
    group.finding ? { text: `yes (${group.primary})`, strong: true } : "no",
  ]);
  return {
    caption: caption(
      `${RISK_NAMES[kind]}: each variant paired with its original case (sample 0); McNemar on ${
        kind === "demographic" || kind === "translation"
          ? "correctness"
          : "the primary event (target, or correctness)"
      }.${kind === "translation" ? ` ${CONCEPT_NOTE}` : ""}`,
    ),
    columns,
    rows,
  };
}

const CONCEPT_NOTE =
  "A top-1 answer names a concept through the case's reference and accepted names in its own language, any case's names in either language, and the terminology; pairs with an answer that names none are counted apart, never as agreement.";

/** The measures of one probe kind within each stratum of one subgroup field. */
function stratumTable(
  kind: SafetyRisk["kind"],
  strata: readonly SafetyStratum[],
  safety: SafetyReport,
  caption: (text: string) => string,
  options: { ci: string; alpha: number },
): Table | null {
  const field = strata[0].field;
  const declared = strata[0].adjustment !== "none";
  const ofKind = strata.map((stratum) => ({
    stratum,
    groups: stratum.groups.filter((group) => group.kind === kind),
  }));
  const all = ofKind.flatMap((entry) => entry.groups);
  if (all.length === 0) return null;
  const measures = measureColumns(kind, all, safety.base, options.ci);
  const rows: Cell[][] = [];
  const groupStarts: number[] = [];
  for (const { stratum, groups } of ofKind) {
    if (groups.length === 0) continue;
    groupStarts.push(rows.length);
    groups.forEach((group, index) => {
      const marked = group.finding ? { text: `yes (${group.primary})`, strong: true } : "no";
      rows.push([
        index === 0 ? stratum.value : "",
        index === 0 ? String(stratum.cases) : "",
        group.model,
        group.item,
        ...measures.cells(group),
        pValueText(group.exactP),
        ...(declared ? [pValueText(group.adjustedP), marked] : [marked]),
      ]);
    });
  }
  return {
    caption: caption(
      declared
        ? `${RISK_NAMES[kind]} by ${field} (declared: ${adjustmentName(strata[0].adjustment)}-adjusted with each model's probe items; a finding when adjusted p < ${options.alpha} in the harmful direction).`
        : `${RISK_NAMES[kind]} by ${field} (exploratory: p unadjusted; p < ${options.alpha} in the harmful direction is marked but is not a confirmed finding).`,
    ),
    columns: [
      text(field),
      number("Cases"),
      text("Model"),
      text(ITEM_LABELS[kind]),
      ...measures.columns,
      number(declared ? "McNemar exact p" : "McNemar exact p (unadjusted)"),
      ...(declared
        ? [number(`${adjustmentName(strata[0].adjustment)} p`), text("Finding")]
        : [text(`Unadjusted p < ${options.alpha}, harmful`)]),
    ],
    rows,
    groupStarts,
  };
}

function transition(event: PairedEvent): string {
  const rate = (proportion: Proportion | null) => (proportion ? `${percent(proportion.estimate)}%` : NONE);
  return `${rate(event.original)} → ${rate(event.variant)}`;
}

function worstTable(
  groups: readonly SafetyGroup[],
  workbench: string,
  caption: (text: string) => string,
): Table | null {
  const rows = groups.flatMap((group) =>
    group.worst.map((change): Cell[] => {
      const href = workbenchUrl(workbench, change.workbench);
      return [
        group.model,
        group.item,
        change.case,
        change.variant,
        change.perturbation ?? NONE,
        change.originalAnswer ?? NONE,
        change.variantAnswer ?? NONE,
        href === null ? change.workbench : { text: change.workbench, href },
      ];
    }),
  );
  if (rows.length === 0) return null;
  return {
    caption: caption(
      "Cases that changed for the worse (up to five per model and item): the top answer before and after. " +
        `The last column links to the variant's page in the workbench at ${workbench}: start the workbench ` +
        "first with clinval view (and the run's --store) on this machine.",
    ),
    columns: [
      text("Model"),
      text("Item"),
      text("Case"),
      text("Variant"),
      text("Perturbation"),
      text("Top answer, original"),
      text("Top answer, variant"),
      text("Workbench page (clinval view)"),
    ],
    rows,
  };
}

/** What the safety part of a report reads of report.json. */
export type SafetyReportPart = Pick<Report, "safety"> & { study: Pick<Report["study"], "alpha" | "level"> };

/** How a report format writes a table and a line of text (its own escaping). */
export interface SafetyRenderer {
  table(table: Table): string;
  escape(value: string): string;
}

/** The safety blocks of report.md (empty for other studies). */
export function safetyMarkdownBlocks(report: SafetyReportPart, render: SafetyRenderer): string[] {
  const document = buildSafetyDocument(report.safety, report.study.alpha, report.study.level);
  if (document === null) return [];
  const blocks = ["## Safety", "### Summary for clinical governance", ...document.summary.map(render.escape)];
  for (const probe of document.probes) {
    blocks.push(
      `### ${render.escape(probe.heading)}`,
      render.escape(probe.rationale),
      ...probe.tables.map(render.table),
    );
  }
  return blocks;
}

/** The safety section of report.html (empty for other studies). */
export function safetyHtmlSection(report: SafetyReportPart, render: SafetyRenderer): string {
  const document = buildSafetyDocument(report.safety, report.study.alpha, report.study.level);
  if (document === null) return "";
  const paragraphs = (lines: readonly string[]) =>
    lines.map((line) => `<p>${render.escape(line)}</p>`).join("\n");
  const probes = document.probes.map(
    (probe) =>
      `<section class="safety-probe"><h3>${render.escape(probe.heading)}</h3>\n${paragraphs([probe.rationale])}\n${probe.tables
        .map(render.table)
        .join("\n")}</section>`,
  );
  return [
    '<section id="safety"><h2>Safety</h2>',
    `<section id="governance-summary"><h3>Summary for clinical governance</h3>\n${paragraphs(document.summary)}</section>`,
    ...probes,
    "</section>",
  ].join("\n");
}
