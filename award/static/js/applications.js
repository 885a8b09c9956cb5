// Application form: live character counters per self-assessment item and in total, and a
// warning before leaving the page with unsaved changes. No inline scripts: the CSP forbids them.
(() => {
  const form = document.querySelector("form.application-form");
  if (!form) return;
  const total = document.getElementById("sa-total");
  const limitHolder = document.querySelector(".sa-total");
  const limit = limitHolder ? Number(limitHolder.dataset.limit) : 0;
  const items = Array.from(form.querySelectorAll("textarea.sa-item"));
  // Count like the server does: characters (code points), with CRLF as one line break.
  const length = (text) => Array.from(text.replace(/\r\n/g, "\n")).length;
  const refresh = () => {
    let sum = 0;
    for (const area of items) {
      const n = length(area.value);
      sum += n;
      const out = document.getElementById(area.dataset.counter);
      if (out) out.textContent = n.toLocaleString();
    }
    if (total) {
      total.textContent = sum.toLocaleString();
      limitHolder.classList.toggle("over-limit", limit > 0 && sum > limit);
    }
  };
  let dirty = false;
  form.addEventListener("input", () => { dirty = true; refresh(); });
  form.addEventListener("submit", () => { dirty = false; });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) { event.preventDefault(); event.returnValue = form.dataset.unsavedWarning || ""; }
  });
  refresh();
})();
