// Small progressive enhancements. No inline scripts: the CSP forbids them.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = button && button.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A table wider than the screen scrolls inside its own box, never the page.
document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("main table")) {
    if (table.closest(".table-scroll")) continue;
    const box = document.createElement("div");
    box.className = "table-scroll";
    table.replaceWith(box);
    box.append(table);
  }
  // A cell of a figure or two needs no room for a line of words.
  for (const cell of document.querySelectorAll("main td")) {
    const text = cell.textContent.trim();
    if (text.length <= 8 && !/[\u3000-\u9fff\uff00-\uffef]/.test(text)) cell.classList.add("short");
  }
  // A box that scrolls can be scrolled from the keyboard too.
  const focusable = () => {
    for (const box of document.querySelectorAll(".table-scroll")) {
      if (box.scrollWidth > box.clientWidth) box.tabIndex = 0; else box.removeAttribute("tabindex");
    }
  };
  focusable();
  window.addEventListener("resize", focusable);
});
