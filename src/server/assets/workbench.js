// The workbench's only script: one key press per code on the case page and per decision in the review
// queue, and printing with everything open. It never builds markup from data; the server renders every page.

// The form a key press applies to: the one last clicked or focused in, else the first on the page.
const KEYED_FORMS = "form.coding, form.decision";
let activeForm = null;
for (const event of ["pointerdown", "focusin"]) {
  document.addEventListener(event, (action) => {
    if (!(action.target instanceof Element)) return;
    // A form, or the table row that holds one (the review queue's rows).
    const form =
      action.target.closest(KEYED_FORMS) ?? action.target.closest("tr")?.querySelector(KEYED_FORMS) ?? null;
    if (form) activeForm = form;
  });
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input[type=text], textarea, select")) return;
  const number = Number(event.key);
  if (!Number.isInteger(number) || number < 1) return;
  const form = activeForm ?? document.querySelector(KEYED_FORMS);
  if (form?.matches("form.decision")) {
    // A decision is stored at once: the key is the click.
    const button = form.querySelectorAll("button[name=decision]")[number - 1];
    if (!button) return;
    event.preventDefault();
    button.click();
    return;
  }
  const choice = form?.querySelectorAll("input[name=code]")[number - 1];
  if (!choice) return;
  choice.checked = true;
  choice.focus();
  event.preventDefault();
});

for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => {
    for (const details of document.querySelectorAll("details")) details.open = true;
    window.print();
  });
}
