// The score sheet: percentage picker, live points, each item's state in the navigator, the count of
// scored items, problems named one line per item, character counts, and drafts that
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

  // The autosave sends only the items changed since the last accepted save (each with all its
  // fields: the server reads a missing field of a sent item as blank). Until a save is accepted,
  // every item goes: the page may show a refused post or a copy kept on this device.
  let accepted = null;
  const changedFields = (current) => {
    if (accepted === null) return current;
    const items = new Set();
    for (const [name, value] of Object.entries(current)) {
      if (accepted[name] !== value) items.add(name.slice(name.indexOf("-") + 1));
    }
    const data = {};
    for (const [name, value] of Object.entries(current)) {
      if (items.has(name.slice(name.indexOf("-") + 1))) data[name] = value;
    }
    return data;
  };

  const forget = () => { try { localStorage.removeItem(storageKey); } catch (error) { /* ignore */ } };

  // --- percentage, live points, each item's state and the count of scored items ----------
  // The percentage is the one control: its group in the list is the band (the server derives it too).
  const chosenBand = (select) => {
    const option = select.selectedOptions[0];
    return option && option.value && option.parentElement.tagName === "OPTGROUP" ? option.parentElement : null;
  };

  const filled = (article, name) => {
    const area = article.querySelector(`textarea[name^="${name}-"]`);
    return Boolean(area && area.value.trim());
  };

  // What a submission still needs of this item (blanks only: the server checks everything else).
  const missing = (article) => {
    const select = article.querySelector("[data-percent]");
    const wanted = [];
    if (!select.value) wanted.push(form.dataset.missingPercent);
    if (!filled(article, "strength")) wanted.push(form.dataset.missingStrength);
    if (!filled(article, "improvement")) wanted.push(form.dataset.missingImprovement);
    const band = chosenBand(select);
    if (band && band.dataset.justify === "yes" && !filled(article, "justification")) wanted.push(form.dataset.missingJustification);
    return wanted;
  };

  const stateOf = (article) => {
    if (article.classList.contains("has-problem")) return "error";
    const blank = !article.querySelector("[data-percent]").value
      && !["strength", "improvement", "justification"].some((name) => filled(article, name));
    if (blank) return "empty";
    return missing(article).length ? "partial" : "scored";
  };

  const showState = (article) => {
    const state = stateOf(article);
    const label = form.dataset["state" + state[0].toUpperCase() + state.slice(1)] || state;
    const badge = article.querySelector("[data-item-state]");
    if (badge) {
      badge.className = "item-state state-" + state;
      badge.lastChild.textContent = label;
    }
    const link = document.querySelector(`[data-nav-item="${CSS.escape(article.dataset.item)}"]`);
    if (link) {
      link.className = "nav-item state-" + state;
      const text = link.querySelector("[data-state-text]");
      if (text) text.textContent = label;
    }
    return state;
  };

  const showCount = () => {
    let done = 0;
    for (const article of form.querySelectorAll("[data-item]")) if (stateOf(article) === "scored") done += 1;
    for (const counter of document.querySelectorAll("[data-scored-counter]")) {
      counter.textContent = form.dataset.counterTemplate.replace("{done}", String(done));
    }
  };

  const syncItem = (article) => {
    const select = article.querySelector("[data-percent]");
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
    showState(article);
  };

  // --- problems, one line per item, at the top --------------------------------------------
  const summary = document.querySelector("[data-problem-summary]");
  const showProblems = (lines) => {  // lines: [[article or null, [what, ...]], ...]
    if (!summary) return;
    const list = summary.querySelector("[data-problem-lines]");
    list.replaceChildren();
    for (const [article, what] of lines) {
      const line = document.createElement("li");
      if (article) {
        const link = document.createElement("a");
        link.href = "#" + article.id;
        link.textContent = article.dataset.title;
        line.append(link, form.dataset.colon);
      }
      line.append(what.join(form.dataset.separator));
      list.append(line);
    }
    summary.hidden = lines.length === 0;
  };
  const markProblems = (articles) => {
    for (const article of form.querySelectorAll("[data-item]")) {
      article.classList.toggle("has-problem", articles.includes(article));
      showState(article);
    }
    showCount();
  };
  const articleOf = (itemId) => form.querySelector(`[data-item="${CSS.escape(itemId)}"]`);

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
    const current = fields();
    const sending = changedFields(current);
    try {
      if (accepted !== null && !Object.keys(sending).length) {  // nothing new since the last save
        forget();
        say(form.dataset.savedText, "saved");
        return;
      }
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        body: JSON.stringify({ version: versionInput.value, fields: sending }),
      });
      const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
      if (!isJson) {  // a login page after the session expired, or a proxy error
        say(form.dataset.offlineText, "offline");
        retryLater();
        return;
      }
      const body = await response.json();
      if (response.ok) {
        accepted = current;
        versionInput.value = body.version;
        forget();
        say(body.message || form.dataset.savedText, "saved");
      } else if (response.status === 409 && body.differences !== undefined) {
        stopped = true;  // never overwrite another save silently: the expert compares first
        say(form.dataset.conflictText, "conflict");
      } else {
        const lines = Object.entries(body.problems || {}).map(([item, what]) => [articleOf(item), what]);
        if (lines.length) {
          showProblems(lines);
          markProblems(lines.map(([article]) => article).filter(Boolean));
        }
        say(body.message || "", "problem");
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
    const touched = () => {  // the expert is at it: the last refusal's mark goes, the state is live
      article.classList.remove("has-problem");
      syncItem(article);
      showCount();
      if (summary && !summary.hidden && !missing(article).length) {  // its line at the top is done with
        const line = summary.querySelector(`a[href="#${CSS.escape(article.id)}"]`);
        if (line) line.closest("li").remove();
        if (!summary.querySelector("li")) summary.hidden = true;
      }
    };
    article.addEventListener("change", touched);
    article.addEventListener("input", touched);
    syncItem(article);
  }
  showCount();
  // On a phone the navigator is a bar that opens: a jump closes it, so it never covers the item.
  const itemsNav = document.querySelector("[data-sheet-nav]");
  if (itemsNav) {
    itemsNav.addEventListener("click", (event) => {
      if (event.target.closest("a[href^='#']") && getComputedStyle(itemsNav.querySelector("summary")).pointerEvents !== "none") {
        itemsNav.open = false;
      }
    });
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
    if (event.submitter && event.submitter.value === "submit") {
      // Items a submission would miss are named at once, one line each, before anything is sent.
      const lines = [];
      for (const article of form.querySelectorAll("[data-item]")) {
        const wanted = missing(article);
        if (wanted.length) lines.push([article, wanted]);
      }
      if (lines.length) {
        event.preventDefault();
        event.stopPropagation();
        showProblems(lines);
        markProblems(lines.map(([article]) => article));
        summary.scrollIntoView({ block: "start" });
        summary.focus({ preventScroll: true });
        schedule(800);
        return;
      }
    }
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
