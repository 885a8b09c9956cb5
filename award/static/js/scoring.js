// The score sheet: band → percentage picker, live points, character counts, and drafts that
// save themselves. Every change is first kept in localStorage, so nothing typed is lost when the
// network fails or the session expires; the copy is sent again until the server accepts it.
(() => {
  "use strict";
  const form = document.querySelector("form.score-sheet");
  if (!form) return;
  const status = document.querySelector("[data-autosave-status]");
  const versionInput = form.querySelector("[data-version]");
  const storageKey = form.dataset.storageKey;
  const editable = form.dataset.editable === "yes";
  const csrf = form.querySelector("input[name=csrf_token]");
  let timer = null;
  let retryTimer = null;
  let inFlight = false;
  let stopped = false;
  let heldSubmitter = null;  // a submit clicked while a draft save was on its way

  const say = (text, kind) => {
    if (!status) return;
    status.textContent = text;
    status.className = "autosave-status" + (kind ? " autosave-" + kind : "");
  };

  const fields = () => {
    const data = {};
    for (const element of form.elements) {
      if (!element.name || element.name === "csrf_token" || element.name === "version" || element.name === "action") continue;
      if (element.type === "radio") {
        if (element.checked) data[element.name] = element.value;
        else if (!(element.name in data)) data[element.name] = "";
      } else {
        data[element.name] = element.value;
      }
    }
    return data;
  };

  const store = () => {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ version: versionInput.value, fields: fields(), at: Date.now() }));
    } catch (error) { /* storage full or disabled: the server save still runs */ }
  };

  const forget = () => { try { localStorage.removeItem(storageKey); } catch (error) { /* ignore */ } };

  // --- band → percentage picker and live points -------------------------------------------
  const syncItem = (article) => {
    const select = article.querySelector("[data-percent]");
    const chosen = article.querySelector("input[type=radio]:checked");
    for (const group of select.querySelectorAll("optgroup")) {
      const inBand = !chosen || group.dataset.band === chosen.value;
      group.hidden = !inBand;
      for (const option of group.querySelectorAll("option")) option.disabled = !inBand;
    }
    if (chosen && select.selectedOptions[0] && select.selectedOptions[0].disabled) select.value = "";
    const percent = parseInt(select.value, 10);
    const out = article.querySelector("[data-points-out]");
    if (out) {
      const points = parseInt(article.dataset.points, 10);
      out.textContent = Number.isNaN(percent) ? "—" : String(Math.round(points * percent) / 100);
    }
    let total = 0;
    for (const other of form.querySelectorAll("[data-item]")) {
      const value = parseInt(other.querySelector("[data-percent]").value, 10);
      if (!Number.isNaN(value)) total += parseInt(other.dataset.points, 10) * value;
    }
    const totalOut = document.querySelector("[data-sheet-total]");
    if (totalOut) totalOut.textContent = String(Math.round(total) / 100);
  };

  const pickBandFor = (article) => {
    const select = article.querySelector("[data-percent]");
    const percent = parseInt(select.value, 10);
    if (Number.isNaN(percent)) return;
    for (const radio of article.querySelectorAll("input[type=radio]")) {
      if (percent >= parseInt(radio.dataset.low, 10) && percent <= parseInt(radio.dataset.high, 10)) radio.checked = true;
    }
  };

  // --- character counts -------------------------------------------------------------------
  const count = (area) => {
    let badge = area.nextElementSibling;
    if (!badge || !badge.classList || !badge.classList.contains("char-count")) {
      badge = document.createElement("small");
      badge.className = "char-count";
      area.insertAdjacentElement("afterend", badge);
    }
    badge.textContent = area.value.trim().length + " / " + area.maxLength;
  };

  // --- saving -----------------------------------------------------------------------------
  const schedule = (delay) => {
    if (!editable || stopped) return;
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  };

  const retryLater = () => {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(save, 15000);
  };

  async function save() {
    if (inFlight || stopped) return;
    inFlight = true;
    store();
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        body: JSON.stringify({ version: versionInput.value, fields: fields() }),
      });
      const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
      if (!isJson) {  // a login page after the session expired, or a proxy error
        say(form.dataset.offlineText, "offline");
        retryLater();
        return;
      }
      const body = await response.json();
      if (response.ok) {
        versionInput.value = body.version;
        forget();
        say(body.message || form.dataset.savedText, "saved");
      } else if (response.status === 409 && body.differences !== undefined) {
        stopped = true;  // never overwrite another save silently: the expert compares first
        say(form.dataset.conflictText, "conflict");
      } else {
        const problems = body.problems ? Object.values(body.problems).flat().join(" ") : "";
        say((body.message || "") + " " + problems, "problem");
      }
    } catch (error) {
      say(form.dataset.offlineText, "offline");
      retryLater();
    } finally {
      inFlight = false;
      if (heldSubmitter) {  // now with the version that save returned
        const submitter = heldSubmitter;
        heldSubmitter = null;
        form.requestSubmit(submitter);
      }
    }
  }

  // --- wiring -----------------------------------------------------------------------------
  for (const article of form.querySelectorAll("[data-item]")) {
    article.addEventListener("change", (event) => {
      if (event.target.matches("[data-percent]")) pickBandFor(article);
      syncItem(article);
    });
    syncItem(article);
  }
  for (const area of form.querySelectorAll("textarea[data-count]")) {
    area.addEventListener("input", () => count(area));
    count(area);
  }

  if (!editable) {
    forget();
    return;
  }

  // Restore what this device kept but the server never got (failed save, expired session).
  try {
    const kept = JSON.parse(localStorage.getItem(storageKey) || "null");
    if (kept && kept.fields) {
      const current = fields();
      const differs = Object.keys(kept.fields).some((name) => (current[name] || "") !== (kept.fields[name] || ""));
      if (differs) {
        for (const [name, value] of Object.entries(kept.fields)) {
          for (const element of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
            if (element.type === "radio") element.checked = element.value === value;
            else element.value = value;
          }
        }
        for (const article of form.querySelectorAll("[data-item]")) syncItem(article);
        say(form.dataset.offlineText, "offline");
        schedule(500);
      } else {
        forget();
      }
    }
  } catch (error) { forget(); }

  // A submit carries the version in the form. Sent while a draft save is still on its way, it would
  // meet the version that save creates and be refused as a conflict with the expert's own draft:
  // hold it until the save answers. This runs before the confirmation (app.js, on the document).
  form.addEventListener("submit", (event) => {
    clearTimeout(timer);
    if (!inFlight) return;
    event.preventDefault();
    event.stopPropagation();
    heldSubmitter = event.submitter;
  });
  // Once the submit really leaves (not held, confirmed), no draft save may overtake it.
  window.addEventListener("submit", (event) => {
    if (event.target !== form) return;
    if (event.defaultPrevented) {  // the expert declined the confirmation: drafts save as before
      if (!heldSubmitter) schedule(800);
    } else {
      stopped = true;
      clearTimeout(retryTimer);
    }
  });
  form.addEventListener("input", () => { store(); schedule(2000); });
  form.addEventListener("change", () => { store(); schedule(800); });
  window.addEventListener("online", () => schedule(200));
  window.addEventListener("beforeunload", store);
})();
