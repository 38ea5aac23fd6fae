import type { TaskName } from "../core/study.ts";
import type { Task } from "./task.ts";

/** The task that runs and grades a study design. Loaded on demand. */
export async function taskFor(name: TaskName): Promise<Task> {
  switch (name) {
    case "diagnosis":
      return (await import("./diagnosis/diagnosis-task.ts")).diagnosisTask as unknown as Task;
    case "triage":
      return (await import("./triage/triage-task.ts")).triageTask as unknown as Task;
  }
}
