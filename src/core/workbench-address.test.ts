import { describe, expect, it } from "vitest";
import { pathSegment, workbenchCasePath, workbenchUrl } from "./workbench-address.ts";

describe("workbench addresses", () => {
  it("percent-encodes a segment beyond encodeURIComponent, so no quote, bracket or space survives", () => {
    expect(pathSegment(`c-"><img src=x onerror=alert(1)>'*!~`)).toBe(
      "c-%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%27%2A%21~",
    );
    expect(pathSegment("a/b?c#d")).toBe("a%2Fb%3Fc%23d");
    expect(pathSegment("痛风")).toBe("%E7%97%9B%E9%A3%8E");
  });

  it("builds a case page's path from the run and the case", () => {
    expect(workbenchCasePath("20261204-065850-03ddfe", "dx-001~demographic-sex")).toBe(
      "/runs/20261204-065850-03ddfe/cases/dx-001~demographic-sex",
    );
  });

  it("joins the path onto an http(s) address, keeping a path under it and dropping query and fragment", () => {
    const path = "/runs/r/cases/c";
    expect(workbenchUrl("http://127.0.0.1:4173/", path)).toBe("http://127.0.0.1:4173/runs/r/cases/c");
    expect(workbenchUrl("http://127.0.0.1:4173", path)).toBe("http://127.0.0.1:4173/runs/r/cases/c");
    expect(workbenchUrl("https://ward.example/clinval?token=x#top", path)).toBe(
      "https://ward.example/clinval/runs/r/cases/c",
    );
  });

  it("refuses an address that is not http or https", () => {
    expect(workbenchUrl("javascript:alert(1)//", "/runs/r/cases/c")).toBeNull();
    expect(workbenchUrl("file:///etc/", "/runs/r/cases/c")).toBeNull();
    expect(workbenchUrl("not a url", "/runs/r/cases/c")).toBeNull();
  });
});
