// The workbench's only script: keyboard coding on the case page and printing with everything open.
// It never builds markup from data; the server renders every page.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input[type=text], textarea, select")) return;
  const number = Number(event.key);
  if (!Number.isInteger(number) || number < 1) return;
  const forms = [...document.querySelectorAll("form.coding")];
  const form = forms.find((candidate) => candidate.contains(document.activeElement)) ?? forms[0];
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
