// The workbench's only script: keyboard coding on the case page and printing with everything open.
// It never builds markup from data; the server renders every page.

// The coding form a key press applies to: the one last clicked or focused, else the first.
let activeForm = null;
for (const event of ["pointerdown", "focusin"]) {
  document.addEventListener(event, (action) => {
    const form = action.target instanceof Element ? action.target.closest("form.coding") : null;
    if (form) activeForm = form;
  });
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input[type=text], textarea, select")) return;
  const number = Number(event.key);
  if (!Number.isInteger(number) || number < 1) return;
  const form = activeForm ?? document.querySelector("form.coding");
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
