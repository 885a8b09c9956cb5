// The application form: character counters, the table of contents (each item written or not, its
// files, "x of 23 items"), drafts that save themselves, and evidence dropped or chosen per item.
// Every change is first kept in localStorage, so nothing typed is lost when the network fails or the
// session expires; after signing in again the page restores it and says so. No inline scripts (CSP).
(() => {
  "use strict";
  const form = document.querySelector("form.application-form");
  if (!form) return;
  const total = document.getElementById("sa-total");
  const limitHolder = document.querySelector(".sa-total");
  const limit = limitHolder ? Number(limitHolder.dataset.limit) : 0;
  const items = Array.from(form.querySelectorAll("textarea.sa-item"));
  const status = document.querySelector("[data-autosave-status]");
  const versionInput = form.querySelector("input[name=version]");
  const csrf = form.querySelector("input[name=csrf_token]");
  const storageKey = form.dataset.storageKey;
  const SKIP = new Set(["csrf_token", "stash_token", "save", "save_and_submit", "version", "files"]);
  let timer = null;
  let retryTimer = null;
  let inFlight = false;
  let again = false;
  let stopped = false;
  let dirty = false;
  let restored = false;  // this page restored text kept on the device
  let heldSubmitter;  // undefined: no submit waiting; null or a button: a submit held during a save

  const say = (text, kind) => {
    if (!status) return;
    status.textContent = text;
    status.className = "autosave-status" + (kind ? " autosave-" + kind : "");
  };

  // --- counters and the table of contents --------------------------------------------------
  // Count like the server does: characters (code points), with CRLF as one line break.
  const length = (text) => Array.from(text.replace(/\r\n/g, "\n")).length;
  const filesOf = (itemId) => {
    const box = form.querySelector(`[data-drop-item="${CSS.escape(itemId)}"] [data-item-files]`);
    return box ? box.querySelectorAll("li").length : 0;
  };
  const showItem = (area) => {
    const section = area.closest("[data-item]");
    if (!section) return false;
    const written = area.value.trim().length > 0;
    const files = filesOf(section.dataset.item);
    const state = written ? "scored" : (files ? "partial" : "empty");
    const link = document.querySelector(`[data-nav-item="${CSS.escape(section.dataset.item)}"]`);
    if (link) {
      link.className = "nav-item state-" + state;
      const text = link.querySelector("[data-state-text]");
      if (text) text.textContent = form.dataset["state" + state[0].toUpperCase() + state.slice(1)] || state;
      const count = link.querySelector("[data-nav-files]");
      if (count) count.textContent = files ? form.dataset.filesTemplate.replace("{count}", String(files)) : "";
    }
    return written;
  };
  const refresh = () => {
    let sum = 0;
    let done = 0;
    for (const area of items) {
      const n = length(area.value);
      sum += n;
      const out = document.getElementById(area.dataset.counter);
      if (out) out.textContent = n.toLocaleString();
      if (showItem(area)) done += 1;
    }
    if (total) {
      total.textContent = sum.toLocaleString();
      limitHolder.classList.toggle("over-limit", limit > 0 && sum > limit);
    }
    for (const counter of document.querySelectorAll("[data-done-counter]")) {
      counter.textContent = form.dataset.counterTemplate.replace("{done}", String(done));
    }
  };

  // --- the copy on this device ---------------------------------------------------------------
  const fields = () => {
    const data = {};
    for (const element of form.elements) {
      if (!element.name || SKIP.has(element.name) || element.type === "file" || element.type === "submit") continue;
      data[element.name] = element.type === "checkbox" ? (element.checked ? "y" : "") : element.value;
    }
    return data;
  };
  const store = () => {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ version: versionInput.value, fields: fields(), at: Date.now() }));
    } catch (error) { /* storage full or disabled: the server save still runs */ }
  };
  const forget = () => { try { localStorage.removeItem(storageKey); } catch (error) { /* ignore */ } };
  const put = (values) => {
    for (const [name, value] of Object.entries(values)) {
      const element = form.elements.namedItem(name);
      if (!element || element instanceof RadioNodeList) continue;
      if (element.type === "checkbox") element.checked = value === "y";
      else element.value = value;
    }
  };

  // --- saving ------------------------------------------------------------------------------
  const schedule = (delay) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  };
  const retryLater = () => { clearTimeout(retryTimer); retryTimer = setTimeout(save, 15000); };

  async function save() {
    if (stopped) return;
    if (inFlight) { again = true; return; }
    inFlight = true;
    store();
    const sent = JSON.stringify(fields());
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        body: JSON.stringify({ version: versionInput.value, fields: JSON.parse(sent) }),
        redirect: "manual",
      });
      const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
      if (!isJson) {  // the login page after the session expired (a redirect), or a proxy's error
        say(response.type === "opaqueredirect" ? form.dataset.expiredText : form.dataset.offlineText, "offline");
        retryLater();
        return;
      }
      const body = await response.json();
      if (response.ok) {
        versionInput.value = body.version;
        if (JSON.stringify(fields()) === sent) { forget(); dirty = false; }
        // After a restore the notice stays until the user types again: they must know their text came back.
        const text = restored ? form.dataset.restoredSavedText : form.dataset.savedText;
        say(text.replace("{time}", body.saved_at || ""), "saved");
      } else if (response.status === 409 && body.conflict) {
        stopped = true;  // never overwrite another save: the copy stays on this device
        say(form.dataset.conflictText, "conflict");
      } else if (response.status === 400 || response.status === 401 || response.status === 403) {
        say(form.dataset.expiredText + " " + (body.message || ""), "offline");  // an expired session's CSRF token
        retryLater();
      } else {
        say(body.message || form.dataset.offlineText, "problem");
      }
    } catch (error) {
      say(form.dataset.offlineText, "offline");
      retryLater();
    } finally {
      inFlight = false;
      if (heldSubmitter !== undefined) {  // now with the version that save returned
        const submitter = heldSubmitter;
        heldSubmitter = undefined;
        form.requestSubmit(submitter);
      } else if (again) { again = false; schedule(300); }
    }
  }

  // --- evidence per item: chosen or dropped, one request per file --------------------------
  const uploadFiles = async (itemId, files) => {
    const zone = form.querySelector(`[data-drop-item="${CSS.escape(itemId)}"]`);
    const results = zone.querySelector("[data-upload-results]");
    const list = zone.querySelector("[data-item-files]");
    const uploadForm = document.getElementById("upload-" + itemId);
    results.replaceChildren();
    for (const file of files) {
      const line = document.createElement("li");
      line.textContent = file.name + " …";
      results.append(line);
      // Only the upload form's own hidden fields: the chosen files belong to it too (form=), each is sent alone.
      const data = new FormData();
      for (const hidden of uploadForm.querySelectorAll("input[type=hidden]")) data.append(hidden.name, hidden.value);
      data.append("files", file, file.name);
      try {
        const response = await fetch(uploadForm.action, {
          method: "POST", credentials: "same-origin", body: data, redirect: "manual",
          headers: { "Accept": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        });
        const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
        const body = isJson ? await response.json() : { ok: false, message: form.dataset.expiredText };
        const answers = body.files || [{ ok: false, name: file.name, message: body.message }];
        for (const answer of answers) {
          line.textContent = answer.name + form.dataset.colon + answer.message;
          line.className = answer.ok ? "upload-ok" : "upload-refused";
          if (answer.ok) {
            const item = document.createElement("li");
            const link = document.createElement("a");
            link.href = answer.view_url;
            link.target = "_blank";
            link.rel = "noopener";
            link.textContent = answer.display_name;
            const size = document.createElement("small");
            size.textContent = ` (${(answer.size / 1024).toFixed(1)} KB)`;
            item.append(link, size);
            list.append(item);
          }
        }
      } catch (error) {
        line.textContent = file.name + form.dataset.colon + form.dataset.offlineText;
        line.className = "upload-refused";
      }
    }
    refresh();
  };
  for (const zone of form.querySelectorAll("[data-drop-item]")) {
    const itemId = zone.dataset.dropItem;
    const input = zone.querySelector("[data-item-input]");
    const button = zone.querySelector("[data-upload-button]");
    if (button) button.hidden = true;  // with the script, choosing the files sends them
    input.addEventListener("change", () => {
      if (input.files.length) uploadFiles(itemId, Array.from(input.files)).then(() => { input.value = ""; });
    });
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("drag-over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("drag-over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("drag-over");
      if (event.dataTransfer && event.dataTransfer.files.length) uploadFiles(itemId, Array.from(event.dataTransfer.files));
    });
  }

  // On a phone the contents are a bar that opens: a jump closes it, so it never covers the item.
  const nav = document.querySelector("[data-sheet-nav]");
  if (nav) {
    nav.addEventListener("click", (event) => {
      if (event.target.closest("a[href^='#']") && getComputedStyle(nav.querySelector("summary")).pointerEvents !== "none") {
        nav.open = false;
      }
    });
  }

  // --- wiring --------------------------------------------------------------------------------
  // Restore what this device kept but the server never got (a failed save, an expired session).
  try {
    const kept = JSON.parse(localStorage.getItem(storageKey) || "null");
    if (kept && kept.fields) {
      const current = fields();
      const differs = Object.keys(kept.fields).some((name) => name in current && current[name] !== kept.fields[name]);
      if (differs) {
        put(kept.fields);
        // Typed on the version this page shows: send it. Typed on an older one: the server refuses it
        // as a conflict and nothing is overwritten.
        if (kept.version) versionInput.value = kept.version;
        dirty = true;
        restored = true;
        say(form.dataset.restoredText, "offline");
        schedule(500);
      } else {
        forget();
      }
    }
  } catch (error) { forget(); }

  form.addEventListener("input", (event) => {
    if (event.target.type === "file") return;
    dirty = true; restored = false; refresh(); store(); schedule(2000);
  });
  form.addEventListener("change", (event) => {
    if (event.target.type === "file") return;
    store(); schedule(800);
  });
  // A save button clicked while a background save is on its way would carry the version that save
  // replaces and be refused as a conflict with the user's own draft: it waits for the answer.
  form.addEventListener("submit", (event) => {
    clearTimeout(timer);
    if (inFlight) {
      event.preventDefault();
      heldSubmitter = event.submitter || null;
      return;
    }
    dirty = false;
    stopped = true;
    clearTimeout(retryTimer);
  });
  window.addEventListener("online", () => schedule(200));
  window.addEventListener("beforeunload", (event) => {
    if (!dirty) return;
    store();
    event.preventDefault();
    event.returnValue = form.dataset.unsavedWarning || "";
  });
  refresh();
})();
